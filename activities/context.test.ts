// Activities log through Context.current().log: the Runtime's logger (the worker's pino logger, logging.ts) with the
// activity's attributes; a NIR in a line comes out masked. Outside an activity, the same helpers do nothing harmful.

import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createLogger, temporalLogger } from '../logging.js';
import { captureLogs } from '../test/captured-logs.js';
import { activityLog, runningActivity } from './context.js';

const NIR = '1850369123055';

describe('activityLog', () => {
  it('in an activity: Context.current().log, to the Runtime\'s logger with the activity\'s attributes, NIR masked', async () => {
    const out = captureLogs();
    const env = new MockActivityEnvironment({ activityType: 'recordDecision' }, { logger: temporalLogger(createLogger({ destination: out.destination })) });
    await env.run(async () => {
      expect(runningActivity()).toBe(Context.current());
      expect(activityLog()).toBe(Context.current().log);
      activityLog().warn(`beneficiary ${NIR} unknown`, { error: new Error(`no rights for ${NIR}`), claim: { nir: NIR } });
    });
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).not.toContain(NIR);
    expect(out.parsed()[0]).toMatchObject({
      level: 40, msg: 'beneficiary [NIR] unknown', activityType: 'recordDecision', sdkComponent: 'activity',
      error: { message: 'no rights for [NIR]' }, claim: { nir: '[Redacted]' },
    });
  });

  it('outside an activity (a direct call): no Context, and a logger all the same', () => {
    expect(runningActivity()).toBeUndefined();
    expect(typeof activityLog().error).toBe('function');
    expect(activityLog()).toBe(activityLog());
  });
});
