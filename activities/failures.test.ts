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
    expect(toApplicationFailure(down, 50)).toMatchObject({ type: 'DependencyUnavailable', nonRetryable: false });
  });

  it(`any other error is retried ${DATA_ERROR_ATTEMPTS - 1} times, then taken for what it is: persistent`, () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'state')");
    expect(toApplicationFailure(bug, 1)).toMatchObject({ type: 'UnexpectedError', nonRetryable: false });
    expect(toApplicationFailure(bug, DATA_ERROR_ATTEMPTS)).toMatchObject({ type: 'PersistentError', nonRetryable: true });
  });

  it('carries the message only: no query parameters, no cause', () => {
    const failed = new Error('Failed query: insert into "invoices"\nparams: 1850369123045', { cause: new Error('boom') });
    const failure = toApplicationFailure(failed, 1);
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
