// The codec server (POST /codec/decode|encode): who may call it, what it answers, CORS for the Temporal UI's origin
// only, every call audited; and the real temporal CLI decoding a history through it (--codec-endpoint).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { baseCase, invoiceWith } from '../rules/testing/cases.js';
import { ensureTemporalCli } from '../scripts/temporal-cli.js';
import { invoiceWorkflowId } from '../workflows/contract.js';
import { createPipeline, type Pipeline, type RunningApi } from './harness.js';
import { loadConfig } from '../config.js';

const UI_ORIGIN = 'http://127.0.0.1:18233';
const NIR = baseCase().invoice.beneficiary!.nir!;
let p: Pipeline;
let api: RunningApi;
/** The workflow's input payload, as the server stores it (encrypted). */
let stored: { metadata: Record<string, string>; data: string };

const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');

beforeAll(async () => {
  p = await createPipeline('codec', baseCase().reference);
  api = await p.startApi({ trustedOrigins: [UI_ORIGIN] });
  await p.service.submit({ invoice: invoiceWith('8200000001'), receivedOn: '2016-02-23' });
  await p.client.workflow.getHandle(invoiceWorkflowId('8200000001')).result();
  const history = await p.client.workflow.getHandle(invoiceWorkflowId('8200000001')).fetchHistory();
  const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  stored = { metadata: Object.fromEntries(Object.entries(input.metadata!).map(([k, v]) => [k, b64(v)])), data: b64(input.data) };
}, 120_000);
afterAll(async () => p?.close());

const codec = (direction: 'decode' | 'encode', body: unknown, init: Parameters<RunningApi['fetch']>[1] = {}) =>
  api.fetch(`/codec/${direction}`, { method: 'POST', json: body, ...init });

describe('POST /codec/decode and /codec/encode', () => {
  it('stored payloads are encrypted, named by their key id', () => {
    expect(Buffer.from(stored.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(stored.metadata['encryption-key-id']!, 'base64').toString()).toMatch(/^k\d{8}-[0-9a-f]{4}$/);
    expect(Buffer.from(stored.data, 'base64').toString('latin1')).not.toContain(NIR);
  });

  it('401 without credentials, 403 for a submitter; managers, auditors and admins decode', async () => {
    expect((await codec('decode', { payloads: [stored] }, { role: null })).status).toBe(401);
    expect((await codec('decode', { payloads: [stored] }, { role: 'submitter' })).status).toBe(403);
    expect((await codec('encode', { payloads: [stored] }, { role: 'submitter' })).status).toBe(403);
    for (const role of ['manager', 'auditor', 'admin'] as const) {
      const res = await codec('decode', { payloads: [stored] }, { role });
      expect(res.status).toBe(200);
      const [payload] = (await res.json()).payloads;
      expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(payload.data, 'base64').toString()).invoice.beneficiary.nir).toBe(NIR);
    }
  });

  it('encode then decode gives the payload back; payloads in clear pass through', async () => {
    const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"nom":"DUPONT"}').toString('base64') };
    const encoded = (await (await codec('encode', { payloads: [plain] }, { role: 'manager' })).json()).payloads;
    expect(Buffer.from(encoded[0].data, 'base64').toString('latin1')).not.toContain('DUPONT');
    const decoded = (await (await codec('decode', { payloads: encoded }, { role: 'manager' })).json()).payloads;
    expect(decoded).toEqual([plain]);
    expect((await (await codec('decode', { payloads: [plain] }, { role: 'manager' })).json()).payloads).toEqual([plain]);
  });

  it('a payload altered, or of an unknown key: 422; malformed base64: 400', async () => {
    const altered = { ...stored, data: Buffer.from(Buffer.from(stored.data, 'base64').map((b, i) => (i === 20 ? b ^ 1 : b))).toString('base64') };
    const res = await codec('decode', { payloads: [altered] }, { role: 'manager' });
    expect(res.status).toBe(422);
    expect((await res.json()).message).toMatch(/ne peut pas être déchiffrée/);
    const unknown = { ...stored, metadata: { ...stored.metadata, 'encryption-key-id': Buffer.from('k-lost').toString('base64') } };
    expect((await codec('decode', { payloads: [unknown] }, { role: 'manager' })).status).toBe(422);
    expect((await codec('decode', { payloads: [{ data: '%%%' }] }, { role: 'manager' })).status).toBe(400);
  });

  it('CORS: the Temporal UI origin may call with credentials; any other origin gets no CORS grant', async () => {
    const preflight = (origin: string) => fetch(`${api.base}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' },
    });
    const ok = await preflight(UI_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const evil = await preflight('https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const post = await codec('decode', { payloads: [stored] }, { role: 'manager', headers: { origin: UI_ORIGIN, 'x-namespace': 'default' } });
    expect(post.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  });

  it('every call is in the audit log: who, when, how many payloads', async () => {
    await codec('decode', { payloads: [stored, stored, stored] }, { role: 'auditor', headers: { 'x-namespace': 'default' } });
    const audit = await (await api.fetch('/api/audit?action=codec.decode&limit=1', { role: 'admin' })).json();
    expect(audit.entries[0]).toMatchObject({ action: 'codec.decode', actorRole: 'auditor', target: 'default', details: { payloads: 3 } });
    expect(Date.now() - Date.parse(audit.entries[0].at)).toBeLessThan(60_000);
  });
});

describe('the temporal CLI through the codec server', () => {
  const run = promisify(execFile);
  it('temporal workflow show --codec-endpoint decodes with a key; without it, ciphertext', async () => {
    const cli = (await ensureTemporalCli(undefined, loadConfig(process.env).tools))!;
    const args = ['workflow', 'show', '-w', invoiceWorkflowId('8200000001'), '--address', inject('temporalAddress'), '-o', 'json'];
    // The CLI prints payloads' bytes in base64: the input's, read back.
    const input = (stdout: string) => {
      const payload = JSON.parse(stdout).events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
      return { encoding: Buffer.from(payload.metadata.encoding, 'base64').toString(), data: Buffer.from(payload.data, 'base64').toString('latin1') };
    };
    const plain = input((await run(cli, args, { maxBuffer: 32 << 20 })).stdout);
    expect(plain.encoding).toBe('binary/encrypted');
    expect(plain.data).not.toContain(NIR);
    const decoded = input((await run(cli, [...args, '--codec-endpoint', `${api.base}/codec`, '--codec-auth', `Bearer ${api.keys.auditor}`], { maxBuffer: 32 << 20 })).stdout);
    expect(decoded.encoding).toBe('json/plain');
    expect(JSON.parse(decoded.data).invoice.beneficiary.nir).toBe(NIR);
    await expect(run(cli, [...args, '--codec-endpoint', `${api.base}/codec`, '--codec-auth', `Bearer ${api.keys.submitter}`])).rejects.toThrow();
  }, 60_000);
});
