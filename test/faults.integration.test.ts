// Faults: a worker killed (SIGKILL) in the middle of an analysis; the invoice still finishes, once, with the
// same decision, when another worker takes over.

import { decodePayloadsInPlace } from '../activities/history-codec.js';
import { spawn } from 'node:child_process';
import { defaultPayloadConverter } from '@temporalio/common';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rulesVersion } from '../activities/rules-version.js';
import { inject } from 'vitest';
import { analyzeCase, baseCase, caseWith } from '../rules/testing/cases.js';
import { invoices as invoicesTable } from '../db/schema.js';
import { eq } from 'drizzle-orm';
import type { invoiceWorkflow } from '../workflows/invoice.js';
import { resolveTaskUpdate, statusQuery } from '../workflows/contract.js';
import { createPipeline, type Pipeline } from './harness.js';

let p: Pipeline;
beforeAll(async () => {
  p = await createPipeline('faults', baseCase().reference, { worker: false });
}, 120_000);
afterAll(async () => p?.close());

function startSlowWorker(env: Record<string, string> = {}) {
  const child = spawn('npx', ['tsx', join(import.meta.dirname, 'slow-worker.ts')], {
    cwd: join(import.meta.dirname, '..'),
    env: {
      ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), DATABASE_URL: p.database.url, TASK_QUEUE: p.taskQueue,
      LOOKUP_DELAY_MS: '400', SESSION_SECRET: 'x'.repeat(40), ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  // Listened to from the start: the exit may come while the test awaits something else after its kill.
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
    child.once('exit', (code) => reject(new Error(`slow worker exited early (${code})`)));
  });
  return { child, ready, exited };
}

describe('a worker killed mid-analysis', () => {
  it('another worker finishes the invoice with the same decision, and nothing is recorded twice', async () => {
    const c = caseWith((x) => { x.invoice.archiveKey = '4000000001'; x.invoice.flags!.carePathRespected = false; });
    const { child, ready, exited } = startSlowWorker();
    await ready;
    const { workflowId } = await p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
    const handle = p.client.workflow.getHandle<typeof invoiceWorkflow>(workflowId);

    // Wait until the worker has the workflow task (the analysis runs in it as local activities, ~0.4 s a lookup),
    // then kill the worker process group without warning: the steps done so far are lost with the workflow task.
    for (let i = 0; ; i++) {
      const history = await handle.fetchHistory();
      if (history.events!.some((e) => e.workflowTaskStartedEventAttributes)) break;
      if (i > 400) throw new Error('the slow worker never took the workflow task');
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 1200));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    expect((await handle.describe()).status.name).toBe('RUNNING');

    const takeover = await p.startWorker();
    const state = await handle.result();
    expect(state.decision).toEqual({ ...(await analyzeCase(c)), rulesVersion: rulesVersion() });
    expect(state.status).toBe('replied');
    const rows = await p.database.db.select().from(invoicesTable).where(eq(invoicesTable.archiveKey, '4000000001'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'replied', motif: 'parcours_soins' });
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.workflowExecutionCompletedEventAttributes)).toHaveLength(1);
    // The new worker ran the analysis again (the killed one had recorded nothing of it): the claim's row read and the
    // analysis (G0…G4 and its conclusion: one activity), the decision's row with who sends the reply, once each (the
    // reply's e-mail records itself on the row).
    const markers = history.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
      .map((e) => (defaultPayloadConverter.fromPayload(e.markerRecordedEventAttributes!.details!.data!.payloads![0] as never) as { activity_type: string }).activity_type);
    expect(markers).toEqual(['openAndAnalyseClaim', 'recordDecision']);
    expect(history.events!.filter((e) => e.workflowTaskTimedOutEventAttributes || e.workflowTaskFailedEventAttributes).length).toBeGreaterThan(0);
    // Leave the task queue to the next test's workers.
    takeover.worker.shutdown();
    await takeover.stopped;
  }, 120_000);
});

describe('a worker killed between a manager task\'s row and its workflow task', () => {
  it('the task row, the workflow\'s state and the API agree once another worker takes over', async () => {
    const c = caseWith((x) => { x.invoice.archiveKey = '4000000002'; x.invoice.adeliNumbers = ['691234567', '750044778']; });
    const { child, ready, exited } = startSlowWorker({ LOOKUP_DELAY_MS: '0', AFTER_TASK_OPENED_MS: '20000' });
    await ready;
    const opened = new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('task-opened')) resolve(); }));
    const { workflowId } = await p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
    const handle = p.client.workflow.getHandle<typeof invoiceWorkflow>(workflowId);

    // The task's row is written (the worker says so, then holds its workflow task): kill now.
    await opened;
    process.kill(-child.pid!, 'SIGKILL');
    expect(await p.tasks.summary('4000000002-1')).toMatchObject({ status: 'open' });
    await exited;
    const before = await handle.fetchHistory();
    await decodePayloadsInPlace(before, p.client.options.loadedDataConverter.payloadCodecs); // stored encrypted
    const recorded = before.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
      .map((e) => (defaultPayloadConverter.fromPayload(e.markerRecordedEventAttributes!.details!.data!.payloads![0] as never) as { activity_type: string }).activity_type);
    expect(recorded).not.toContain('openManagerTask');

    const takeover = await p.startWorker();
    let state = await handle.query(statusQuery);
    for (let i = 0; i < 1200 && !state.task; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = await handle.query(statusQuery);
    }
    // One task, the one the workflow waits on, open in the database too.
    expect(state).toMatchObject({ status: 'awaiting_manager', task: { id: '4000000002-1' } });
    expect(await p.tasks.ofInvoice('4000000002')).toMatchObject([{ id: '4000000002-1', status: 'open', events: [{ kind: 'created' }] }]);
    expect(await p.invoices.get('4000000002')).toMatchObject({ status: 'awaiting_manager' });
    // The decision's activity ran twice (the killed worker's run of it was lost with its workflow task): one line
    // in the claim's journal, under the same key.
    const journal = await p.invoices.decisionsOf('4000000002');
    expect(journal).toHaveLength(1);
    expect(journal[0]).toMatchObject({ analysed: true, decision: { route: 'manager' } });

    const outcome = await handle.executeUpdate(resolveTaskUpdate, { args: [{ taskId: '4000000002-1', action: 'close', by: 'test' }] });
    expect(outcome).toEqual({ taskId: '4000000002-1', status: 'closed', nextTaskId: null });
    expect((await handle.result()).status).toBe('closed');
    expect(await p.tasks.summary('4000000002-1')).toMatchObject({ status: 'resolved', resolvedBy: 'test' });
    expect(await p.invoices.get('4000000002')).toMatchObject({ status: 'closed' });
    takeover.worker.shutdown();
    await takeover.stopped;
  }, 120_000);
});
