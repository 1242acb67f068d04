// A local stand-in for the Resend API, for tests that go through the real SDK (`new Resend(key, { baseUrl })`).
// POST /emails only: checks `Authorization: Bearer <key>`, validates the payload like Resend (422), and honours
// `Idempotency-Key` as Resend documents it: the same key and payload answer the first e-mail's id without a second
// delivery; the same key with another payload is a 409 `invalid_idempotent_request`.
// Errors have Resend's shape `{ statusCode, name, message }`, which the SDK passes through as `error`.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body (or the raw text when it is not JSON). */
  body: unknown;
  /** The status the fake answered. */
  status: number;
}

export interface Delivery {
  /** The id returned to the client. */
  id: string;
  idempotencyKey: string | null;
  /** The JSON body as sent by the SDK (`from`, `to`, `bcc`, `subject`, `html`, `text`…). */
  email: Record<string, unknown>;
  at: string;
}

export interface FailOptions {
  /** Deliver first, then answer the error: the provider took the e-mail but the client never learnt it. */
  afterDelivery?: boolean;
}

export interface FakeResend {
  /** Base URL to give the SDK (`baseUrl` or RESEND_BASE_URL). */
  url: string;
  apiKey: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Every e-mail actually "sent". */
  deliveries: Delivery[];
  /** The next `n` POST /emails fail with `status` (e.g. 500, 422, 429). */
  failNext(n: number, status: number, options?: FailOptions): void;
  /** Every e-mail to `address` is refused as Resend refuses an address it will not deliver to (422 on `to`). */
  refuse(address: string): void;
  /** `address` is taken again. */
  accept(address: string): void;
  /** Only this key is accepted from now on (another key: 403, as Resend answers an invalid key). */
  setApiKey(key: string): void;
  close(): Promise<void>;
}

export interface FakeResendOptions {
  /** The key the fake accepts (default `re_test_fake`). */
  apiKey?: string;
  /** Delay before each answer, after the e-mail is delivered: widens the window of a crash between send and record. */
  latencyMs?: number;
}

const ERROR_NAMES: Record<number, string> = {
  400: 'invalid_idempotency_key',
  401: 'missing_api_key',
  403: 'invalid_api_key',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'invalid_idempotent_request',
  422: 'validation_error',
  429: 'rate_limit_exceeded',
  500: 'internal_server_error',
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function problems(body: unknown): string | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'The request body must be a JSON object.';
  const b = body as Record<string, unknown>;
  for (const field of ['from', 'to', 'subject']) {
    if (b[field] === undefined || b[field] === null || b[field] === '') return `Missing \`${field}\` field.`;
  }
  if (!b.html && !b.text) return 'Missing `html` or `text` field.';
  const to = Array.isArray(b.to) ? b.to : [b.to];
  if (to.length > 50) return 'Too many recipients.';
  if (!to.every((a) => typeof a === 'string' && /@/.test(a))) return 'Invalid `to` field.';
  return null;
}

export async function startFakeResend(options: FakeResendOptions = {}): Promise<FakeResend> {
  let apiKey = options.apiKey ?? 're_test_fake';
  const refused = new Set<string>();
  const requests: RecordedRequest[] = [];
  const deliveries: Delivery[] = [];
  /** Idempotency key → the delivery and the payload it was made with. */
  const byKey = new Map<string, { delivery: Delivery; payload: string }>();
  const failures: { status: number; afterDelivery: boolean }[] = [];

  function deliver(email: Record<string, unknown>, key: string | null, payload: string): Delivery {
    const delivery: Delivery = { id: randomUUID(), idempotencyKey: key, email, at: new Date().toISOString() };
    deliveries.push(delivery);
    if (key) byKey.set(key, { delivery, payload });
    return delivery;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: unknown = raw;
    let parsed = true;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      parsed = false;
    }
    const record: RecordedRequest = {
      method: req.method ?? '', path: (req.url ?? '').split('?')[0], headers: headersOf(req), body, status: 0,
    };
    requests.push(record);
    const answer = (status: number, json: unknown) => {
      record.status = status;
      const send = () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (options.latencyMs) setTimeout(send, options.latencyMs);
      else send();
    };
    const fail = (status: number, message: string, name = ERROR_NAMES[status] ?? 'application_error') =>
      answer(status, { statusCode: status, name, message });

    if (record.path !== '/emails') return fail(404, 'Route not found.');
    if (record.method !== 'POST') return fail(405, 'Method not allowed.');
    const auth = record.headers.authorization;
    if (!auth) return fail(401, 'Missing API key in the authorization header.');
    if (auth !== `Bearer ${apiKey}`) return fail(403, 'API key is invalid.');

    const key = record.headers['idempotency-key'] ?? null;
    if (key !== null && (key.length === 0 || key.length > 256)) {
      return fail(400, 'The idempotency key must be 1 to 256 characters long.');
    }
    const failure = failures.shift();
    if (failure && !failure.afterDelivery) return fail(failure.status, `Simulated failure (${failure.status}).`);
    if (!parsed) return fail(422, 'Invalid JSON body.');
    const problem = problems(body);
    if (problem) return fail(422, problem);
    const recipients = [(body as { to?: unknown }).to].flat().map(String);
    if (recipients.some((a) => refused.has(a.toLowerCase()))) {
      return fail(422, 'Invalid `to` field. The recipient address is on the suppression list and cannot receive e-mails.', 'validation_error');
    }

    const email = body as Record<string, unknown>;
    let delivery: Delivery;
    const previous = key ? byKey.get(key) : undefined;
    if (previous) {
      if (previous.payload !== raw) {
        return fail(409, 'This idempotency key has already been used on a request with a different payload.');
      }
      delivery = previous.delivery;
    } else {
      delivery = deliver(email, key, raw);
    }
    if (failure) return fail(failure.status, `Simulated failure (${failure.status}) after delivery.`);
    answer(200, { id: delivery.id });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ statusCode: 500, name: 'internal_server_error', message: String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get apiKey() {
      return apiKey;
    },
    refuse(address) {
      refused.add(address.toLowerCase());
    },
    accept(address) {
      refused.delete(address.toLowerCase());
    },
    setApiKey(key) {
      apiKey = key;
    },
    requests,
    deliveries,
    failNext(n, status, failOptions = {}) {
      for (let i = 0; i < n; i += 1) failures.push({ status, afterDelivery: failOptions.afterDelivery ?? false });
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** The same, under the short name. */
export const start = startFakeResend;
