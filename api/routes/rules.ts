// The rules' versions and the back-test, for managers and auditors: which versions of `rules/` decided the claims
// (and the one this API would back-test with), today's rules replayed on claims already decided over a period
// (rules/backtest.ts over db/backtest.ts's stream: what stays, what moves and where, the first step that changed), and
// one claim replayed, its recorded trace beside today's. Replays read the reference facts recorded with each decision
// (rules/references.ts), today's data (db/ports.ts) where none were recorded.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { rulesVersion } from '../../activities/rules-version.js';
import { countDecidedClaims, decidedClaim, decidedClaims } from '../../db/backtest.js';
import { createPostgresPorts } from '../../db/ports.js';
import type { RulesVersionCount } from '../../db/invoices.js';
import { backtest, movement, replayClaim, type BacktestReport, type MovedClaim } from '../../rules/backtest.js';
import { MOTIF_CODES } from '../../rules/motifs.js';
import { IsoDateSchema } from '../../rules/schema.js';
import { actorOf, READERS } from '../auth.js';
import { badRequest, notFound } from '../errors.js';
import { ErrorBody, IdParams, TraceLineSchema, type SameShape } from '../schemas.js';

/** Claims one back-test request replays at most (the first by critère d'archivage); the CLI has no bound. */
export const BACKTEST_MAX_CLAIMS = 5000;
export const BACKTEST_DEFAULT_CLAIMS = 1000;
/** Moved claims answered in full (traces included); the counts cover them all. */
export const BACKTEST_MOVED_SHOWN = 100;
/** A back-test of BACKTEST_MAX_CLAIMS claims read from PostgreSQL: longer than a request's usual bound. */
const BACKTEST_ANSWER_WITHIN_MS = 120_000;

const Count = Type.Integer({ minimum: 0 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const OutcomeText = 'A motif code (GET /api/motifs), or `paid`';

const RulesVersionsSchema = Type.Object({
  current: Type.String({ description: 'The version of the rules this API back-tests with (`<package version>+<hash of rules/>`)' }),
  versions: Type.Array(Type.Object({
    version: Type.String(),
    count: Type.Integer({ description: 'Claims whose last decision by the rules was this version\'s' }),
    firstReceivedAt: Type.String({ description: 'ISO 8601 instant: the first of those claims received' }),
    lastReceivedAt: Type.String({ description: 'ISO 8601 instant: the last of those claims received' }),
  }), { description: 'Latest first' }),
  unversioned: Type.Integer({ description: 'Claims decided before versions were recorded' }),
});
interface RulesVersions { current: string; versions: RulesVersionCount[]; unversioned: number }

const ChangedStepSchema = Type.Object({
  step: Type.String({ description: 'G0…G8, Paid or Routing' }),
  before: Nullable(TraceLineSchema),
  after: Nullable(TraceLineSchema),
}, { description: 'The first step whose finding changed, as the recorded and today\'s analysis saw it' });

const MovedClaimSchema = Type.Object({
  archiveKey: Type.String(),
  from: Type.String({ description: `Recorded: ${OutcomeText}` }),
  to: Type.String({ description: `Today's rules: ${OutcomeText}` }),
  fromRoute: Nullable(Type.String()),
  toRoute: Nullable(Type.String()),
  rulesVersion: Nullable(Type.String({ description: 'The version of the rules that took the recorded decision' })),
  changed: Nullable(ChangedStepSchema),
  before: Type.Array(TraceLineSchema, { description: 'The recorded trace' }),
  after: Type.Array(TraceLineSchema, { description: 'Today\'s trace' }),
});

const BacktestQuery = Type.Object({
  since: Type.Optional({ ...IsoDateSchema, description: 'Claims received from this day (inclusive)' }),
  until: Type.Optional({ ...IsoDateSchema, description: 'Claims received up to this day (inclusive)' }),
  motif: Type.Optional({
    ...Type.Union([...MOTIF_CODES, 'paid'].map((s) => Type.Literal(s))),
    description: 'Only claims the rules had decided with this motif (`paid`: paid)',
    errorMessage: 'doit être un code motif (voir /api/motifs) ou paid',
  }),
  limit: Type.Optional({
    ...Type.Integer({ minimum: 1, maximum: BACKTEST_MAX_CLAIMS, default: BACKTEST_DEFAULT_CLAIMS }),
    description: `At most this many claims, the first by critère d'archivage (default ${BACKTEST_DEFAULT_CLAIMS})`,
    errorMessage: `doit être un entier de 1 à ${BACKTEST_MAX_CLAIMS}`,
  }),
}, { additionalProperties: false });

const BacktestSchema = Type.Object({
  rulesVersion: Type.String({ description: 'The version of the rules replayed (this API\'s)' }),
  selected: Count,
  limit: Count,
  total: Type.Integer({ description: 'Claims replayed: the `limit` first of the `selected`' }),
  stayed: Count,
  moved: Count,
  rerouted: Type.Integer({ description: 'Same motif, another addressee' }),
  failed: Type.Integer({ description: 'Claims today\'s rules could not analyse (an error of the rules on that claim): decided « Manque consigne » for a manager, as the worker would' }),
  recordedVersions: Type.Record(Type.String(), Type.Integer(), { description: 'The rules versions that had decided the claims, with their counts (`unknown`: before versions were recorded)' }),
  matrix: Type.Record(Type.String(), Type.Record(Type.String(), Count), {
    description: 'from → to → claims; from and to are motif codes or `paid`; the diagonal is what stayed',
  }),
  perMotif: Type.Record(Type.String(), Type.Object({ total: Count, stayed: Count, moved: Count }), { description: 'Per recorded motif (or `paid`)' }),
  byStep: Type.Record(Type.String(), Count, { description: 'The first step that changed, over the moved claims (`—`: none found)' }),
  facts: Type.Object({
    recordedClaims: Type.Integer({ description: 'Claims replayed on the reference facts recorded with their decision' }),
    currentClaims: Type.Integer({ description: 'Claims replayed on today\'s reference data (none recorded)' }),
    calls: Type.Object({ recorded: Count, current: Count, missing: Count }),
  }),
  movedClaims: Type.Array(MovedClaimSchema, { description: `The first ${BACKTEST_MOVED_SHOWN} moved claims, by critère d'archivage` }),
  movedOmitted: Type.Integer({ description: 'Moved claims not in `movedClaims`' }),
  rulesMs: Type.Number({ description: 'Time the rules took, in milliseconds' }),
});
type BacktestView = BacktestReport & { selected: number; limit: number; movedOmitted: number };

const InvoiceBacktestSchema = Type.Object({
  archiveKey: Type.String(),
  rulesVersion: Type.String({ description: 'Today\'s rules (this API\'s)' }),
  recordedVersion: Nullable(Type.String({ description: 'The rules that took the recorded decision' })),
  from: Type.String({ description: `Recorded: ${OutcomeText}` }),
  to: Type.String({ description: `Today's rules: ${OutcomeText}` }),
  moved: Type.Boolean(),
  fromRoute: Nullable(Type.String()),
  toRoute: Nullable(Type.String()),
  changed: Nullable(ChangedStepSchema),
  facts: Type.Union([Type.Literal('recorded'), Type.Literal('current')], {
    description: 'recorded: replayed on the reference facts read with the decision; current: on today\'s data',
  }),
  before: Type.Array(TraceLineSchema, { description: 'The recorded trace' }),
  after: Type.Array(TraceLineSchema, { description: 'Today\'s trace' }),
});
type InvoiceBacktest = Omit<MovedClaim, 'rulesVersion'> & { rulesVersion: string; recordedVersion: string | null; moved: boolean; facts: 'recorded' | 'current' };

const shapes: [
  SameShape<Static<typeof RulesVersionsSchema>, RulesVersions>,
  SameShape<Static<typeof BacktestSchema>, BacktestView>,
  SameShape<Static<typeof InvoiceBacktestSchema>, InvoiceBacktest>,
  SameShape<Static<typeof MovedClaimSchema>, MovedClaim>,
] = [true, true, true, true];
void shapes;

export const rulesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const ports = createPostgresPorts(db);

  app.get('/api/rules/versions', {
    config: { roles: READERS },
    schema: {
      tags: ['rules'], operationId: 'listRulesVersions',
      summary: 'The versions of the rules that decided claims (latest first, with their claim counts) and the one this API back-tests with',
      response: { 200: RulesVersionsSchema },
    },
  }, async (): Promise<RulesVersions> => ({ current: rulesVersion(), ...(await app.invoices.rulesVersions()) }));

  app.get('/api/backtest', {
    config: { roles: READERS, answerWithinMs: BACKTEST_ANSWER_WITHIN_MS },
    schema: {
      tags: ['rules'], operationId: 'runBacktest',
      summary: 'Today\'s rules replayed on claims already decided (received in [since, until], optionally of one recorded motif), '
        + `at most \`limit\` (≤ ${BACKTEST_MAX_CLAIMS}): what stays, what moves and where (from → to), per motif, the first step that changed, `
        + `and the first ${BACKTEST_MOVED_SHOWN} moved claims with both traces. Nothing is written but the audit entry.`,
      querystring: BacktestQuery,
      response: { 200: BacktestSchema, 400: ErrorBody },
    },
  }, async (request): Promise<BacktestView> => {
    const { since, until, motif, limit = BACKTEST_DEFAULT_CLAIMS } = request.query;
    if (since && until && until < since) throw badRequest([{ path: 'query.until', message: 'doit être le même jour que since ou un jour après' }]);
    const filter = { since, until, motif };
    const selected = await countDecidedClaims(db, filter);
    const report = await backtest(decidedClaims(db, { ...filter, limit }), rulesVersion(), { current: ports, keepMoved: BACKTEST_MOVED_SHOWN });
    // The moved claims' traces name beneficiaries: a read of personal data.
    await app.audit.record({
      actor: actorOf(request), action: 'backtest.run', ip: request.ip,
      details: { since: since ?? null, until: until ?? null, motif: motif ?? null, limit, total: report.total, moved: report.moved, rulesVersion: report.rulesVersion },
    });
    return { ...report, selected, limit, movedOmitted: report.moved - report.movedClaims.length };
  });

  app.get('/api/invoices/:id/backtest', {
    config: { roles: READERS },
    schema: {
      tags: ['rules'], operationId: 'backtestInvoice',
      summary: 'One decided claim replayed with today\'s rules (on the reference facts recorded with its decision, today\'s where none were): '
        + 'the recorded and the new outcome, the first step that changed, both traces. Audited.',
      params: IdParams,
      response: { 200: InvoiceBacktestSchema, 404: ErrorBody },
    },
  }, async (request): Promise<InvoiceBacktest> => {
    const claim = await decidedClaim(db, request.params.id);
    if (!claim) throw notFound(`La décision de la facture ${request.params.id}`);
    const { result } = await replayClaim(claim, { current: ports });
    const { rulesVersion: recordedVersion, ...move } = movement(claim, result);
    await app.audit.record({
      actor: actorOf(request), action: 'invoice.backtest', target: claim.archiveKey, ip: request.ip, details: { from: move.from, to: move.to },
    });
    return {
      ...move, rulesVersion: rulesVersion(), recordedVersion, moved: move.from !== move.to,
      facts: claim.decided.references ? 'recorded' : 'current',
    };
  });
};
