// GET /api/events: the task changes, live, as server-sent events (api/live.ts), for the console's inbox and task page.
// Managers, auditors and admins (the session cookie: EventSource sends it). The stream never ends on its own before
// LiveOptions.maxStreamMs; a comment line every 15 s keeps proxies from closing it.

import type { FastifyPluginAsync } from 'fastify';
import { READERS } from '../auth.js';
import { ErrorBody } from '../schemas.js';
import { HttpError, sendProblem } from '../errors.js';

export const LIVE_FULL = 'Trop de suivis en direct sur ce serveur : réessayez dans un instant';

export const eventRoutes: FastifyPluginAsync = async (app) => {
  app.get('/api/events', {
    config: { roles: READERS },
    schema: {
      tags: ['tasks'], operationId: 'streamTaskEvents',
      summary: 'Live task changes (text/event-stream): `event: task` with { id, taskId, archiveKey, kind, actor, at } on each task created, '
        + 'claimed, released, escalated or resolved, whichever replica or worker made it; `event: resync` when some may have been missed '
        + '(re-read); `: ping` comments every 15 s',
      produces: ['text/event-stream'],
      response: {
        200: { description: 'A text/event-stream that stays open', type: 'string' },
        503: ErrorBody,
      },
    },
  }, async (request, reply) => {
    if (!app.live.hasRoom()) {
      request.log.warn({ clients: app.live.clients }, 'live: stream refused, too many open');
      return sendProblem(reply.header('retry-after', '30'), new HttpError(503, LIVE_FULL, undefined, { code: 'live_full' }));
    }
    reply.hijack();
    // The headers set so far (security headers: helmet), then the stream's.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store, no-transform',
      connection: 'keep-alive',
      // nginx: no buffering of this response.
      'x-accel-buffering': 'no',
    });
    // No idle timeout on this socket: the heartbeat keeps it busy.
    request.raw.socket.setTimeout(0);
    app.live.attach(reply.raw);
  });
};
