import { describe, expect, it } from 'vitest';
import { isDataException, safeMessage, unavailableDependency } from './errors.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, parameters: ['1850369123045'] });

describe('safeMessage', () => {
  it('keeps the first line of an error, bounded', () => {
    expect(safeMessage(new Error('one\ntwo'))).toBe('one');
    expect(safeMessage(new Error('x'.repeat(600)), 100)).toHaveLength(100);
    expect(safeMessage('plain')).toBe('plain');
  });

  it('never repeats a failed query\'s text and parameters, nor the values PostgreSQL quotes', () => {
    const cause = pgError('22P02', 'invalid input syntax for type date: "1850369123045"');
    const drizzle = new Error('Failed query: insert into "invoices" values ($1)\nparams: 1850369123045', { cause });
    expect(safeMessage(drizzle)).toBe('Failed query: invalid input syntax for type date: "…"');
    expect(safeMessage(new Error('Failed query: select 1\nparams: 1850369123045'))).toBe('Failed query');
  });
});

describe('unavailableDependency', () => {
  it('tells a database or Temporal outage from any other error, through causes', () => {
    expect(unavailableDependency(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('database');
    expect(unavailableDependency(new Error('wrapped', { cause: pgError('57P01', 'terminating connection') }))).toBe('database');
    expect(unavailableDependency(Object.assign(new Error('14 UNAVAILABLE'), { name: 'ServiceError' }))).toBe('temporal');
    expect(unavailableDependency(new TypeError('x is undefined'))).toBeNull();
    expect(unavailableDependency(pgError('23505', 'duplicate key'))).toBeNull();
  });

  it('a data exception is a value refused, not an outage', () => {
    expect(isDataException(new Error('Failed query', { cause: pgError('22P05', 'unsupported Unicode escape sequence') }))).toBe(true);
    expect(isDataException(pgError('23505', 'duplicate key'))).toBe(false);
  });
});
