// The managers' web console: static files (HTML, JavaScript modules, CSS) served at /console/.
// No build step: the browser loads the modules of this folder as they are. Every path under /console/ that is
// not one of the console's files gets index.html, so that deep links (/console/taches/2901122401-1) work;
// a missing script, style sheet or image is a 404 instead (a page would otherwise fail in a confusing way).
//
// Register it at the root, without a prefix: `await app.register(consoleRoutes)`.

import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

export const CONSOLE_ROOT = fileURLToPath(new URL('.', import.meta.url));

/** What the console serves; anything else in this folder (TypeScript sources, tests) is never sent. */
const SERVED_EXTENSIONS = new Set(['.html', '.js', '.css', '.svg', '.png', '.ico', '.woff2']);
/** Paths that look like a file: a missing one is a 404, not the index page. */
const ASSET_EXTENSIONS = new Set([...SERVED_EXTENSIONS, '.map', '.json', '.ts', '.txt', '.jpg', '.webp', '.gif']);

/**
 * Content-Security-Policy: scripts, styles and frames from this origin only. `style-src 'unsafe-inline'` is for the
 * e-mail preview: the e-mail's HTML is shown in a sandboxed `srcdoc` iframe (no scripts, no same-origin), which
 * inherits this policy, and e-mails carry inline styles.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): void {
  reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    // Revalidated on every load (ETag / Last-Modified): a new version of the console is picked up at once.
    .header('cache-control', 'no-cache');
}

/** The file under CONSOLE_ROOT that `rest` names, if the console serves it. */
async function servedFile(rest: string): Promise<string | null> {
  if (!rest || rest.endsWith('/')) return null;
  if (rest.split('/').some((part) => part.startsWith('.') || part === '')) return null;
  if (!SERVED_EXTENSIONS.has(extname(rest).toLowerCase())) return null;
  const full = normalize(join(CONSOLE_ROOT, rest));
  if (!full.startsWith(CONSOLE_ROOT.endsWith(sep) ? CONSOLE_ROOT : CONSOLE_ROOT + sep)) return null;
  try {
    return (await stat(full)).isFile() ? full.slice(CONSOLE_ROOT.length).split(sep).join('/').replace(/^\//, '') : null;
  } catch {
    return null;
  }
}

export const consoleRoutes: FastifyPluginAsync = async (app) => {
  // `serve: false`: only reply.sendFile; the two routes below decide what is sent. The decorator may already exist
  // when the application registers @fastify/static elsewhere: sendFile is then called with our root explicitly.
  await app.register(fastifyStatic, {
    root: CONSOLE_ROOT,
    serve: false,
    decorateReply: !app.hasReplyDecorator('sendFile'),
  });

  const sendOptions = { cacheControl: false, dotfiles: 'deny' as const };

  const serve = async (rest: string, reply: FastifyReply) => {
    securityHeaders(reply);
    const file = await servedFile(rest);
    if (file) return reply.sendFile(file, CONSOLE_ROOT, sendOptions);
    if (ASSET_EXTENSIONS.has(extname(rest).toLowerCase())) {
      return reply.status(404).type('application/json; charset=utf-8').send({ message: `No file /console/${rest}` });
    }
    return reply.type('text/html; charset=utf-8').sendFile('index.html', CONSOLE_ROOT, sendOptions);
  };

  const hide = { schema: { hide: true } };
  app.get('/console', hide, async (_request, reply) => serve('', reply));
  // The rest of the path is checked like any input (no control character…): a deep link or a file name.
  const DeepLink = Type.Object({ '*': Type.String({ maxLength: 500 }) });
  app.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true, params: DeepLink } }, async (request, reply) =>
    serve(request.params['*'] ?? '', reply));
};

export default consoleRoutes;
