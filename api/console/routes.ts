// The managers' web console: static files (HTML, JavaScript modules, CSS) served at /console/ by @fastify/static.
// No build step: the browser loads the modules of this folder as they are. Every path under /console/ that is
// not one of the console's files gets index.html (the plugin's not-found handler), so that deep links
// (/console/taches/2901122401-1) work; a missing script, style sheet or image is a 404 instead (a page would
// otherwise fail in a confusing way).
//
// Register it at the root, without a prefix: `await app.register(consoleRoutes)`.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { notFound, sendProblem } from '../errors.js';

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

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // Revalidated on every load (ETag / Last-Modified): a new version of the console is picked up at once.
  'cache-control': 'no-cache',
};

const CONSOLE_PREFIX = '/console';

/**
 * Libraries the console loads from node_modules, served from this origin (no CDN: `script-src 'self'`), at
 * /console/vendor/<name>: Chart.js's UMD build (the dashboard's charts; it defines `window.Chart`).
 */
export const VENDOR_FILES: Record<string, string> = {
  'chart.umd.min.js': join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'),
};
const DeepLink = Type.Object({ '*': Type.String({ maxLength: 500 }) });

/** Whether a path under /console/ names a file the console serves (one of its extensions, no dotfile). */
function served(pathName: string): boolean {
  const parts = pathName.split('/').filter(Boolean);
  return parts.length > 0 && !parts.some((part) => part.startsWith('.')) && SERVED_EXTENSIONS.has(extname(pathName).toLowerCase());
}

export const consoleRoutes: FastifyPluginAsync = async (app) => {
  await app.register(async (console) => {
    // The console's routes (@fastify/static's included) are public: its files hold nothing but code. The rest of the
    // path is checked like any input (no control character…): a deep link or a file name.
    console.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
      if (route.url.endsWith('*')) route.schema = { ...route.schema, params: DeepLink };
    });
    await console.register(fastifyStatic, {
      root: CONSOLE_ROOT,
      prefix: '/',
      // The decorator may already exist when the application registers @fastify/static elsewhere.
      decorateReply: !console.hasReplyDecorator('sendFile'),
      index: false,
      redirect: false,
      cacheControl: false,
      dotfiles: 'deny',
      allowedPath: served,
      setHeaders: (reply) => {
        reply.headers(SECURITY_HEADERS);
      },
    });

    for (const [name, path] of Object.entries(VENDOR_FILES)) {
      const content = await readFile(path);
      console.get(`/vendor/${name}`, { schema: { hide: true } }, (_request, reply) => {
        reply.headers(SECURITY_HEADERS).type('application/javascript; charset=utf-8').send(content);
      });
    }

    // Handlers that send and return nothing: an async handler resolving to the reply awaits it (Reply.then), and each
    // await adds its listeners on the response (Node warns past ten).
    const index = (reply: FastifyReply): void => {
      reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').sendFile('index.html', CONSOLE_ROOT, { cacheControl: false });
    };
    // /console and /console/.
    console.get('/', { schema: { hide: true } }, (_request, reply) => index(reply));
    // Anything else under /console/: a missing asset is a 404, any other path a deep link (the index page).
    console.setNotFoundHandler((request, reply) => {
      const rest = request.url.split('?')[0]!.slice(CONSOLE_PREFIX.length + 1);
      if (ASSET_EXTENSIONS.has(extname(decodeURIComponentSafe(rest)).toLowerCase())) {
        sendProblem(reply.headers(SECURITY_HEADERS), notFound(`Le fichier /console/${rest}`));
        return;
      }
      index(reply);
    });
  }, { prefix: CONSOLE_PREFIX });
};

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export default consoleRoutes;
