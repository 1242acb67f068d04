import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badRequest, HttpError, INTERNAL_ERROR, PROBLEM_TITLES, sanitizeError, toHttpError, VALUE_NOT_STORED } from './errors.js';
import { TaskConflict } from '../db/tasks.js';

/** The status and message the API answers for an error. */
const classifyError = (err: unknown) => {
  const http = toHttpError(err);
  return { statusCode: http.statusCode, message: http.message };
};

const NIR = '1850369123045';

describe('a value PostgreSQL refuses (SQLSTATE class 22)', () => {
  let client: PGlite;
  let refused: unknown;
  beforeAll(async () => {
    client = new PGlite();
    // A real failed query, as drizzle reports it: its message quotes the SQL and the parameters.
    refused = await drizzle(client).execute(sql`select ${`${NIR}x`}::int`).then(() => null, (err: unknown) => err);
  });
  afterAll(async () => client?.close());

  it('is a 400 « a value could not be stored », not a 500', () => {
    expect(refused).toBeInstanceOf(Error);
    expect(String((refused as Error).message)).toContain(NIR);
    expect(classifyError(refused)).toEqual({ statusCode: 400, message: VALUE_NOT_STORED });
    for (const code of ['22P02', '22P05', '22021', '22003', '22001']) {
      expect(classifyError(Object.assign(new Error('x'), { code }))).toEqual({ statusCode: 400, message: VALUE_NOT_STORED });
    }
  });

  it('is logged without the query\'s text nor its parameters (a NIR)', () => {
    const logged = sanitizeError(refused);
    expect(logged).toMatchObject({ name: 'DrizzleQueryError', message: 'Failed query', cause: { code: expect.stringMatching(/^22/) } });
    expect(logged.cause!.message).toMatch(/^[a-z ]+"…"[a-z ]+integer/);
    expect(JSON.stringify(logged)).not.toContain(NIR);
  });
});

describe('sanitizeError', () => {
  it('keeps name, code, message and frames; leaves out anything else an error carries', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED', query: `select * from beneficiaries where nir = $1`, parameters: [NIR], detail: `Key (nir)=(${NIR})`,
    });
    const logged = sanitizeError(err);
    expect(Object.keys(logged).sort()).toEqual(['code', 'message', 'name', 'stack']);
    expect(logged).toMatchObject({ name: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(logged.stack).toMatch(/^\s+at /);
    expect(JSON.stringify(logged)).not.toContain(NIR);
  });

  it('a PostgreSQL message has its quoted values masked', () => {
    const err = Object.assign(new Error(`value "${NIR}0000000" is out of range for type bigint`), { code: '22003' });
    expect(sanitizeError(err).message).toBe('value "…" is out of range for type bigint');
  });
});

describe('toHttpError', () => {
  it('503 when PostgreSQL or Temporal cannot be reached, 500 otherwise', () => {
    expect(classifyError(Object.assign(new Error('x'), { code: 'CONNECT_TIMEOUT' })).statusCode).toBe(503);
    expect(classifyError(new Error('x', { cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }) })).statusCode).toBe(503);
    expect(classifyError(Object.assign(new Error('x'), { name: 'ServiceError' })).statusCode).toBe(503);
    expect(classifyError(new TypeError('x'))).toEqual({ statusCode: 500, message: INTERNAL_ERROR });
  });

  it('one class: a stable code, retryable when the same request may succeed later; our own errors kept as they are', () => {
    const down = toHttpError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }));
    expect(down).toBeInstanceOf(HttpError);
    expect(down).toMatchObject({ statusCode: 503, code: 'database_unavailable', retryable: true });
    expect(toHttpError(Object.assign(new Error('x'), { name: 'ServiceError' }))).toMatchObject({ code: 'temporal_unavailable', retryable: true });
    expect(toHttpError(new TypeError('x'))).toMatchObject({ code: 'internal_error', retryable: false });
    const mine = new HttpError(409, 'Task 1 is already resolved');
    expect(toHttpError(mine)).toBe(mine);
    expect(toHttpError(new TaskConflict('resolved', 'Task t is resolved'))).toMatchObject({ statusCode: 409, message: 'Task t is resolved', code: 'task_conflict' });
    expect(toHttpError(new TaskConflict('not_found', 'Task t not found')).statusCode).toBe(404);
    // fastify's own 4xx: its status, a code of ours and a French message.
    expect(classifyError(Object.assign(new Error('Body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' })))
      .toEqual({ statusCode: 413, message: 'Requête trop volumineuse : le corps dépasse la taille admise' });
    expect(toHttpError(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' })))
      .toMatchObject({ statusCode: 415, code: 'unsupported_media_type' });
  });

  it('answers RFC 9457 problem details: a type per code, a French title, the status, the detail, the code', () => {
    expect(new HttpError(409, 'La tâche 1 est déjà résolue', undefined, { code: 'task_conflict' }).body()).toEqual({
      type: '/problems/task_conflict', title: 'Conflit sur la tâche', status: 409, detail: 'La tâche 1 est déjà résolue',
      code: 'task_conflict', message: 'La tâche 1 est déjà résolue',
    });
    // A code without a title of its own: the status's.
    expect(new HttpError(410, 'x').body()).toMatchObject({ type: '/problems/http_410', title: 'N\'existe plus', code: 'http_410' });
    const invalid = badRequest([{ path: 'invoice.archiveKey', message: 'est obligatoire' }]).body();
    expect(invalid).toMatchObject({ status: 400, code: 'invalid_request', title: 'Requête invalide', errors: [{ path: 'invoice.archiveKey', message: 'est obligatoire' }] });
    expect(invalid.detail).toBe('Requête invalide : invoice.archiveKey est obligatoire');
    for (const code of Object.keys(PROBLEM_TITLES)) expect(PROBLEM_TITLES[code]).toMatch(/^[A-ZÀ-Ý][^.]*$/);
  });
});

describe('loggedPath', () => {
  it('logs a path without its query string, and with no NIR', async () => {
    const { loggedPath } = await import('./app.js');
    expect(loggedPath('/api/invoices?q=1850369123045&limit=5')).toBe('/api/invoices');
    expect(loggedPath('/api/invoices/1850369123045/timeline')).toBe('/api/invoices/[NIR]/timeline');
    expect(loggedPath('/api/invoices/185032A123045')).toBe('/api/invoices/[NIR]');
    expect(loggedPath('/api/invoices/2901122334')).toBe('/api/invoices/2901122334');
  });
});
