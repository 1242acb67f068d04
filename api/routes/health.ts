import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppDependencies } from '../app.js';

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
    const timeout = deps.temporalTimeoutMs ?? 3000;
    const [temporal, database] = await Promise.all([
      check(() => deps.client.connection.withDeadline(Date.now() + timeout, () => deps.client.workflowService.getSystemInfo({})), timeout + 500),
      check(() => deps.database.execute('select 1'), timeout),
    ]);
    const ok = temporal.ok && database.ok;
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', temporal, database });
  });
};
