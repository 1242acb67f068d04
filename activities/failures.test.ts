import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { MailAccountError, MailAddressRefusedError } from './mail/errors.js';
import { DATA_ERROR_ATTEMPTS, toApplicationFailure, withFailureTypes } from './failures.js';

describe('toApplicationFailure', () => {
  it('an AppError keeps its type and says whether to retry', () => {
    expect(toApplicationFailure(new MailAddressRefusedError('Invalid `to` field'))).toMatchObject({ type: 'MailAddressRefusedError', nonRetryable: true, message: 'Invalid `to` field' });
    expect(toApplicationFailure(new MailAccountError('API key is invalid'))).toMatchObject({ type: 'MailAccountError', nonRetryable: false });
  });

  it('an outage is retried whatever the attempt', () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(toApplicationFailure(down, { attempt: 50, execution: null })).toMatchObject({ type: 'DependencyUnavailable', nonRetryable: false });
    const readOnly = Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' });
    const connection = Object.assign(new Error('connection failure'), { code: '08006' });
    for (const e of [readOnly, connection]) expect(toApplicationFailure(e, { attempt: 9, execution: null }).type).toBe('DependencyUnavailable');
  });

  it(`any other error is retried ${DATA_ERROR_ATTEMPTS - 1} times, then taken for what it is: persistent`, () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'state')");
    expect(toApplicationFailure(bug, { attempt: 1, execution: null })).toMatchObject({ type: 'UnexpectedError', nonRetryable: false });
    expect(toApplicationFailure(bug, { attempt: DATA_ERROR_ATTEMPTS, execution: null })).toMatchObject({ type: 'PersistentError', nonRetryable: true });
  });

  it('the attempts spent on an outage do not count: the unexpected errors are counted in a row', () => {
    const execution = 'run-1:7';
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    for (let attempt = 1; attempt <= 20; attempt++) toApplicationFailure(down, { attempt, execution });
    const blip = new Error('socket hang up');
    expect(toApplicationFailure(blip, { attempt: 21, execution })).toMatchObject({ type: 'UnexpectedError', nonRetryable: false });
    expect(toApplicationFailure(blip, { attempt: 22, execution })).toMatchObject({ type: 'UnexpectedError', nonRetryable: false });
    expect(toApplicationFailure(blip, { attempt: 23, execution })).toMatchObject({ type: 'PersistentError', nonRetryable: true });
  });

  it('an ApplicationFailure thrown by our own code keeps its type, with a safe message only', () => {
    const thrown = ApplicationFailure.create({ type: 'X', message: 'bad value "1850369123045"', nonRetryable: true, details: ['1850369123045'] });
    const failure = toApplicationFailure(thrown, { attempt: 1, execution: null });
    expect(failure).toMatchObject({ type: 'X', nonRetryable: true, message: 'bad value "…"' });
    expect(JSON.stringify(failure.details ?? [])).not.toContain('1850369123045');
  });

  it('carries the message only: no query parameters, no cause', () => {
    const failed = new Error('Failed query: insert into "invoices"\nparams: 1850369123045', { cause: new Error('boom') });
    const failure = toApplicationFailure(failed, { attempt: 1, execution: null });
    expect(failure.message).toBe('Failed query: boom');
    expect(failure.cause).toBeUndefined();
    expect(JSON.stringify(failure)).not.toContain('1850369123045');
  });

  it('wraps every activity of a set, keeping their names', async () => {
    const wrapped = withFailureTypes({ async lookup() { throw new MailAddressRefusedError('refused'); }, async ok() { return 1; } });
    expect(wrapped.lookup.name).toBe('lookup');
    await expect(wrapped.lookup()).rejects.toBeInstanceOf(ApplicationFailure);
    expect(await wrapped.ok()).toBe(1);
  });
});
