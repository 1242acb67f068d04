// Health data out of Temporal: a batch and every manager action run through the real pipeline, then every event of
// every history is read straight from the Temporal server (no codec) and searched for the test beneficiaries' NIR,
// names and birth date — in clear, in base64 (each alignment), JSON-escaped. The same histories replay with the
// key; the auditor's export is the ciphertext, and the decoded export (audited) has the data back.

import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataConverterFromEnv } from '../temporal.js';
import { seedReference } from '../db/seed.js';
import { caseWith, toManager, toPractitioner } from '../rules/testing/cases.js';
import type { Invoice } from '../rules/types.js';
import { batchWorkflowId, invoiceWorkflowId } from '../workflows/contract.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { workflowBundle } from '../worker.js';
import { createPipeline, until, type Pipeline, type RunningApi } from './harness.js';

const { temporal } = proto;

// Distinctive values (long enough that no ciphertext can hold them by chance), accents included for JSON escapes.
const PEOPLE = [
  { nir: '2870475123456', lastName: 'QUINTANILLA-VERDUGO', firstName: 'Héloïse-Anaïs', birthDate: '1987-04-19' },
  { nir: '1790913987654', lastName: 'BRZĘCZYSZCZYKIEWICZ', firstName: 'Bartholomé', birthDate: '1979-09-13' },
];
const SECRETS = PEOPLE.flatMap((p) => [p.nir, p.lastName, p.firstName, p.birthDate]);

/** Every way a value may be written into a history's bytes or its JSON: plain, JSON-escaped, base64 at any offset. */
function forms(value: string): string[] {
  const out = new Set<string>([value, JSON.stringify(value).slice(1, -1), JSON.stringify(value).slice(1, -1).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)]);
  const bytes = Buffer.from(value, 'utf8');
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // Drop the characters that depend on the unknown neighbours: the first (shift ? 1-2 : 0) and the last 4.
    const start = shift === 0 ? 0 : shift === 1 ? 2 : 3;
    const core = b64.slice(start, b64.length - 4);
    if (core.length >= 8) out.add(core);
  }
  return [...out];
}

function leaks(haystack: string | Buffer): string[] {
  const text = Buffer.isBuffer(haystack) ? haystack.toString('latin1') + haystack.toString('utf8') : haystack;
  return SECRETS.filter((secret) => forms(secret).some((form) => text.includes(form)));
}

let p: Pipeline;
let api: RunningApi;
const invoices: Invoice[] = [];
const managerKeys = ['8100000003', '8100000004', '8100000005', '8100000006'];

beforeAll(async () => {
  const reference = caseWith(() => undefined).reference!;
  const template = reference.beneficiaries![0]!;
  reference.beneficiaries = PEOPLE.map((person) => ({ ...structuredClone(template), ...person }));
  p = await createPipeline('encryption', reference);
  api = await p.startApi();
  await seedReference(p.database.db, reference);
  const keys = ['8100000001', '8100000002', ...managerKeys];
  keys.forEach((key, i) => {
    const person = PEOPLE[i % 2]!;
    const base = caseWith((c) => { c.invoice.archiveKey = key; c.invoice.invoiceNumber = `N-${key}`; }).invoice;
    base.beneficiary = { ...base.beneficiary!, ...person, birthRank: 1 };
    if (i === 1) toPractitioner(base);
    if (i >= 2) toManager(base);
    invoices.push(base);
  });
}, 120_000);
afterAll(async () => p?.close());

describe('a full run leaves no personal data in Temporal', () => {
  it('batch, then claim, release, pay, reply, reanalyze, close: every raw event holds none of it; all replay with the key', async () => {
    const res = await api.fetch('/api/batches', { method: 'POST', role: 'submitter', json: { batchId: 'crypt-1', receivedOn: '2016-02-23', invoices } });
    expect(res.status).toBe(202);
    const task = (key: string) => until(`the task of ${key}`, async () => (await p.tasks.ofInvoice(key)).find((t) => t.status === 'open'));

    // Every manager action on the batch's four manager tasks.
    const [t1, t2, t3, t4] = await Promise.all(managerKeys.map(task));
    expect((await api.fetch(`/api/tasks/${t1!.id}/claim`, { method: 'POST', role: 'manager' })).status).toBe(200);
    expect((await api.fetch(`/api/tasks/${t1!.id}/release`, { method: 'POST', role: 'manager' })).status).toBe(200);
    expect((await api.fetch(`/api/tasks/${t1!.id}/claim`, { method: 'POST', role: 'manager' })).status).toBe(200);
    const resolve = (id: string, body: unknown) => api.fetch(`/api/tasks/${id}/resolve`, { method: 'POST', role: 'manager', json: body });
    expect((await resolve(t1!.id, { action: 'pay', comment: 'vu avec QUINTANILLA-VERDUGO Héloïse-Anaïs' })).status).toBeLessThan(300);
    expect((await resolve(t2!.id, { action: 'reply', motif: 'beneficiaire_non_couvert' })).status).toBeLessThan(300);
    expect((await resolve(t3!.id, { action: 'reanalyze' })).status).toBeLessThan(300);
    expect((await resolve(t4!.id, { action: 'close', comment: 'Bartholomé BRZĘCZYSZCZYKIEWICZ né le 1979-09-13' })).status).toBeLessThan(300);
    const again = await until('the reanalysed task', async () => (await p.tasks.ofInvoice(managerKeys[2]!)).find((t) => t.status === 'open' && t.id !== t3!.id));
    expect((await resolve(again!.id, { action: 'close' })).status).toBeLessThan(300);
    await p.client.workflow.getHandle<typeof batchWorkflow>(batchWorkflowId('crypt-1')).result();

    // Straight from the server: the workflow service, no data converter in between.
    const workflowIds = [batchWorkflowId('crypt-1'), ...invoices.map((i) => invoiceWorkflowId(i.archiveKey))];
    const bundle = await workflowBundle();
    const dataConverter = dataConverterFromEnv(process.env);
    for (const workflowId of workflowIds) {
      const events: unknown[] = [];
      let nextPageToken: Uint8Array | undefined;
      do {
        const page = await p.client.connection.workflowService.getWorkflowExecutionHistory({
          namespace: 'default', execution: { workflowId }, nextPageToken, maximumPageSize: 1000,
        });
        for (const event of page.history?.events ?? []) {
          const raw = Buffer.from(temporal.api.history.v1.HistoryEvent.encode(event).finish());
          const found = leaks(raw);
          if (found.length) throw new Error(`${workflowId} event ${event.eventId} (${event.eventType}) holds ${found.join(', ')} in clear`);
          events.push(event);
        }
        nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      } while (nextPageToken);
      expect(events.length).toBeGreaterThan(3);
      const history = { events } as never;
      expect(leaks(JSON.stringify(historyToJSON(history)))).toEqual([]);
      await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, history, workflowId);
    }
    // The claims did carry those names: the test would see them if they were there.
    expect(leaks(JSON.stringify(invoices))).toEqual(expect.arrayContaining(SECRETS));
  }, 240_000);

  it('the export is the ciphertext by default; decoded=true gives the data back, and both are audited', async () => {
    const key = '8100000001';
    const encrypted = await api.fetch(`/api/invoices/${key}/history`, { role: 'auditor' });
    expect(encrypted.status).toBe(200);
    expect(encrypted.headers.get('x-history-payloads')).toBe('encrypted');
    expect(leaks(await encrypted.text())).toEqual([]);
    const decoded = await api.fetch(`/api/invoices/${key}/history?decoded=true`, { role: 'auditor' });
    expect(decoded.headers.get('x-history-payloads')).toBe('decoded');
    const text = await decoded.text();
    expect(leaks(text)).toEqual(expect.arrayContaining([PEOPLE[0]!.nir, PEOPLE[0]!.lastName]));
    // Failures' messages come back too (none here), and the decoded history still replays.
    const { historyFromJSON } = await import('@temporalio/common/lib/proto-utils.js');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, historyFromJSON(JSON.parse(text)), invoiceWorkflowId(key));

    const audit = await (await api.fetch(`/api/audit?target=${key}`, { role: 'auditor' })).json();
    expect(audit.entries.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['history.export', 'history.export.decoded']));
    expect(audit.entries.find((e: { action: string }) => e.action === 'history.export.decoded')).toMatchObject({ actorRole: 'auditor', actorName: 'auditor-encryption' });
  }, 120_000);

  it('the timeline (console) still reads the encrypted history: the steps and the decision', async () => {
    const timeline = await (await api.fetch('/api/invoices/8100000002/timeline', { role: 'manager' })).json();
    expect(timeline.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['received', 'step', 'decided']));
  });

  it('reads of personal data are audited; the audit log is for admins and auditors, and has no way to change it', async () => {
    await api.fetch('/api/invoices/8100000002', { role: 'submitter' });
    const entries = (await (await api.fetch('/api/audit?target=8100000002', { role: 'admin' })).json()).entries;
    expect(entries.map((e: { action: string; actorRole: string }) => `${e.action}:${e.actorRole}`))
      .toEqual(expect.arrayContaining(['invoice.read:submitter', 'timeline.read:manager']));
    expect((await api.fetch('/api/audit', { role: 'manager' })).status).toBe(403);
    expect((await api.fetch('/api/audit', { role: 'submitter' })).status).toBe(403);
    expect((await api.fetch('/api/audit', { role: null })).status).toBe(401);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect((await api.fetch('/api/audit', { method, role: 'admin' })).status).toBe(404);
    const csv = await api.fetch('/api/audit/export?format=csv', { role: 'auditor' });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe('id,at,actorKeyId,actorName,actorRole,action,target,details,ip');
    expect(lines.some((l) => l.includes(',invoice.read,8100000002,'))).toBe(true);
    const exported = (await (await api.fetch('/api/audit?action=audit.export', { role: 'auditor' })).json()).entries;
    expect(exported[0]).toMatchObject({ actorRole: 'auditor', details: { format: 'csv' } });
  });
});
