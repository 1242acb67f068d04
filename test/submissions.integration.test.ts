// A submission is atomic and tells the truth: the critère d'archivage is the claim's idempotency key.
// - another body under a known critère: 409 naming the fields, the first submission stands;
// - concurrent identical submissions: exactly one `duplicate: false`, one workflow;
// - an API killed between the claim's row and its workflow: the next submission starts it (single and batch);
// - a claim decided, its history dropped by Temporal: never decided nor e-mailed again;
// - batches keyed by their GTO task: required, idempotent, 409 on other invoices, pages, adoption, conflicts, and
//   never « FIN OK » while an invoice is undecided.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { baseCase, invoiceWith, toManager, toPractitioner } from '../rules/testing/cases.js';
import type { Invoice } from '../rules/types.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { batchStatusQuery } from '../workflows/contract.js';
import { beforeAgicaLookup } from './faulty-ports.js';
import { createPipeline, sleep, until, type Pipeline, type RunningApi } from './harness.js';


let p: Pipeline;
let api: RunningApi;
beforeAll(async () => {
  p = await createPipeline('submissions', baseCase().reference);
  api = await p.startApi();
}, 120_000);
afterAll(async () => p?.close());

const submit = (invoice: Invoice, extra: Record<string, unknown> = {}) =>
  api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice, receivedOn: '2016-02-23', ...extra } });
const postBatch = (body: Record<string, unknown>) => api.fetch('/api/batches', { method: 'POST', role: 'submitter', json: body });
const workflowExists = (id: string) => p.client.workflow.getHandle(id).describe().then(() => true, (e) => {
  if (e instanceof WorkflowNotFoundError) return false;
  throw e;
});

describe('one critère d\'archivage, one claim', () => {
  it('the same critère with another body: 409 naming the fields that differ; the first submission stands', async () => {
    const first = invoiceWith('7200000001');
    expect((await submit(first)).status).toBe(202);
    const changed = invoiceWith('7200000001', (i) => { i.beneficiary!.lastName = 'ROCHE'; i.acts![1]!.amount = 4; i.totalAmount = 7.15; });
    const res = await submit(changed);
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body.errors.map((e: { path: string }) => e.path)).toEqual(['invoice.acts[1].amount', 'invoice.beneficiary.lastName', 'invoice.totalAmount']);
    expect(body.message).toContain('la première soumission fait foi');
    expect((await submit(first, { receivedOn: '2016-02-24' })).status).toBe(409);
    // The same body again (a retry) is fine, with or without its date.
    expect(await (await submit(first)).json()).toMatchObject({ duplicate: true });
    expect((await api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: first } })).status).toBe(202);
    await p.client.workflow.getHandle('invoice-7200000001').result();
    expect((await p.invoices.get('7200000001'))!.invoice.beneficiary!.lastName).toBe('LEFEVRE');
  });

  it('200 concurrent identical submissions: exactly one says duplicate: false, one workflow', async () => {
    const invoice = invoiceWith('7200000002');
    const answers = await Promise.all(Array.from({ length: 200 }, () => submit(invoice)));
    expect(answers.map((r) => r.status)).toEqual(Array(200).fill(202));
    const bodies = await Promise.all(answers.map((r) => r.json()));
    expect(bodies.filter((b) => b.duplicate === false)).toHaveLength(1);
    const runs = await p.client.workflow.list({ query: `WorkflowId = 'invoice-7200000002'` });
    const ids: string[] = [];
    for await (const run of runs) ids.push(run.runId);
    expect(ids).toHaveLength(1);
  }, 60_000);

  it('a claim decided and e-mailed whose history Temporal dropped is never decided nor e-mailed again', async () => {
    const invoice = invoiceWith('7200000003', toPractitioner);
    expect((await submit(invoice)).status).toBe(202);
    expect((await p.client.workflow.getHandle('invoice-7200000003').result()).status).toBe('replied');
    const mails = (await api.deps.mailer.list({ practitionerNumber: invoice.practitionerNumber! })).items.filter((m) => m.archiveKeys.includes('7200000003'));
    expect(mails).toHaveLength(1);
    // What the namespace's retention does, done now.
    await p.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'invoice-7200000003' } });
    await until('the history gone', async () => !(await workflowExists('invoice-7200000003')));

    const again = await (await submit(invoice)).json();
    expect(again).toMatchObject({ duplicate: true, status: 'replied' });
    await sleep(500);
    expect(await workflowExists('invoice-7200000003')).toBe(false);
    expect((await api.deps.mailer.list({ practitionerNumber: invoice.practitionerNumber! })).items.filter((m) => m.archiveKeys.includes('7200000003'))).toHaveLength(1);
  }, 60_000);
});

describe('an API killed between the rows and the workflow', () => {
  let child: ChildProcess | null = null;
  afterAll(() => { child?.kill('SIGKILL'); });

  /** A real API process that pauses before each Temporal start; resolves with its URL. */
  async function slowApi(): Promise<{ url: string; starting: Promise<string> }> {
    child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'slow-api.ts')], {
      cwd: join(import.meta.dirname, '..'),
      env: {
        ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), DATABASE_URL: p.database.url, TASK_QUEUE: p.taskQueue,
        START_DELAY_MS: '60000', SESSION_SECRET: 'x'.repeat(40), RESEND_API_KEY: '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let onStart: (id: string) => void = () => undefined;
    const starting = new Promise<string>((resolve) => { onStart = resolve; });
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const listening = /listening (\S+)/.exec(out);
        if (listening) resolve(listening[1]!);
        const started = /starting (\S+)/.exec(out);
        if (started) onStart(started[1]!);
      });
      child!.once('exit', (code) => reject(new Error(`the API exited early (${code})`)));
    });
    return { url, starting };
  }

  async function kill(): Promise<void> {
    const c = child!;
    c.kill('SIGKILL');
    if (c.exitCode === null && c.signalCode === null) await new Promise((r) => c.once('exit', r));
    child = null;
  }

  it('a claim: its row is there without a workflow; submitting it again starts it, once', async () => {
    const { url, starting } = await slowApi();
    const invoice = invoiceWith('7200000101');
    const pending = fetch(`${url}/api/invoices`, {
      method: 'POST', headers: { authorization: `Bearer ${api.keys.submitter}`, 'content-type': 'application/json' },
      body: JSON.stringify({ invoice, receivedOn: '2016-02-23' }),
    }).catch(() => null);
    expect(await starting).toBe('invoice-7200000101');
    await kill();
    expect(await pending).toBeNull();
    expect((await p.invoices.get('7200000101'))!.status).toBe('analyzing');
    expect(await workflowExists('invoice-7200000101')).toBe(false);

    // The client retries (against another API process): the claim is started, and said to be the one it sent.
    const retry = await submit(invoice);
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ duplicate: true, status: 'analyzing' });
    expect((await p.client.workflow.getHandle('invoice-7200000101').result()).status).toBe('paid');
  }, 120_000);

  it('a batch: its 200 rows are there without a workflow; posting it again answers 200 and starts it', async () => {
    const { url, starting } = await slowApi();
    const invoices = Array.from({ length: 200 }, (_, i) => invoiceWith(String(7_300_000_000 + i), i % 2 ? toPractitioner : () => undefined));
    const body = { batchId: 'gto-killed', receivedOn: '2016-02-23', invoices };
    const pending = fetch(`${url}/api/batches`, {
      method: 'POST', headers: { authorization: `Bearer ${api.keys.submitter}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    }).catch(() => null);
    expect(await starting).toBe('batch-gto-killed');
    await kill();
    expect(await pending).toBeNull();
    expect((await p.invoices.list({ batchId: 'gto-killed', limit: 1 })).total).toBe(200);
    expect(await workflowExists('batch-gto-killed')).toBe(false);

    const retry = await postBatch(body);
    expect(retry.status).toBe(200);
    const answer = await retry.json();
    expect(answer).toMatchObject({ batchId: 'gto-killed', status: 'running', invoiceCount: 200, conflicts: [] });
    expect(answer.invoices).toHaveLength(200);
    const state = await p.client.workflow.getHandle<typeof batchWorkflow>('batch-gto-killed').result();
    expect(state).toMatchObject({ phase: 'closed', gtoClosure: 'FIN OK', invoiceCount: 200, decided: 200, paid: 100, emailed: 100 });
  }, 240_000);
});

describe('batches keyed by their GTO task', () => {
  it('batchId is required', async () => {
    const res = await postBatch({ receivedOn: '2016-02-23', invoices: [invoiceWith('7400000001')] });
    expect(res.status).toBe(400);
    expect((await res.json()).errors).toEqual([{ path: 'batchId', message: 'est obligatoire' }]);
  });

  it('posted again, running or closed: 200 with its state; the same id with other invoices: 409 naming them', async () => {
    const invoices = [invoiceWith('7400000011'), invoiceWith('7400000012', toPractitioner)];
    const body = { batchId: 'gto-again', receivedOn: '2016-02-23', invoices };
    const first = await postBatch(body);
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ invoiceCount: 2, invoices: [{ id: '7400000011', duplicate: false }, { id: '7400000012', duplicate: false }] });
    const again = await postBatch(body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ batchId: 'gto-again', invoiceCount: 2, invoices: [{ duplicate: true }, { duplicate: true }], conflicts: [] });

    const other = await postBatch({ ...body, invoices: [...invoices, invoiceWith('7400000013')] });
    expect(other.status).toBe(409);
    expect((await other.json()).errors).toEqual([{ path: 'invoices[2]', message: expect.stringContaining("n'est pas dans le lot") }]);
    const changed = await postBatch({ ...body, invoices: [invoices[0], invoiceWith('7400000012', (i) => { i.totalAmount = 9; })] });
    expect(changed.status).toBe(409);
    expect((await changed.json()).errors.map((e: { path: string }) => e.path)).toEqual(['invoices[1]']);

    expect((await p.client.workflow.getHandle<typeof batchWorkflow>('batch-gto-again').result()).gtoClosure).toBe('FIN OK');
    const closed = await postBatch(body);
    expect(closed.status).toBe(200);
    expect(await closed.json()).toMatchObject({ status: 'closed', invoiceCount: 2 });
    expect((await postBatch({ ...body, invoices: [invoiceWith('7400000014')] })).status).toBe(409);
  }, 60_000);

  it('in pages: opened, appended (a page sent twice changes nothing), closed; no page once it is closed', async () => {
    const page = (from: number) => Array.from({ length: 30 }, (_, i) => invoiceWith(String(7_410_000_000 + from + i), i % 3 ? () => undefined : toPractitioner));
    const opened = await postBatch({ batchId: 'gto-pages', receivedOn: '2016-02-23', invoices: page(0), open: true });
    expect(opened.status).toBe(202);
    expect(await opened.json()).toMatchObject({ status: 'open', invoiceCount: 30 });
    await sleep(300);
    expect(await workflowExists('batch-gto-pages')).toBe(false);

    const append = (invoices: Invoice[]) => api.fetch('/api/batches/gto-pages/invoices', { method: 'POST', role: 'submitter', json: { invoices } });
    expect((await append(page(30))).status).toBe(202);
    const twice = await append(page(30));
    expect(twice.status).toBe(200);
    expect(await twice.json()).toMatchObject({ invoiceCount: 60 });
    expect((await append(page(60))).status).toBe(202);
    // The first request sent again is still a retry of it.
    expect((await postBatch({ batchId: 'gto-pages', receivedOn: '2016-02-23', invoices: page(0), open: true })).status).toBe(200);

    const close = await api.fetch('/api/batches/gto-pages/close', { method: 'POST', role: 'submitter' });
    expect(close.status).toBe(202);
    expect(await close.json()).toMatchObject({ status: 'running', invoiceCount: 90 });
    expect((await api.fetch('/api/batches/gto-pages/close', { method: 'POST', role: 'submitter' })).status).toBe(202);
    const late = await append(page(90));
    expect(late.status).toBe(409);
    expect((await append(page(60))).status).toBe(200);

    const state = await p.client.workflow.getHandle<typeof batchWorkflow>('batch-gto-pages').result();
    expect(state).toMatchObject({ gtoClosure: 'FIN OK', invoiceCount: 90, decided: 90, emailed: 30 });
  }, 120_000);

  it('adopts claims known with the same body: their decisions count, their rows go in its e-mails unless already sent; conflicts are left out', async () => {
    // Submitted on their own first: one answered to the PS (e-mailed), one paid, one for a manager.
    const replied = invoiceWith('7420000001', toPractitioner);
    const paid = invoiceWith('7420000002');
    const manager = invoiceWith('7420000003', toManager);
    for (const invoice of [replied, paid, manager]) expect((await submit(invoice)).status).toBe(202);
    await p.client.workflow.getHandle('invoice-7420000001').result();
    await p.client.workflow.getHandle('invoice-7420000002').result();
    await until('the manager task', () => p.tasks.summary('7420000003-1'));
    const changed = invoiceWith('7420000004');
    expect((await submit(changed)).status).toBe(202);

    const fresh = [invoiceWith('7420000011', toPractitioner), invoiceWith('7420000012', toPractitioner)];
    const res = await postBatch({
      batchId: 'gto-adopt', receivedOn: '2016-02-23',
      invoices: [replied, paid, manager, invoiceWith('7420000004', (i) => { i.totalAmount = 1; }), ...fresh],
    });
    expect(res.status).toBe(202);
    const answer = await res.json();
    expect(answer.conflicts).toEqual([{ archiveKey: '7420000004', reason: expect.stringContaining('autre contenu'), fields: ['invoice.totalAmount'] }]);
    expect(answer.invoiceCount).toBe(5);
    expect(answer.invoices).toEqual([
      expect.objectContaining({ id: '7420000001', duplicate: true, adopted: true, alreadyEmailed: true, status: 'replied' }),
      expect.objectContaining({ id: '7420000002', duplicate: true, adopted: true, status: 'paid' }),
      expect.objectContaining({ id: '7420000003', duplicate: true, adopted: true, status: 'awaiting_manager' }),
      expect.objectContaining({ id: '7420000011', duplicate: false }),
      expect.objectContaining({ id: '7420000012', duplicate: false }),
    ]);
    const state = await p.client.workflow.getHandle<typeof batchWorkflow>('batch-gto-adopt').result();
    expect(state).toMatchObject({ gtoClosure: 'FIN OK', invoiceCount: 5, adopted: 3, decided: 5, paid: 1, emails: 1, emailed: 2, trameRows: 4 });
    // One e-mail for the two fresh rows; the adopted reply was not sent again.
    const mails = (await api.deps.mailer.list({ batchId: 'gto-adopt' })).items;
    expect(mails.map((m) => m.archiveKeys)).toEqual([['7420000011', '7420000012']]);
    const progress = await (await api.fetch('/api/batches/gto-adopt', { role: 'manager' })).json();
    expect(progress).toMatchObject({ status: 'closed', received: 5, adopted: 3, decided: 5, emailed: 3, emailedOnTheirOwn: 1, conflicts: answer.conflicts });
    // The conflicting claim is untouched, and not in the batch.
    expect((await p.invoices.get('7420000004'))).toMatchObject({ batchId: null });
  }, 120_000);

  it('the README\'s walkthrough: a batch of claims already submitted one by one is decided at 100 %, with its Trame', async () => {
    const invoices = [invoiceWith('7430000001', toPractitioner), invoiceWith('7430000002', toManager), invoiceWith('7430000003', toPractitioner)];
    for (const invoice of invoices) expect((await submit(invoice)).status).toBe(202);
    await p.client.workflow.getHandle('invoice-7430000001').result();
    const res = await postBatch({ batchId: 'gto-walkthrough', receivedOn: '2016-02-23', invoices });
    expect(res.status).toBe(202);
    const state = await p.client.workflow.getHandle<typeof batchWorkflow>('batch-gto-walkthrough').result();
    expect(state).toMatchObject({ gtoClosure: 'FIN OK', invoiceCount: 3, adopted: 3, decided: 3, trameRows: 3 });
    const progress = await (await api.fetch('/api/batches/gto-walkthrough', { role: 'manager' })).json();
    expect(progress).toMatchObject({ received: 3, decided: 3, trame: { rowCount: 3 } });
  }, 60_000);
});

describe('never « FIN OK » while an invoice is undecided', () => {
  let q: Pipeline;
  let release: () => void = () => undefined;
  beforeAll(async () => {
    q = await createPipeline('undecided', baseCase().reference, { worker: false });
    const gate = new Promise<void>((r) => { release = r; });
    // AGICA does not answer for this invoice until the test lets it.
    await q.startWorker({ deps: beforeAgicaLookup((invoiceNumber) => (invoiceNumber === 'S-HELD' ? gate : undefined)) });
  }, 120_000);
  afterAll(async () => { release(); await q?.close(); });

  it('the batch waits in « analyzing » for its last decision, then closes', async () => {
    const invoices = [invoiceWith('7440000001'), invoiceWith('7440000002', (i) => { i.invoiceNumber = 'S-HELD'; })];
    await q.service.submitBatch({ batchId: 'gto-held', receivedOn: '2016-02-23', invoices });
    const handle = q.client.workflow.getHandle<typeof batchWorkflow>('batch-gto-held');
    await until('one decision', async () => (await q.invoices.get('7440000001'))?.status === 'paid');
    await sleep(3000);
    expect((await handle.query(batchStatusQuery)).phase).toBe('analyzing');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(await q.service.submitBatch({ batchId: 'gto-held', receivedOn: '2016-02-23', invoices })).toMatchObject({ status: 'running' });
    release();
    expect(await handle.result()).toMatchObject({ gtoClosure: 'FIN OK', decided: 2 });
  }, 120_000);
});
