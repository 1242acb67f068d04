import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError, sanitizeError, VALUE_NOT_STORED } from './errors.js';

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

describe('classifyError', () => {
  it('503 when PostgreSQL or Temporal cannot be reached, 500 otherwise', () => {
    expect(classifyError(Object.assign(new Error('x'), { code: 'CONNECT_TIMEOUT' })).statusCode).toBe(503);
    expect(classifyError(new Error('x', { cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }) })).statusCode).toBe(503);
    expect(classifyError(Object.assign(new Error('x'), { name: 'ServiceError' })).statusCode).toBe(503);
    expect(classifyError(new TypeError('x'))).toEqual({ statusCode: 500, message: 'Internal error' });
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
