// The OpenAPI document as a consumer gets it from a running API: valid OpenAPI 3.1 (@apidevtools/swagger-parser),
// every operation named, tagged and with a schema for each response; a client generated from it (openapi-typescript +
// openapi-fetch) type-checks against typed calls to every endpoint, and works against the live API. Then the error
// format's 415 and the task actions' Idempotency-Key.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedReference } from '../db/seed.js';
import { baseCase, caseWith } from '../rules/testing/cases.js';
import { createPipeline, until, type Pipeline, type RunningApi } from '../test/harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

interface Operation {
  operationId?: string;
  tags?: string[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  webhooks?: Record<string, Record<string, Operation>>;
}

let p: Pipeline;
let api: RunningApi;
let doc: Document;
/** Where the generated client is written (inside the repository: it resolves openapi-fetch from node_modules). */
let clientDir: string;

beforeAll(async () => {
  p = await createPipeline('openapi', baseCase().reference);
  api = await p.startApi();
  const res = await fetch(`${api.base}/docs/json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Document;
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  clientDir = join(ROOT, 'test-results', `openapi-client-${process.pid}`);
  mkdirSync(clientDir, { recursive: true });
}, 120_000);
afterAll(async () => {
  if (clientDir) rmSync(clientDir, { recursive: true, force: true });
  await p?.close();
});

/** Every operation of the document (paths and webhooks), named by where it is. */
function operations(d: Document): { where: string; op: Operation; webhook: boolean }[] {
  const out: { where: string; op: Operation; webhook: boolean }[] = [];
  for (const [section, webhook] of [[d.paths, false], [d.webhooks ?? {}, true]] as const) {
    for (const [path, item] of Object.entries(section)) {
      for (const method of METHODS) if (item[method]) out.push({ where: `${method.toUpperCase()} ${path}`, op: item[method]!, webhook });
    }
  }
  return out;
}

describe('GET /docs/json', () => {
  it('is a valid OpenAPI 3.1 document (swagger-parser), without the validator\'s own keywords', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"errorMessage"');
    expect(text).not.toContain('"nullable"');
    // The same validator refuses a broken document: the check can fail.
    const broken = structuredClone(doc);
    (broken.paths['/api/tasks']!.get!.responses as Record<string, unknown>)['200'] = { content: {} };
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });

  it('every operation has a unique operationId, tags, and a schema for each response (webhooks: a body and responses)', () => {
    const all = operations(doc);
    expect(all.length).toBeGreaterThanOrEqual(39);
    const problems: string[] = [];
    const ids = new Map<string, string>();
    for (const { where, op, webhook } of all) {
      // A webhook (a request the API sends) is named by its key; an operationId, when it has one, is unique too.
      if (!op.operationId) { if (!webhook) problems.push(`${where}: no operationId`); }
      else if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} also on ${ids.get(op.operationId)}`);
      else ids.set(op.operationId, where);
      if (!op.tags?.length && !webhook) problems.push(`${where}: no tags`);
      if (webhook && !Object.keys(op.requestBody?.content ?? {}).length) problems.push(`${where}: no request body`);
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) if (!media.schema) problems.push(`${where}: request ${type} without schema`);
      const codes = Object.keys(op.responses ?? {});
      if (!codes.length) problems.push(`${where}: no responses`);
      for (const code of codes) {
        const content = op.responses![code]!.content;
        if (code === '204' || webhook && !content) continue;
        if (!content || !Object.keys(content).length) problems.push(`${where} ${code}: no content`);
        for (const [type, media] of Object.entries(content ?? {})) if (!media.schema) problems.push(`${where} ${code} ${type}: no schema`);
        if (!webhook && Number(code) >= 400 && !content?.['application/problem+json']) problems.push(`${where} ${code}: not application/problem+json`);
      }
      if (!webhook) for (const code of ['500', '503']) if (!codes.includes(code)) problems.push(`${where}: ${code} not declared`);
    }
    expect(problems).toEqual([]);
  });

  it('documents the idempotency keys, the 415 and the examples of examples/cases/', () => {
    const resolve = doc.paths['/api/tasks/{id}/resolve']!.post! as Operation & { parameters?: { name: string; in: string }[] };
    expect(resolve.parameters?.some((x) => x.in === 'header' && x.name === 'idempotency-key')).toBe(true);
    expect(Object.keys(resolve.responses!)).toEqual(expect.arrayContaining(['415', '422']));
    const submit = doc.paths['/api/invoices']!.post!;
    const examples = (submit.requestBody!.content!['application/json'] as { examples?: Record<string, { value: { invoice: { archiveKey: string } } }> }).examples!;
    const paid = JSON.parse(readFileSync(join(ROOT, 'examples/cases/paid.json'), 'utf8')) as { case: { invoice: { archiveKey: string } } };
    expect(examples.paid!.value.invoice.archiveKey).toBe(paid.case.invoice.archiveKey);
    expect(JSON.stringify(submit)).toMatch(/idempotency key/);
  });
});

/** Submits a claim the analysis routes to a manager (« A contrôler »); its task's id once open. */
async function openTask(archiveKey: string): Promise<string> {
  const c = caseWith((x) => { x.invoice.archiveKey = archiveKey; x.reference.insurers = [{ name: 'MGEN', controlThreshold: 1 }]; });
  await seedReference(p.database.db, c.reference);
  expect((await api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: c.invoice, receivedOn: c.receivedOn } })).status).toBe(202);
  return until(`a task for ${archiveKey}`, async () => (await (await api.fetch(`/api/tasks?q=${archiveKey}&status=open`, { role: 'manager' })).json()).items[0]?.id as string | undefined);
}

/** A consumer's code: typed calls to every endpoint, fields read without a cast. */
const CLIENT = `
import createClient from 'openapi-fetch';
import type { paths } from './api.js';

export function clientFor(baseUrl: string, key: string) {
  return createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${key}\` } });
}
type Client = ReturnType<typeof clientFor>;
const task = { params: { path: { id: '6100000001-1' } } };

export async function everyEndpoint(c: Client) {
  const seen: unknown[] = [];
  const health = await c.GET('/health'); seen.push(health.data?.status, health.data?.database.ok);
  const login = await c.POST('/api/session', { body: { key: 'tpr_x' } }); seen.push(login.data?.role, login.error?.code);
  const me = await c.GET('/api/session'); seen.push(me.data?.keyId);
  const out = await c.DELETE('/api/session'); seen.push(out.response.status);
  const keys = await c.GET('/api/keys'); seen.push(keys.data?.items[0]?.revokedAt);
  const created = await c.POST('/api/keys', { body: { role: 'auditor', name: 'x' } }); seen.push(created.data?.key);
  const revoked = await c.DELETE('/api/keys/{id}', { params: { path: { id: 'x' } } }); seen.push(revoked.error?.detail);
  const invoice = baseInvoice();
  const receipt = await c.POST('/api/invoices', { body: { invoice, receivedOn: '2016-02-23' } }); seen.push(receipt.data?.duplicate, receipt.error?.errors?.[0]?.path);
  const invoices = await c.GET('/api/invoices', { params: { query: { status: 'paid', limit: 10 } } }); seen.push(invoices.data?.items[0]?.motif, invoices.data?.total);
  const one = await c.GET('/api/invoices/{id}', { params: { path: { id: '6100000001' } } });
  seen.push(one.data?.decision?.motif, one.data?.decision?.trace[0]?.step, one.data?.trace[0]?.facts, one.data?.email?.sentAt);
  const history = await c.GET('/api/invoices/{id}/history', { params: { path: { id: '6100000001' }, query: { decoded: true } } }); seen.push(history.data?.events.length);
  const wf = await c.GET('/api/histories/{workflowId}', { params: { path: { workflowId: 'invoice-6100000001' } } }); seen.push(wf.data?.events[0]);
  const versions = await c.GET('/api/rules/versions'); seen.push(versions.data?.current, versions.data?.versions[0]?.count, versions.data?.unversioned);
  const ofVersion = await c.GET('/api/invoices', { params: { query: { rulesVersion: '0.1.0+d4f84fdab457' } } }); seen.push(ofVersion.data?.items[0]?.rulesVersion);
  seen.push(one.data?.rulesVersion, one.data?.decision?.rulesVersion);
  const backtest = await c.GET('/api/backtest', { params: { query: { since: '2026-11-01', until: '2026-11-30', motif: 'paid', limit: 100 } } });
  seen.push(backtest.data?.matrix['paid']?.['a_controler'], backtest.data?.movedClaims[0]?.changed?.after?.result, backtest.data?.movedOmitted, backtest.error?.errors);
  const replayed = await c.GET('/api/invoices/{id}/backtest', { params: { path: { id: '6100000001' } } });
  seen.push(replayed.data?.moved, replayed.data?.before[0]?.step, replayed.data?.facts);
  const timeline = await c.GET('/api/invoices/{id}/timeline', { params: { path: { id: '6100000001' } } }); seen.push(timeline.data?.[0]?.kind, timeline.data?.[0]?.label);
  const batch = await c.POST('/api/batches', { body: { batchId: 'gto-client', invoices: [invoice] } }); seen.push(batch.data?.invoices[0]?.id, batch.data?.conflicts[0]?.reason);
  const page = await c.POST('/api/batches/{id}/invoices', { params: { path: { id: 'gto-client' } }, body: { invoices: [invoice] } }); seen.push(page.data?.invoiceCount);
  const closed = await c.POST('/api/batches/{id}/close', { params: { path: { id: 'gto-client' } } }); seen.push(closed.data?.status);
  const progress = await c.GET('/api/batches/{id}', { params: { path: { id: 'gto-client' } } });
  const decided: number | undefined = progress.data?.decided;
  seen.push(decided, progress.data?.trame?.rowCount, progress.data?.gtoClosure, progress.data?.phase);
  const trame = await c.GET('/api/batches/{id}/trame.xlsx', { params: { path: { id: 'gto-client' } }, parseAs: 'blob' }); seen.push(trame.data?.size);
  const motifs = await c.GET('/api/motifs'); seen.push(motifs.data?.[0]?.label);
  const problem = await c.GET('/problems/{code}', { params: { path: { code: 'task_conflict' } } }); seen.push(problem.data?.title);
  const labels = await c.GET('/api/labels'); seen.push(labels.data?.taskSla.text);
  const tasks = await c.GET('/api/tasks', { params: { query: { status: 'open', sort: 'age' } } });
  const firstId: string | undefined = tasks.data?.items[0]?.id;
  seen.push(firstId, tasks.data?.countsByMotif['a_controler'], tasks.data?.overdueCount);
  const detail = await c.GET('/api/tasks/{id}', task); seen.push(detail.data?.decision.reply, detail.data?.invoice.archiveKey, detail.data?.events[0]?.kind, detail.data?.practitioner?.name);
  const claimed = await c.POST('/api/tasks/{id}/claim', { params: { path: { id: '6100000001-1' }, header: { 'idempotency-key': 'k1' } } });
  seen.push(claimed.data?.assignee);
  const released = await c.POST('/api/tasks/{id}/release', task); seen.push(released.data?.status);
  const resolved = await c.POST('/api/tasks/{id}/resolve', { ...task, body: { action: 'reply', motif: 'a_controler', comment: 'ok' } });
  seen.push(resolved.data?.task.resolvedBy, resolved.data?.outcome?.nextTaskId, resolved.error?.code);
  const bulk = await c.POST('/api/tasks/bulk', { body: { action: 'resolve', taskIds: ['6100000001-1'], resolution: { action: 'close' } } });
  seen.push(bulk.data?.results[0]?.ok, bulk.data?.results[0]?.task?.motifLabel, bulk.data?.results[0]?.outcome?.status);
  const events = await c.GET('/api/events', { parseAs: 'stream' }); seen.push(events.response.status);
  const mails = await c.GET('/api/outbox', { params: { query: { kind: 'ps_reply' } } }); seen.push(mails.data?.items[0]?.to[0], mails.data?.items[0]?.status);
  const mail = await c.GET('/api/outbox/{id}', { params: { path: { id: 'x' } } }); seen.push(mail.data?.html, mail.data?.subject);
  const retry = await c.POST('/api/outbox/{id}/retry', { params: { path: { id: 'x' } }, body: { to: ['a@b.fr'] } }); seen.push(retry.data?.retries);
  const open = await c.GET('/api/trames/open.xlsx', { parseAs: 'blob' }); seen.push(open.data?.type);
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(1)]), 'trame.xlsx');
  const imported = await c.POST('/api/trames', { body: { file: 'trame.xlsx' }, bodySerializer: () => form }); seen.push(imported.data, imported.error?.code);
  const decoded = await c.POST('/codec/decode', { body: { payloads: [{ data: '' }] } }); seen.push(decoded.data?.payloads[0]?.metadata);
  const encoded = await c.POST('/codec/encode', { body: { payloads: [] } }); seen.push(encoded.data?.payloads.length);
  const audit = await c.GET('/api/audit', { params: { query: { target: '6100000001' } } }); seen.push(audit.data?.entries[0]?.action, audit.data?.next);
  const auditExport = await c.GET('/api/audit/export', { params: { query: { format: 'csv' } }, parseAs: 'text' }); seen.push(auditExport.data?.length);
  const period = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
  const dashboard = await c.GET('/api/dashboard', { params: { query: period } }); seen.push(dashboard.data?.sla.share, dashboard.data?.claims.received);
  const csv = await c.GET('/api/dashboard.csv', { params: { query: { ...period, figure: 'motifs' } }, parseAs: 'text' }); seen.push(csv.data?.length);
  const endpoints = await c.GET('/api/webhooks'); seen.push(endpoints.data?.items[0]?.url, endpoints.data?.items[0]?.enabled);
  const endpoint = await c.POST('/api/webhooks', { body: { url: 'https://receiver.example.org/tp', events: ['invoice.decided'] } });
  seen.push(endpoint.data?.secret, endpoint.data?.endpoint.id, endpoint.error?.code);
  const ep = { params: { path: { id: endpoint.data?.endpoint.id ?? 'ep_x' } } };
  const endpointRead = await c.GET('/api/webhooks/{id}', ep); seen.push(endpointRead.data?.events[0], endpointRead.data?.disabledAt);
  const changed = await c.PATCH('/api/webhooks/{id}', { ...ep, body: { enabled: false } }); seen.push(changed.data?.enabled, changed.error?.detail);
  const rotated = await c.POST('/api/webhooks/{id}/secret', ep); seen.push(rotated.data?.secret);
  const ping = await c.POST('/api/webhooks/{id}/test', ep); seen.push(ping.data?.eventId, ping.error?.code);
  const deliveries = await c.GET('/api/webhooks/{id}/deliveries', { ...ep, params: { ...ep.params, query: { status: 'delivered' } } });
  seen.push(deliveries.data?.items[0]?.eventId, deliveries.data?.items[0]?.lastStatus);
  const deleted = await c.DELETE('/api/webhooks/{id}', ep); seen.push(deleted.response.status);
  return seen;
}

function baseInvoice() {
  return { archiveKey: '6100000001', practitionerNumber: '123456789', beneficiary: { nir: '1850369123045', lastName: null } };
}
`;

/** Deliberate mistakes a typed client must catch. */
const WRONG = `
import { clientFor } from './client.js';
const c = clientFor('http://127.0.0.1:1', 'k');
export async function wrong() {
  const batch = await c.GET('/api/batches/{id}', { params: { path: { id: 'x' } } });
  const a: string | undefined = batch.data?.decided;
  const tasks = await c.GET('/api/tasks');
  const b = tasks.data?.items[0]?.notAField;
  await c.POST('/api/tasks/{id}/resolve', { params: { path: { id: 'x' } }, body: { action: 'explode' } });
  return [a, b];
}
`;

function typeCheck(files: string[]): readonly ts.Diagnostic[] {
  const program = ts.createProgram(files, {
    strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'], types: [],
  });
  return ts.getPreEmitDiagnostics(program);
}

const format = (diagnostics: readonly ts.Diagnostic[]) => diagnostics.map((d) => {
  const where = d.file && d.start !== undefined ? `${d.file.fileName.split('/').pop()}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
  return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
});

describe('a client generated from the document (openapi-typescript + openapi-fetch)', () => {
  it('type-checks against typed calls to every endpoint; wrong fields and values do not', async () => {
    writeFileSync(join(clientDir, 'api.d.ts'), astToString(await openapiTS(doc as never)));
    writeFileSync(join(clientDir, 'client.ts'), CLIENT);
    writeFileSync(join(clientDir, 'wrong.ts'), WRONG);
    // Every operation of the document is called by the client.
    const called = new Set([...CLIENT.matchAll(/c\.(GET|POST|PATCH|DELETE)\('([^']+)'/g)].map((m) => `${m[1]} ${m[2]}`));
    expect(operations(doc).filter((o) => !o.webhook).map((o) => o.where).filter((w) => !called.has(w))).toEqual([]);

    const diagnostics = typeCheck([join(clientDir, 'client.ts'), join(clientDir, 'wrong.ts')]);
    const inClient = diagnostics.filter((d) => !d.file || !d.file.fileName.endsWith('wrong.ts'));
    expect(format(inClient)).toEqual([]);
    const inWrong = format(diagnostics.filter((d) => d.file?.fileName.endsWith('wrong.ts')));
    expect(inWrong.join('\n')).toMatch(/wrong\.ts:6 Type 'number \| undefined' is not assignable/);
    expect(inWrong.join('\n')).toMatch(/wrong\.ts:8 .*notAField/);
    expect(inWrong.join('\n')).toMatch(/wrong\.ts:9 .*explode/);
  }, 120_000);

  it('reads the live API\'s answers: a batch\'s progress, the inbox, a task', async () => {
    const { clientFor } = (await import(join(clientDir, 'client.ts'))) as {
      clientFor: (base: string, key: string) => {
        GET: (path: string, init?: unknown) => Promise<{ data?: Record<string, unknown>; error?: Record<string, unknown>; response: Response }>;
      };
    };
    const paid = caseWith((x) => { x.invoice.archiveKey = '6100000011'; });
    expect((await api.fetch('/api/batches', { method: 'POST', role: 'submitter', json: { batchId: 'gto-openapi', invoices: [paid.invoice] } })).status).toBe(202);
    const manager = clientFor(api.base, api.keys.manager);
    const batch = await until('the batch decided', async () => {
      const res = await manager.GET('/api/batches/{id}', { params: { path: { id: 'gto-openapi' } } });
      return res.data && res.data.decided === 1 ? res.data : null;
    });
    expect(batch).toMatchObject({ id: 'gto-openapi', invoiceCount: 1, received: 1, workflowId: 'batch-gto-openapi', conflicts: [] });
    expect(Object.keys(batch)).toEqual(expect.arrayContaining(['gtoClosure', 'trame', 'phase', 'refusedPractitioners', 'emailedOnTheirOwn']));
    await openTask('6100000010');
    const tasks = await manager.GET('/api/tasks', { params: { query: { q: '6100000010' } } });
    expect(tasks.data).toMatchObject({ total: 1, limit: 50, offset: 0, overdueCount: 0, countsByMotif: { a_controler: 1 } });
    const task = await manager.GET('/api/tasks/{id}', { params: { path: { id: '6100000010-1' } } });
    expect(task.data).toMatchObject({ id: '6100000010-1', motif: 'a_controler', invoice: { archiveKey: '6100000010' }, decision: { motif: 'a_controler' } });
    const missing = await manager.GET('/api/tasks/{id}', { params: { path: { id: '6199999999-1' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(missing.error).toMatchObject({ code: 'not_found', status: 404 });
  }, 120_000);
});

describe('a wrong content type', () => {
  it('is a 415 problem in French, before the body is validated', async () => {
    for (const [path, role] of [['/api/invoices', 'submitter'], ['/api/tasks/bulk', 'manager']] as const) {
      const res = await api.fetch(path, { method: 'POST', role, headers: { 'content-type': 'text/plain' }, body: '{"invoice":{}}' });
      expect(res.status).toBe(415);
      expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
      expect(await res.json()).toMatchObject({
        type: '/problems/unsupported_media_type', title: 'Type de contenu non pris en charge', status: 415, code: 'unsupported_media_type',
        detail: expect.stringMatching(/^Type de contenu non pris en charge : envoyez application\/json/),
      });
    }
    const type = await (await api.fetch('/problems/unsupported_media_type', { role: null })).json();
    expect(type).toEqual({ type: '/problems/unsupported_media_type', code: 'unsupported_media_type', title: 'Type de contenu non pris en charge' });
  });
});

describe('Idempotency-Key on the task actions', () => {
  const action = (path: string, key: string | null, body?: unknown) => api.fetch(path, {
    method: 'POST', role: 'manager', ...(body === undefined ? {} : { json: body }), headers: key ? { 'idempotency-key': key } : {},
  });
  const auditOf = async (taskId: string) => ((await (await api.fetch(`/api/audit?target=${taskId}`, { role: 'auditor' })).json()).entries as { action: string }[])
    .map((e) => e.action);

  it('the same request again replays the first response, status and body, without acting twice', async () => {
    const taskId = await openTask('6100000020');
    const key = `claim-${taskId}`;
    const first = await action(`/api/tasks/${taskId}/claim`, key);
    expect(first.status).toBe(200);
    const firstBody = await first.text();
    // Released in between: a claim acted on again would take it again (and be audited).
    expect((await action(`/api/tasks/${taskId}/release`, null)).status).toBe(200);
    const again = await action(`/api/tasks/${taskId}/claim`, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(firstBody);
    expect((await (await api.fetch(`/api/tasks/${taskId}`, { role: 'manager' })).json()).assignee).toBeNull();
    expect((await auditOf(taskId)).filter((a) => a === 'task.claim')).toHaveLength(1);

    // A resolution: the same body (fields in another order) replays its 200 and its outcome.
    const resolveKey = `resolve-${taskId}`;
    const resolved = await action(`/api/tasks/${taskId}/resolve`, resolveKey, { action: 'pay', comment: 'contrôle fait' });
    expect(resolved.status).toBe(200);
    const resolvedBody = await resolved.json();
    const replay = await action(`/api/tasks/${taskId}/resolve`, resolveKey, { comment: 'contrôle fait', action: 'pay' });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual(resolvedBody);
    expect((await auditOf(taskId)).filter((a) => a === 'task.pay')).toHaveLength(1);
  });

  it('the same key with another request is a 422 problem idempotency_key_reused; a refusal is replayed as it was', async () => {
    const taskId = await openTask('6100000021');
    const key = `bulk-${taskId}`;
    const first = await action('/api/tasks/bulk', key, { action: 'claim', taskIds: [taskId] });
    expect(first.status).toBe(200);
    const reused = await action('/api/tasks/bulk', key, { action: 'release', taskIds: [taskId] });
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await reused.json()).toMatchObject({ type: '/problems/idempotency_key_reused', title: 'Clé d\'idempotence déjà utilisée', code: 'idempotency_key_reused', status: 422 });
    // The same key on another task (another path) is another request too.
    expect((await action(`/api/tasks/${taskId}/release`, key)).status).toBe(422);
    // Keys are each caller's own: the admin's `key` is a new one.
    const admin = await api.fetch(`/api/tasks/${taskId}/release`, { method: 'POST', role: 'admin', headers: { 'idempotency-key': key } });
    expect(admin.status).toBe(200);

    const refusedKey = `resolve-missing-${taskId}`;
    const missing = await action('/api/tasks/6199999998-1/resolve', refusedKey, { action: 'close' });
    expect(missing.status).toBe(404);
    const missingAgain = await action('/api/tasks/6199999998-1/resolve', refusedKey, { action: 'close' });
    expect(missingAgain.status).toBe(404);
    expect(missingAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(missingAgain.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
  });

  it('a key that is not 1 to 255 characters is a 400 naming the header', async () => {
    const res = await action('/api/tasks/6199999997-1/claim', 'x'.repeat(256));
    expect(res.status).toBe(400);
    expect((await res.json()).errors).toEqual([{ path: 'headers.idempotency-key', message: expect.any(String) }]);
  });
});
