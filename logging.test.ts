// The processes' loggers write no NIR: lines written by createLogger and by the Temporal SDK's logger over it
// (temporalLogger, the worker's Runtime logger), captured from their stream and read back as JSON.

import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createLogger, maskNir, maskNirDeep, REDACTED_PATHS, sanitizeError, serializeError, temporalLogger } from './logging.js';
import { captureLogs } from './test/captured-logs.js';

const NIR = '1850369123055';
const CORSICAN_NIR = '185032A12304577';
/** Anything shaped like a NIR, once the timestamps (13 digits) are left out. */
const NIR_SHAPED = /[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{6}/;

/** The captured lines, their timestamps left out. */
function capture() {
  const logs = captureLogs();
  return { ...logs, text: () => logs.lines.join('\n').replace(/"time":[0-9]+/g, '') };
}

describe('createLogger', () => {
  it('redacts every `nir` field and masks NIR-shaped strings in messages, objects and errors', () => {
    const out = capture();
    const log = createLogger({ name: 'worker', destination: out.destination });
    const claim = { archiveKey: '2901122401', beneficiary: { nir: NIR, firstName: 'Marc' }, note: `NIR ${CORSICAN_NIR} au dossier` };
    log.info({ claim, nir: NIR, deep: { a: { b: { c: { d: { nir: NIR } } } } } }, 'claim received');
    log.warn(`worker: beneficiary ${NIR} unknown`);
    log.warn('worker: %s refused', CORSICAN_NIR);
    const cause = new Error(`duplicate key value violates unique constraint: Key (nir)=(${NIR}) already exists`);
    log.error({ err: new Error(`no rights for ${CORSICAN_NIR}`, { cause }) }, 'failed');

    expect(out.lines).toHaveLength(4);
    expect(out.text()).not.toContain(NIR);
    expect(out.text()).not.toContain(CORSICAN_NIR);
    expect(out.text()).not.toMatch(NIR_SHAPED);
    const [received, unknown, refused, failed] = out.parsed();
    expect(received).toMatchObject({
      name: 'worker', level: 30, msg: 'claim received', nir: '[Redacted]',
      claim: { archiveKey: '2901122401', beneficiary: { nir: '[Redacted]', firstName: 'Marc' }, note: 'NIR [NIR] au dossier' },
      deep: { a: { b: { c: { d: { nir: '[Redacted]' } } } } },
    });
    expect(unknown!.msg).toBe('worker: beneficiary [NIR] unknown');
    expect(refused!.msg).toBe('worker: [NIR] refused');
    expect(failed!.err).toMatchObject({ type: 'Error', message: 'no rights for [NIR]', cause: { message: expect.stringContaining('Key (nir)=([NIR])') } });
  });

  it('writes from the level of the Config (LOG_LEVEL), info by default', () => {
    const quiet = capture();
    const log = createLogger({ level: loadConfig({ LOG_LEVEL: 'warn' }).logLevel, destination: quiet.destination });
    log.info('not written');
    log.warn('written');
    expect(quiet.parsed().map((l) => l.msg)).toEqual(['written']);
    expect(log.level).toBe('warn');

    expect(createLogger({ level: loadConfig({}).logLevel, destination: capture().destination }).level).toBe('info');
    expect(createLogger({ destination: capture().destination }).level).toBe('info');
    const verbose = capture();
    createLogger({ level: loadConfig({ LOG_LEVEL: 'debug' }).logLevel, destination: verbose.destination }).debug('written');
    expect(verbose.lines).toHaveLength(1);
  });
});

describe('temporalLogger (the worker\'s Runtime logger)', () => {
  it('the SDK\'s lines at their level, their attributes as fields, errors under any name sanitised and masked', () => {
    const out = capture();
    const log = temporalLogger(createLogger({ level: 'debug', destination: out.destination }));
    const error = new Error(`beneficiary ${NIR} unknown`);
    log.warn('Activity failed', { error, durationMs: 12, activityType: 'recordDecision', workflowId: 'invoice-2901122401', sdkComponent: 'worker', [Symbol.for('log_timestamp')]: 1n });
    log.error(`Error while processing ActivityTask.start: ${error.message}`, { failure: error });
    log.info('invoice decided', { archiveKey: '2901122401', claim: { nir: NIR }, sdkComponent: 'workflow' });
    log.debug('Activity started');
    log.trace('not written');
    log.log('INFO', `log(level) for ${CORSICAN_NIR}`);

    expect(out.text()).not.toContain(NIR);
    expect(out.text()).not.toContain(CORSICAN_NIR);
    expect(out.text()).not.toMatch(NIR_SHAPED);
    const [failed, processing, decided, started, logged] = out.parsed();
    expect(out.lines).toHaveLength(5);
    expect(failed).toMatchObject({
      level: 40, msg: 'Activity failed', durationMs: 12, activityType: 'recordDecision', workflowId: 'invoice-2901122401', sdkComponent: 'worker',
      error: { type: 'Error', message: 'beneficiary [NIR] unknown' },
    });
    expect(processing).toMatchObject({ level: 50, msg: 'Error while processing ActivityTask.start: beneficiary [NIR] unknown', failure: { message: 'beneficiary [NIR] unknown' } });
    expect(decided).toMatchObject({ level: 30, archiveKey: '2901122401', claim: { nir: '[Redacted]' }, sdkComponent: 'workflow' });
    expect(started).toMatchObject({ level: 20, msg: 'Activity started' });
    expect(logged).toMatchObject({ level: 30, msg: 'log(level) for [NIR]' });
  });
});

describe('the masking and redaction', () => {
  it('maskNir, maskNirDeep and the redacted paths', () => {
    expect(maskNir(`a ${NIR} b ${CORSICAN_NIR} c 2901122401`)).toBe('a [NIR] b [NIR] c 2901122401');
    expect(maskNirDeep({ q: NIR, list: [`x${NIR}`], n: 2901122401 })).toEqual({ q: '[NIR]', list: ['x[NIR]'], n: 2901122401 });
    expect(REDACTED_PATHS).toEqual(expect.arrayContaining(['nir', '*.nir', '*.*.*.*.*.*.nir', 'req.headers.authorization', 'headers.cookie', 'body.key']));
  });

  it('serializeError: a failed query\'s text and parameters left out, NIR-shaped numbers masked in message, frames and causes', () => {
    const failedQuery = Object.assign(new Error(`Failed query: select * from invoices where nir = $1\nparams: ${NIR}`), {
      cause: Object.assign(new Error(`invalid input: "${NIR}"`), { code: '22P02', parameters: [NIR], query: 'select …' }),
    });
    const serialized = serializeError(failedQuery);
    expect(JSON.stringify(serialized)).not.toContain(NIR);
    expect(JSON.stringify(serialized)).not.toContain('params');
    expect(serialized).toMatchObject({ type: 'Error', message: expect.stringMatching(/^Failed query/), cause: { code: '22P02' } });
    expect(Object.keys(sanitizeError(failedQuery.cause))).toEqual(expect.not.arrayContaining(['parameters', 'query']));
    expect(serializeError(`just ${NIR}`)).toMatchObject({ type: 'string', message: 'just [NIR]' });
  });
});
