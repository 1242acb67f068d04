// `npm run doctor`: finds each disagreement between the database and Temporal when it is provoked, repairs what is
// safe to repair, finds nothing on a healthy run; exit 2 when it cannot reach the database or Temporal.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runDoctor } from '../bin/doctor.js';
import { createWorkflowMessenger } from '../activities/messenger.js';
import { createBatchRepository } from '../db/batches.js';
import { baseCase, invoiceWith, toManager, toPractitioner } from '../rules/testing/cases.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { statusQuery } from '../workflows/contract.js';
import type { invoiceWorkflow } from '../workflows/invoice.js';
import { createPipeline, until, type Pipeline, type RunningApi } from './harness.js';



let p: Pipeline;
let api: RunningApi;
beforeAll(async () => {
  p = await createPipeline('doctor', baseCase().reference);
  api = await p.startApi();
}, 120_000);
afterAll(async () => p?.close());

const doctor = (repair: boolean) => runDoctor({ db: p.database.db, client: p.client, taskQueue: p.taskQueue, repair, graceMs: 0 });
const kinds = (report: { findings: { kind: string; subject: string }[] }) => report.findings.map((f) => `${f.kind} ${f.subject}`).sort();

describe('npm run doctor', () => {
  it('finds nothing on a healthy run: claims paid, replied, and one waiting for its manager', async () => {
    for (const invoice of [invoiceWith('7500000001'), invoiceWith('7500000002', toPractitioner), invoiceWith('7500000003', toManager)]) {
      await p.service.submit({ invoice, receivedOn: '2016-02-23' });
    }
    await p.client.workflow.getHandle('invoice-7500000001').result();
    await p.client.workflow.getHandle('invoice-7500000002').result();
    await until('the manager task', () => p.tasks.summary('7500000003-1'));
    const report = await doctor(true);
    expect(report.findings).toEqual([]);
    expect(report.checked.claims).toBe(1);
  }, 60_000);

  it('finds each provoked disagreement, repairs what is safe, and the claims then end', async () => {
    const messenger = createWorkflowMessenger(p.client);
    const batches = createBatchRepository(p.database.db);

    // 1. A row without a workflow (the API died between them).
    await p.invoices.recordReceived({ archiveKey: '7500000101', workflowId: 'invoice-7500000101', invoice: invoiceWith('7500000101'), receivedOn: '2016-02-23' });

    // 2. A claim waiting for its manager whose workflow was terminated.
    await p.service.submit({ invoice: invoiceWith('7500000102', toManager), receivedOn: '2016-02-23' });
    await until('its task', () => p.tasks.summary('7500000102-1'));
    await p.client.workflow.getHandle('invoice-7500000102').terminate('provoked by the test');

    // 3. A claim waiting for its batch's e-mail although the row says it went.
    await p.service.submitBatch({ batchId: 'doc-open', receivedOn: '2016-02-23', invoices: [invoiceWith('7500000103', toPractitioner)], complete: false });
    await messenger.startInvoice({ invoice: invoiceWith('7500000103', toPractitioner), receivedOn: '2016-02-23', batchId: 'doc-open' }, p.taskQueue);
    const waiting = p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-7500000103');
    await until('the claim waiting for its reply', async () => (await waiting.query(statusQuery)).status === 'awaiting_reply');
    await p.invoices.recordReplySent({ archiveKey: '7500000103', emailId: 'ps-reply:doc-open:691234567:1', sentAt: new Date().toISOString() });

    // 4. A batch complete whose workflow was never started.
    await batches.addInvoices('doc-nowf', [invoiceWith('7500000104')], '2016-02-23', { create: { complete: true } });

    // 5. A batch closed « FIN OK » with an invoice never decided.
    await batches.addInvoices('doc-ghost', [invoiceWith('7500000105')], '2016-02-23', { create: { complete: true } });
    await p.database.execute(sql`update batches set status = 'closed', gto_closure = 'FIN OK', closed_at = now() where id = 'doc-ghost'`);

    // Until Temporal's visibility sees the claim waiting for its reply.
    await until('visibility', async () => {
      for await (const _ of p.client.workflow.list({ query: `WorkflowId = 'invoice-7500000103' AND InvoiceStatus = 'awaiting_reply'` })) return true;
      return false;
    });

    const listed = await doctor(false);
    expect(kinds(listed)).toEqual([
      'batch_closed_undecided doc-ghost',
      'batch_without_workflow doc-nowf',
      'replied_while_waiting 7500000103',
      'row_without_workflow 7500000101',
      'row_without_workflow 7500000104',
      'row_without_workflow 7500000105',
      'workflow_ended 7500000102',
    ]);
    expect(listed.repaired).toBe(0);
    expect(listed.findings.find((f) => f.subject === '7500000102')!.detail).toBe('claim awaiting_manager, its workflow terminated');

    const repaired = await doctor(true);
    expect(kinds(repaired)).toEqual(kinds(listed));
    const health = await (await api.fetch('/health', { role: 'admin' })).json();
    expect(health.details.consistency.lastDoctorRun).toMatchObject({ findings: 7, repaired: 6, kinds: { row_without_workflow: 3, workflow_ended: 1 } });
    expect(repaired.findings.filter((f) => f.repaired).map((f) => `${f.subject}: ${f.repaired}`).sort()).toEqual([
      '7500000101: workflow started',
      '7500000102: workflow started again',
      '7500000103: workflow told',
      '7500000104: workflow started',
      '7500000105: workflow started',
      'doc-nowf: workflow started',
    ]);

    // Each repaired claim goes on to its end; the terminated one waits on the same task, never a second one.
    expect((await p.client.workflow.getHandle('invoice-7500000101').result()).status).toBe('paid');
    expect((await waiting.result()).status).toBe('replied');
    const resumed = p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-7500000102');
    expect((await until('the resumed wait', async () => (await resumed.query(statusQuery)).task)).id).toBe('7500000102-1');
    expect((await api.fetch('/api/tasks/7500000102-1/resolve', { method: 'POST', role: 'manager', json: { action: 'close' } })).status).toBe(200);
    expect((await resumed.result()).status).toBe('closed');
    expect((await p.tasks.ofInvoice('7500000102')).map((t) => t.id)).toEqual(['7500000102-1']);
    expect(await p.client.workflow.getHandle<typeof batchWorkflow>('batch-doc-nowf').result()).toMatchObject({ gtoClosure: 'FIN OK', decided: 1 });
    await p.client.workflow.getHandle('invoice-7500000105').result();

    // Everything agrees again (the batch closed too early has no undecided invoice left; closing it was a person's call).
    expect(kinds(await doctor(true))).toEqual([]);
  }, 180_000);

  it('a run started again resumes where its row says: it applies a resolution recorded but not applied, and is found waiting for a reply that went', async () => {
    const messenger = createWorkflowMessenger(p.client);
    // A claim waiting for its batch's e-mail, whose run is terminated, then started again by the doctor.
    await p.service.submitBatch({ batchId: 'doc-resume', receivedOn: '2016-02-23', invoices: [invoiceWith('7500000301', toPractitioner)], complete: false });
    await messenger.startInvoice({ invoice: invoiceWith('7500000301', toPractitioner), receivedOn: '2016-02-23', batchId: 'doc-resume' }, p.taskQueue);
    const waiting = p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-7500000301');
    await until('the claim waiting for its reply', async () => (await waiting.query(statusQuery)).status === 'awaiting_reply');
    // A claim whose manager's resolution was recorded, but whose run died before applying it.
    await p.service.submit({ invoice: invoiceWith('7500000302', toManager), receivedOn: '2016-02-23' });
    await until('its task', () => p.tasks.summary('7500000302-1'));
    await p.tasks.resolve({ taskId: '7500000302-1', action: 'pay', motif: null, comment: 'contrôle fait', by: 'Claire Martin' });
    for (const id of ['invoice-7500000301', 'invoice-7500000302']) await p.client.workflow.getHandle(id).terminate('provoked by the test');

    expect(kinds(await doctor(true))).toEqual(['workflow_ended 7500000301', 'workflow_ended 7500000302']);
    // The resolution is applied by the new run: paid, no second task.
    expect((await p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-7500000302').result()).status).toBe('paid');
    expect((await p.tasks.ofInvoice('7500000302')).map((t) => t.id)).toEqual(['7500000302-1']);
    expect((await p.invoices.get('7500000302'))!.status).toBe('paid');

    // The resumed claim says where it is (its search attribute too), and is told when the row says its reply went.
    const resumed = p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-7500000301');
    await until('the resumed claim', async () => (await resumed.query(statusQuery).catch(() => null))?.status === 'awaiting_reply');
    await p.invoices.recordReplySent({ archiveKey: '7500000301', emailId: 'ps-reply:doc-resume:691234567:1', sentAt: new Date().toISOString() });
    await until('visibility', async () => {
      for await (const _ of p.client.workflow.list({ query: `WorkflowId = 'invoice-7500000301' AND ExecutionStatus = 'Running' AND InvoiceStatus = 'awaiting_reply'` })) return true;
      return false;
    });
    expect(kinds(await doctor(true))).toEqual(['replied_while_waiting 7500000301']);
    expect((await resumed.result()).status).toBe('replied');
  }, 120_000);

  it('as a command: --json for scripts, exit 0 when it ran; exit 2 when it cannot reach the database or Temporal', async () => {
    const run = async (env: Record<string, string>, ...args: string[]) => {
      try {
        const { stdout } = await promisify(execFile)('npx', ['tsx', 'bin/doctor.ts', ...args], {
          cwd: join(import.meta.dirname, '..'), env: { ...process.env, ...env },
        });
        return { code: 0, stdout, stderr: '' };
      } catch (error) {
        const e = error as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };
    const env = { DATABASE_URL: p.database.url, TEMPORAL_ADDRESS: inject('temporalAddress'), TASK_QUEUE: p.taskQueue };
    await createBatchRepository(p.database.db).addInvoices('doc-cli', [invoiceWith('7500000201')], '2016-02-23', { create: { complete: true } });
    await p.database.execute(sql`update batches set status = 'closed', gto_closure = 'FIN OK', closed_at = now() where id = 'doc-cli'`);
    const ok = await run(env, '--json', '--dry-run', '--grace', '0s');
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report).toMatchObject({ dryRun: true, repaired: 0 });
    expect(report.findings.map((f: { kind: string; subject: string }) => `${f.kind} ${f.subject}`).sort())
      .toEqual(['batch_closed_undecided doc-cli', 'row_without_workflow 7500000201']);

    const text = await run(env, '--dry-run');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('batch_closed_undecided');

    const noDatabase = await run({ ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(noDatabase.code).toBe(2);
    expect(noDatabase.stderr).toContain('cannot reach the database');
    const noTemporal = await run({ ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(noTemporal.code).toBe(2);
    expect(noTemporal.stderr).toContain('cannot reach Temporal');
  }, 120_000);
});
