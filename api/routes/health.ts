// Health: whether Temporal and the database answer, each within its bound (api/deadlines.ts), so that /health
// itself answers 503 naming the dependency that failed instead of waiting.

import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppDependencies } from '../app.js';
import { DATABASE_PROBE_TIMEOUT_MS, TEMPORAL_TIMEOUT_MS, withinDeadline } from '../deadlines.js';

const Check = Type.Object({ ok: Type.Boolean(), message: Type.Optional(Type.String()) });
const Health = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]), temporal: Check, database: Check });

async function check(fn: () => Promise<unknown>, timeoutMs: number): Promise<{ ok: boolean; message?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([fn(), new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs); })]);
    return { ok: true };
  } catch (err) {
    return { ok: false, message: (err as Error).message.split('\n')[0] };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsync<{ deps: AppDependencies }> = async (app, { deps }) => {
  app.get('/health', {
    schema: { tags: ['system'], summary: 'Temporal and database reachability', response: { 200: Health, 503: Health } },
  }, async (_request, reply) => {
    const timeout = deps.temporalTimeoutMs ?? TEMPORAL_TIMEOUT_MS;
    const { database: db } = deps;
    const [temporal, database] = await Promise.all([
      check(() => withinDeadline(deps.client, timeout, () => deps.client.workflowService.getSystemInfo({})), timeout),
      // The probe has a connection of its own: a pool busy or stuck on other requests does not delay it.
      check(() => (db.ping ? db.ping(DATABASE_PROBE_TIMEOUT_MS) : db.execute('select 1')), DATABASE_PROBE_TIMEOUT_MS),
    ]);
    const ok = temporal.ok && database.ok;
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', temporal, database });
  });
};
