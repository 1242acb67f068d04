// Health: whether Temporal and the database answer, each within its bound (api/deadlines.ts), so that /health
// itself answers 503 naming the dependency that failed instead of waiting.

import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { createConsistencyRepository } from '../../db/consistency.js';
import { ErrorBody } from '../schemas.js';
import { PROBLEM_MEDIA_TYPE } from '../openapi.js';
import { DATABASE_PROBE_TIMEOUT_MS, TEMPORAL_TIMEOUT_MS, untilAborted, withinDeadline } from '../deadlines.js';

const Check = Type.Object({ ok: Type.Boolean(), message: Type.Optional(Type.String()) });
const Details = Type.Object({
  mail: Type.Object({
    accountRefusals: Type.Integer({ description: 'E-mails the provider refuses for reasons of ours (API key, sender): retried until someone fixes it' }),
    refused: Type.Integer({ description: 'E-mails refused for good (their claims went to managers; escalations can be sent again)' }),
  }),
  consistency: Type.Object({
    stalledClaims: Type.Integer({ description: 'Claims still being analysed after 10 minutes' }),
    lastDoctorRun: Type.Union([Type.Object({
      ranAt: Type.String(), findings: Type.Integer(), repaired: Type.Integer(), kinds: Type.Record(Type.String(), Type.Integer()),
    }), Type.Null()], { description: 'The last `npm run doctor`' }),
  }),
}, { description: 'For admins only' });
const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]), temporal: Check, database: Check, details: Type.Optional(Details),
});

async function check(fn: () => Promise<unknown>, timeoutMs: number): Promise<{ ok: boolean; message?: string }> {
  try {
    await untilAborted(fn(), AbortSignal.timeout(timeoutMs), () => new Error(`no answer within ${timeoutMs} ms`));
    return { ok: true };
  } catch (err) {
    return { ok: false, message: (err as Error).message.split('\n')[0] };
  }
}

export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/health', {
    config: { public: true },
    schema: {
      tags: ['system'], operationId: 'getHealth', summary: 'Temporal and database reachability', response: {
        200: Health,
        // The dependency that failed; or, like any route, problem details when /health itself did not answer in time.
        503: { description: 'Temporal or the database unreachable', content: { 'application/json': { schema: Health }, [PROBLEM_MEDIA_TYPE]: { schema: ErrorBody } } },
      },
    },
  }, async (request, reply) => {
    const timeout = app.settings.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS;
    const { database: db, temporal: client } = app;
    const [temporal, database] = await Promise.all([
      check(() => withinDeadline(client, timeout, () => client.workflowService.getSystemInfo({})), timeout),
      // The probe has a connection of its own: a pool busy or stuck on other requests does not delay it.
      check(() => (db.ping ? db.ping(DATABASE_PROBE_TIMEOUT_MS) : db.execute('select 1')), DATABASE_PROBE_TIMEOUT_MS),
    ]);
    const ok = temporal.ok && database.ok;
    // Admins also see what needs a person: alerts on e-mails, claims stalled, the last consistency check.
    const details = request.principal?.role === 'admin' && database.ok
      ? await adminDetails(app).catch(() => undefined)
      : undefined;
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', temporal, database, ...(details ? { details } : {}) });
  });
};

async function adminDetails(app: FastifyInstance) {
  const consistency = createConsistencyRepository(app.database.db);
  const [alerts, stalledClaims, last] = await Promise.all([
    app.mailer.alerts(), consistency.stalledClaims(10 * 60_000), consistency.lastRun(),
  ]);
  const kinds: Record<string, number> = {};
  for (const f of last?.findings ?? []) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
  return {
    mail: { accountRefusals: alerts.account, refused: alerts.failed },
    consistency: {
      stalledClaims,
      lastDoctorRun: last ? { ranAt: last.ranAt, findings: last.findings.length, repaired: last.repaired, kinds } : null,
    },
  };
}
