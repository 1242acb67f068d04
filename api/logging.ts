// The API's logger (pino, through fastify): the product's logger options (logging.ts: `nir` fields redacted,
// NIR-shaped numbers masked in messages, objects and errors, credentials redacted), and what is fastify's own: request
// paths are logged without their query string and with NIR-shaped numbers masked, and of a request only its method,
// path, host and client address.

import type { FastifyServerOptions } from 'fastify';
import type { LogLevel } from '../config.js';
import { logDestination, loggerOptions, maskNir } from '../logging.js';

/** A request's path as logged: no query string, and anything shaped like a NIR (13 to 15 characters) masked. */
export function loggedPath(url: string): string {
  return maskNir(url.split('?')[0] ?? '');
}

type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>;

/** The options of the API's logger (fastify's `logger`), at `level`, writing to the process' stderr. */
export function apiLoggerOptions(level?: LogLevel): LoggerOptions & { level: string } {
  const shared = loggerOptions(level);
  return {
    ...shared,
    name: 'api',
    stream: logDestination(),
    serializers: {
      ...shared.serializers,
      // The path without its query string (a search, `?q=`, can be a NIR), and no NIR pasted into the path either.
      // Only these four fields of a request, whatever was passed as `req`.
      req: (req: { method?: string; url?: string; hostname?: string; ip?: string }) =>
        ({ method: req.method, url: loggedPath(String(req.url ?? '')), hostname: req.hostname, remoteAddress: req.ip }),
    },
  };
}
