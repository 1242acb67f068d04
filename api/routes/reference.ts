// What the console shows for the project's codes, from the rules themselves (never a copy in the console's JS):
// the motifs (their labels, routing), the analysis steps G0–G8, the two sub-lists of the MO, the NIR's pattern.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ANALYSIS_STEPS } from '../../rules/analyze.js';
import { MOTIFS } from '../../rules/motifs.js';
import { NIR_PATTERN } from '../../rules/schema.js';
import { CONTENT_ERRORS, MISSING_DETAILS } from '../../rules/sublists.js';
import { DEFAULT_TASK_SLA_MS } from '../../activities/index.js';
import { ANY_ROLE } from '../auth.js';
import { notFound, PROBLEM_PATH, PROBLEM_TITLES } from '../errors.js';
import { ErrorBody } from '../schemas.js';

const Coded = (text: 'title' | 'label') => Type.Array(Type.Object({ code: Type.String(), [text]: Type.String() }));
const Labels = Type.Object({
  analysisSteps: Coded('title'),
  missingDetails: Coded('label'),
  contentErrors: Coded('label'),
  nirPattern: Type.String({ description: 'The NIR\'s pattern (rules/schema.ts NIR_PATTERN), a JavaScript regular expression\'s source' }),
  taskSla: Type.Object({
    ms: Type.Integer({ description: 'The managers\' SLA the workers apply (TASK_SLA)' }),
    text: Type.String({ description: 'The same in French: « 48 h », « 20 s », « 1 j 6 h »' }),
  }),
  temporalNamespace: Type.String({ description: 'The workflows\' namespace (links to the Temporal UI)' }),
});

const MotifList = Type.Array(Type.Object({
  code: Type.String(),
  label: Type.String(),
  routing: Type.String({ description: 'Who the motif goes to' }),
  waitsForDecision: Type.Boolean(),
}));

/** A duration in French, exact for the usual settings: « 48 h », « 20 s », « 1 h 30 min », « 2 j ». */
export function slaText(ms: number): string {
  // A few seconds not whole (a test's SLA): « 1,5 s ».
  if (ms < 60_000 && ms % 1000 !== 0) return `${(ms / 1000).toLocaleString('fr-FR', { maximumFractionDigits: 3 })} s`;
  let seconds = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  // Hours up to 99 (« 48 h », « 72 h »: the way an SLA is said), days beyond.
  const days = seconds >= 100 * 3600 ? Math.floor(seconds / 86400) : 0;
  seconds -= days * 86400;
  const units: [number, string][] = [[days, 'j'], [Math.floor(seconds / 3600), 'h'], [Math.floor((seconds % 3600) / 60), 'min'], [seconds % 60, 's']];
  for (const [n, unit] of units) if (n) parts.push(`${n} ${unit}`);
  return parts.length ? parts.join(' ') : '0 s';
}

/**
 * GET /api/labels: the analysis steps (rules/analyze.ts) and the two sub-lists (rules/sublists.ts), in order, the
 * NIR's pattern (the console recognises and masks NIRs with the rules' own), the managers' SLA as configured (the
 * console words deadlines with it) and the Temporal namespace (its links to the Temporal UI).
 */
export function consoleLabels(settings: { taskSlaMs?: number; temporalNamespace?: string } = {}) {
  const slaMs = settings.taskSlaMs ?? DEFAULT_TASK_SLA_MS;
  return {
    analysisSteps: ANALYSIS_STEPS.map(({ code, title }) => ({ code, title })),
    missingDetails: MISSING_DETAILS.map(({ code, label }) => ({ code, label })),
    contentErrors: CONTENT_ERRORS.map(({ code, label }) => ({ code, label })),
    nirPattern: NIR_PATTERN.source,
    taskSla: { ms: slaMs, text: slaText(slaMs) },
    temporalNamespace: settings.temporalNamespace ?? 'default',
  };
}

export const referenceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/motifs', {
    config: { roles: ANY_ROLE },
    schema: { tags: ['tasks'], operationId: 'listMotifs', summary: 'The 23 motifs de traitement (labels of the Trame drop-down)',
      response: { 200: MotifList },
    },
  }, async () => MOTIFS.map((m) => ({ code: m.code, label: m.label, routing: m.routing, waitsForDecision: m.waitsForDecision })));

  app.get('/problems/:code', {
    config: { public: true },
    schema: {
      tags: ['system'], operationId: 'getProblemType',
      summary: 'What a problem type of the error responses (RFC 9457 `type`) means: its code and French title',
      params: Type.Object({ code: Type.String({ pattern: '^[a-z0-9_]{1,64}$' }) }),
      response: { 200: Type.Object({ type: Type.String(), code: Type.String(), title: Type.String() }), 404: ErrorBody },
    },
  }, async (request) => {
    const { code } = request.params;
    if (!Object.hasOwn(PROBLEM_TITLES, code)) throw notFound(`Le type de problème ${code}`);
    return { type: `${PROBLEM_PATH}${code}`, code, title: PROBLEM_TITLES[code]! };
  });

  const labels = consoleLabels(app.settings);
  app.get('/api/labels', {
    config: { roles: ANY_ROLE },
    schema: {
      tags: ['tasks'], operationId: 'getLabels',
      summary: 'The analysis steps G0–G8 and the MO\'s sub-lists « Détail manquant » and « Incohérence », with their French labels; '
        + 'the managers\' SLA (ms and French wording) and the Temporal namespace',
      response: { 200: Labels },
    },
  }, async () => labels);
};
