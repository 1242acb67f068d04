// batchWorkflow on its own: a Temporal dev server, the workflow bundle, and the batch's activities stubbed in memory
// (no PostgreSQL, no HTTP, no e-mail provider). Its phases in order — invoices started, every decision awaited, each
// PS e-mailed once a page at a time, the Trame written, the GTO task closed « FIN OK » — and what a refused PS
// address or a failing provider does to them.

import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../activities/index.js';
import { workflowEnvFor } from '../test/workflow-env.js';
import { batchStatusQuery, batchWorkflowId, FAILURE_TYPES, type BatchState } from './contract.js';
import { batchWorkflow } from './index.js';

/** A batch as the stubs see it: its PS (each with its practitioner-routed rows), and what happens to it. */
interface Batch {
  invoiceCount: number;
  practitioners: Map<string, number>;
  calls: string[];
  /** PS whose address the provider refuses. */
  refused: Set<string>;
  /** PS whose first e-mail attempt fails for a reason that is retried (the provider unreachable). */
  failOnce: Set<string>;
  /** Holds the decisions until released (to read the phase meanwhile). */
  decisions: Promise<void>;
}
const batches = new Map<string, Batch>();
const batch = (batchId: string) => batches.get(batchId)!;

type Stubbed = Pick<Activities,
  | 'startBatchInvoices' | 'awaitBatchDecisions' | 'batchPractitioners' | 'sendPractitionerReplies' | 'routeRefusedReplies'
  | 'writeBatchTrame' | 'closeGtoTask'>;

const activities = {
  async startBatchInvoices({ batchId }) {
    batch(batchId).calls.push('startBatchInvoices');
    return { invoiceCount: batch(batchId).invoiceCount, started: batch(batchId).invoiceCount, adopted: 0 };
  },
  async awaitBatchDecisions({ batchId }) {
    const b = batch(batchId);
    await b.decisions;
    b.calls.push('awaitBatchDecisions');
    const rows = [...b.practitioners.values()].reduce((n, r) => n + r, 0);
    return { invoiceCount: b.invoiceCount, decided: b.invoiceCount, paid: b.invoiceCount - rows, routedToPractitioner: rows, routedToManager: 0 };
  },
  async batchPractitioners({ batchId, after, limit }) {
    batch(batchId).calls.push(`batchPractitioners:${after ?? '-'}`);
    return [...batch(batchId).practitioners.keys()].sort().filter((ps) => after === null || ps > after).slice(0, limit);
  },
  async sendPractitionerReplies({ batchId, practitionerNumber }) {
    const b = batch(batchId);
    b.calls.push(`send:${practitionerNumber}`);
    if (b.refused.has(practitionerNumber)) {
      throw ApplicationFailure.create({ type: FAILURE_TYPES.addressRefused, message: 'adresse refusée', nonRetryable: true });
    }
    if (b.failOnce.delete(practitionerNumber)) throw new Error('provider unreachable');
    const rows = b.practitioners.get(practitionerNumber)!;
    return { emails: Math.ceil(rows / 10), rows };
  },
  async routeRefusedReplies({ batchId, practitionerNumber, reason }) {
    batch(batchId).calls.push(`routeRefused:${practitionerNumber}:${reason}`);
    return { rows: batch(batchId).practitioners.get(practitionerNumber)!, emailsSent: 0, rowsSent: 0 };
  },
  async writeBatchTrame({ batchId }) {
    batch(batchId).calls.push('writeBatchTrame');
    const b = batch(batchId);
    return { trameId: `trame-${batchId}`, rowCount: [...b.practitioners.values()].reduce((n, r) => n + r, 0) };
  },
  async closeGtoTask({ batchId }) {
    batch(batchId).calls.push('closeGtoTask');
  },
} as Stubbed;

const env = workflowEnvFor(activities, 'batch-workflow-test');

const psNumber = (i: number) => `69${String(i).padStart(7, '0')}`;

function start(batchId: string, options: { practitioners: number; rowsEach?: number; invoiceCount?: number } & Partial<Pick<Batch, 'refused' | 'failOnce' | 'decisions'>>) {
  const practitioners = new Map(Array.from({ length: options.practitioners }, (_, i) => [psNumber(i), options.rowsEach ?? 3]));
  batches.set(batchId, {
    invoiceCount: options.invoiceCount ?? options.practitioners * (options.rowsEach ?? 3) + 5,
    practitioners, calls: [], refused: options.refused ?? new Set(), failOnce: options.failOnce ?? new Set(),
    decisions: options.decisions ?? Promise.resolve(),
  });
  return env().client.workflow.start(batchWorkflow, { taskQueue: env().taskQueue, workflowId: batchWorkflowId(batchId), args: [{ batchId }] });
}

const sends = (batchId: string) => batch(batchId).calls.filter((c) => c.startsWith('send:'));

describe('batchWorkflow (stubbed activities)', () => {
  it('its phases in order: started, decided, each PS e-mailed once a page at a time, the Trame, « FIN OK »', async () => {
    const handle = await start('B-PHASES', { practitioners: 130, rowsEach: 12 });
    const state: BatchState = await handle.result();
    const calls = batch('B-PHASES').calls;
    expect(calls.slice(0, 3)).toEqual(['startBatchInvoices', 'awaitBatchDecisions', 'batchPractitioners:-']);
    // Two pages of PS (100, then 30 after the 100th); every PS e-mailed exactly once; then the Trame, then the GTO.
    expect(calls.filter((c) => c.startsWith('batchPractitioners'))).toEqual(['batchPractitioners:-', `batchPractitioners:${psNumber(99)}`]);
    expect(sends('B-PHASES').sort()).toEqual(Array.from({ length: 130 }, (_, i) => `send:${psNumber(i)}`));
    expect(calls.slice(-2)).toEqual(['writeBatchTrame', 'closeGtoTask']);
    expect(state).toMatchObject({
      batchId: 'B-PHASES', phase: 'closed', invoiceCount: 130 * 12 + 5, started: 130 * 12 + 5, decided: 130 * 12 + 5,
      paid: 5, routedToPractitioner: 130 * 12, emails: 130 * 2, emailed: 130 * 12, trameId: 'trame-B-PHASES',
      trameRows: 130 * 12, gtoClosure: 'FIN OK',
    });
  });

  it('waits for every decision: the phase reads « analyzing » until the last one, and nothing is e-mailed before', async () => {
    let release!: () => void;
    const decisions = new Promise<void>((r) => (release = r));
    const handle = await start('B-WAIT', { practitioners: 2, decisions });
    for (let i = 0; i < 100 && (await handle.query(batchStatusQuery)).phase !== 'analyzing'; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await handle.query(batchStatusQuery)).phase).toBe('analyzing');
    await new Promise((r) => setTimeout(r, 500));
    expect(sends('B-WAIT')).toEqual([]);
    release();
    expect((await handle.result()).phase).toBe('closed');
    expect(sends('B-WAIT')).toHaveLength(2);
  });

  it('a PS whose address the provider refuses: its rows go to managers, the others are e-mailed, the batch closes', async () => {
    const handle = await start('B-REFUSED', { practitioners: 3, rowsEach: 4, refused: new Set([psNumber(1)]) });
    const state = await handle.result();
    const routed = batch('B-REFUSED').calls.filter((c) => c.startsWith('routeRefused:'));
    expect(routed).toHaveLength(1);
    expect(routed[0]).toMatch(new RegExp(`^routeRefused:${psNumber(1)}:.*adresse refusée`));
    expect(sends('B-REFUSED').filter((c) => c === `send:${psNumber(1)}`)).toHaveLength(1); // not retried
    expect(state).toMatchObject({ phase: 'closed', gtoClosure: 'FIN OK', refusedPractitioners: 1, refusedRows: 4, emailed: 8, emails: 2 });
  });

  it('a provider that fails for a while is retried: the PS e-mailed in the end, counted once', async () => {
    const handle = await start('B-RETRY', { practitioners: 2, rowsEach: 5, failOnce: new Set([psNumber(0)]) });
    const state = await handle.result();
    expect(sends('B-RETRY').filter((c) => c === `send:${psNumber(0)}`)).toHaveLength(2);
    expect(batch('B-RETRY').calls.some((c) => c.startsWith('routeRefused'))).toBe(false);
    expect(state).toMatchObject({ phase: 'closed', emailed: 10, emails: 2, refusedPractitioners: 0 });
  });
});
