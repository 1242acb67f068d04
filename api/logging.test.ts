// The API's logger writes no NIR: log lines fed through its serializers and redaction (pino, as fastify builds it
// from apiLoggerOptions), captured from its stream.

import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { maskNir, REDACTED_PATHS, serializeError } from '../logging.js';
import { captureLogs } from '../test/captured-logs.js';
import { apiLoggerOptions } from './logging.js';

const NIR = '1850369123055';
const CORSICAN_NIR = '185032A12304577';
const KEY = `tpr_abcdefgh_${'k'.repeat(43)}`;

describe('apiLoggerOptions', () => {
  it('no NIR in what is logged: messages, objects at any depth, errors and their causes, request paths; no credentials', async () => {
    const { lines, destination: stream } = captureLogs();
    const app = Fastify({ logger: { ...apiLoggerOptions('info'), stream } });
    app.post('/api/invoices/:id', async (request) => {
      request.log.info({ body: request.body, params: request.params }, 'claim received');
      const cause = new Error(`duplicate key value violates unique constraint: Key (nir)=(${NIR}) already exists`);
      throw Object.assign(new Error(`beneficiary ${NIR} unknown`, { cause }), { statusCode: 500 });
    });
    await app.ready();
    const invoice = { archiveKey: '2901122401', beneficiary: { nir: NIR, firstName: 'Marc' } };
    const res = await app.inject({
      method: 'POST', url: `/api/invoices/${NIR}?q=${CORSICAN_NIR}`, payload: { invoice, invoices: [invoice] },
      headers: { authorization: `Bearer ${KEY}`, cookie: 'tpr_session=secret.mac' },
    });
    expect(res.statusCode).toBe(500);

    app.log.warn(`NIR ${NIR} and ${CORSICAN_NIR} in a message`);
    app.log.info({ claim: { invoice }, nir: NIR, deep: { a: { b: { c: { d: { nir: NIR } } } } } }, 'objects');
    app.log.error({ err: new Error(`no rights for ${CORSICAN_NIR}`) }, 'failed');
    app.log.info({ req: { headers: { authorization: `Bearer ${KEY}` }, body: { key: KEY } } }, 'credentials');
    await app.close();

    const output = lines.join('\n');
    expect(lines.length).toBeGreaterThanOrEqual(6);
    expect(output).not.toContain(NIR);
    expect(output).not.toContain(CORSICAN_NIR);
    // Nothing shaped like a NIR either (but numbers: the timestamps have 13 digits).
    expect(output.replace(/"(time|responseTime)":[0-9.]+/g, '')).not.toMatch(/[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{6}/);
    expect(output).not.toContain(KEY);
    expect(output).not.toContain('secret.mac');
    // What was logged is still there, masked.
    const parsed = lines.map((line) => JSON.parse(line));
    const received = parsed.find((l) => l.msg === 'claim received');
    expect(received.body.invoice.beneficiary).toEqual({ nir: '[Redacted]', firstName: 'Marc' });
    expect(received.body.invoices[0].beneficiary.nir).toBe('[Redacted]');
    expect(received.params.id).toBe('[NIR]');
    expect(parsed.find((l) => l.req)?.req.url).toBe('/api/invoices/[NIR]');
    expect(parsed.find((l) => l.msg?.endsWith('in a message')).msg).toBe('NIR [NIR] and [NIR] in a message');
    expect(parsed.find((l) => l.msg === 'objects')).toMatchObject({ nir: '[Redacted]', claim: { invoice: { beneficiary: { nir: '[Redacted]' } } } });
    expect(parsed.find((l) => l.msg === 'failed').err).toMatchObject({ type: 'Error', message: 'no rights for [NIR]' });
  });

  it('serializeError masks message, frames and causes', () => {
    const err = new Error(`bad ${NIR}`, { cause: new Error(`because ${NIR}`) });
    const serialized = JSON.stringify(serializeError(err));
    expect(serialized).not.toContain(NIR);
    expect(serializeError(err)).toMatchObject({ type: 'Error', message: 'bad [NIR]', cause: { message: 'because [NIR]' } });
  });

  it('maskNir and the redacted paths', () => {
    expect(maskNir(`a ${NIR} b ${CORSICAN_NIR} c 2901122401`)).toBe('a [NIR] b [NIR] c 2901122401');
    expect(REDACTED_PATHS).toContain('req.headers.authorization');
    expect(REDACTED_PATHS).toContain('*.*.*.nir');
  });
});
