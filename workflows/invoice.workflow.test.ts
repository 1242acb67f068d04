// invoiceWorkflow on its own: a Temporal dev server, the workflow bundle, and activities stubbed in memory (the rules
// run on the base case's reference data; no PostgreSQL, no HTTP, no e-mail provider). Every path of the MO, fast:
// paid, replied, a manager's pay / reply / reanalyze / close, an escalation, a refused e-mail, a resolution refused.

import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createActivities, type Activities, type ActivityDependencies, type KnownClaim } from '../activities/index.js';
import { concludeAnalysis } from '../rules/analyze.js';
import { createMemoryPorts } from '../rules/memory-ports.js';
import { baseCase, invoiceWith, toManager, toPractitioner } from '../rules/testing/cases.js';
import type { RecordedAnalysis } from '../rules/backtest.js';
import type { Invoice } from '../rules/types.js';
import { workflowEnvFor } from '../test/workflow-env.js';
import {
  INVOICE_GATES, invoiceWorkflowId, resolveTaskUpdate, statusQuery, type InvoiceState, type InvoiceWorkflowInput, type TaskResolution,
} from './contract.js';
import { invoiceWorkflow } from './index.js';

const ports = createMemoryPorts(baseCase().reference);

/** What each claim's activities were asked, in order, and how the stubs behave for it. */
interface Claim {
  calls: string[];
  slaMs: number;
  /** The provider refuses the PS's address for the claim's own e-mail. */
  refuseMail: boolean;
  known: KnownClaim;
}
const claims = new Map<string, Claim>();
/** The analysis recorded with each claim's decision (rules version, reference facts). */
const recorded = new Map<string, RecordedAnalysis>();
const claim = (archiveKey: string) => claims.get(archiveKey)!;
const log = (archiveKey: string, call: string) => claim(archiveKey).calls.push(call);

type Stubbed = Pick<Activities,
  | 'openAndAnalyseClaim' | 'analyseClaim' | 'concludeAnalysis' | 'recordDecision' | 'recordStatus' | 'claimReply'
  | 'recordReplySent' | 'sendPractitionerReply' | 'openManagerTask' | 'flagEscalation' | 'notifyEscalation'
  | 'recordTaskEvent' | 'resolveManagerTask'>;

const keyOfTask = (taskId: string) => taskId.replace(/-\d+$/, '');
/** The real analysis activity on the memory ports: the rules run as they do in production. */
const { analyseClaim } = createActivities({ ports } as ActivityDependencies);

const activities: Stubbed = {
  async openAndAnalyseClaim(input) {
    const { known } = claim(input.invoice.archiveKey);
    log(input.invoice.archiveKey, known.decision ? 'openClaim' : 'openClaim+analyseClaim');
    return { ...known, analysis: known.decision ? null : await analyseClaim(input) };
  },
  async analyseClaim(input) {
    log(input.invoice.archiveKey, 'analyseClaim');
    return analyseClaim(input);
  },
  async concludeAnalysis(input, finding, trace) {
    log(input.invoice.archiveKey, 'concludeAnalysis');
    return concludeAnalysis(input, finding, trace, ports);
  },
  async recordDecision(d) {
    log(d.archiveKey, `recordDecision:${d.status}${d.claimReply ? '+claimReply' : ''}`);
    if (d.analysis) recorded.set(d.archiveKey, d.analysis);
    return d.claimReply ? 'invoice' : null;
  },
  async recordStatus(input) {
    log(input.archiveKey, `recordStatus:${input.status}`);
  },
  async claimReply(input) {
    log(input.archiveKey, 'claimReply');
    return 'invoice';
  },
  async recordReplySent(input) {
    log(input.archiveKey, 'recordReplySent');
  },
  async sendPractitionerReply(input) {
    log(input.archiveKey, `sendPractitionerReply:${input.attempt}${input.recordSent ? '+recordSent' : ''}`);
    if (claim(input.archiveKey).refuseMail) {
      throw ApplicationFailure.create({ type: 'MailAddressRefusedError', message: 'adresse inconnue', nonRetryable: true });
    }
    return { emailId: `mail-${input.archiveKey}-${input.attempt}`, sentAt: '2016-02-23T10:00:00.000Z' };
  },
  async openManagerTask(input) {
    log(input.archiveKey, `openManagerTask:${input.seq}`);
    return { taskId: `${input.archiveKey}-${input.seq}`, dueAt: '2016-02-25T10:00:00.000Z', slaMs: claim(input.archiveKey).slaMs };
  },
  async flagEscalation(input) {
    log(keyOfTask(input.taskId), 'flagEscalation');
  },
  async notifyEscalation(input) {
    log(keyOfTask(input.taskId), 'notifyEscalation');
  },
  async recordTaskEvent(input) {
    log(keyOfTask(input.taskId), `recordTaskEvent:${input.kind}`);
  },
  async resolveManagerTask(r) {
    log(keyOfTask(r.taskId), `resolveManagerTask:${r.action}`);
  },
} as Stubbed;

const env = workflowEnvFor(activities, 'invoice-workflow-test');

const NEW_CLAIM: KnownClaim = { status: 'analyzing', decision: null, taskCount: 0, unapplied: null };

async function start(invoice: Invoice, options: Partial<Omit<Claim, 'calls'>> & { gates?: null } = {}) {
  const { gates: _gates, ...behaviour } = options;
  claims.set(invoice.archiveKey, { calls: [], slaMs: 3_600_000, refuseMail: false, known: NEW_CLAIM, ...behaviour });
  const input: InvoiceWorkflowInput = { invoice, receivedOn: baseCase().receivedOn, ...(options.gates === null ? {} : { gates: INVOICE_GATES }) };
  return env().client.workflow.start(invoiceWorkflow, { taskQueue: env().taskQueue, workflowId: invoiceWorkflowId(invoice.archiveKey), args: [input] });
}

type Handle = Awaited<ReturnType<typeof start>>;

/** The claim's state once `ready` holds (polled through the status query). */
async function until(handle: Handle, ready: (s: InvoiceState) => boolean): Promise<InvoiceState> {
  for (let i = 0; i < 200; i++) {
    const state = await handle.query(statusQuery);
    if (ready(state)) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${handle.workflowId}: never ready (${JSON.stringify(await handle.query(statusQuery))})`);
}

const openTask = (handle: Handle) => until(handle, (s) => s.status === 'awaiting_manager' && Boolean(s.task)).then((s) => s.task!);
const resolve = (handle: Handle, r: Omit<TaskResolution, 'by'>) =>
  handle.executeUpdate(resolveTaskUpdate, { args: [{ by: 'gestionnaire', ...r }] });

const STEPS = ['G0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7', 'G8'];

describe('invoiceWorkflow (stubbed activities)', () => {
  it('paid: G0 → G8, concluded, decided; nothing else', async () => {
    const handle = await start(invoiceWith('9100000001'));
    const state = await handle.result();
    expect(state).toMatchObject({ status: 'paid', motif: null, route: null });
    expect(state.trace.map((t) => t.step)).toEqual([...STEPS, 'Paid']);
    expect(claim('9100000001').calls).toEqual(['openClaim+analyseClaim', 'recordDecision:paid']);
    expect(state.decision?.rulesVersion).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
    // Recorded with the decision: the rules version and what each port answered (AGICA, PROTIPS, VALERYS, AGAPS).
    const analysis = recorded.get('9100000001')!;
    expect(analysis.rulesVersion).toBe(state.decision?.rulesVersion);
    expect(analysis.result).toMatchObject({ outcome: 'paid', motif: null });
    expect(new Set(analysis.references.calls.map((c) => c.port))).toEqual(new Set(['agica', 'protips', 'valerys', 'agaps']));
  });

  it('started as v4 (its input says so): no patch marker; started without (an API of the release before): by the patches', async () => {
    const markers = async (key: string) => {
      const history = await env().client.workflow.getHandle(invoiceWorkflowId(key)).fetchHistory();
      return history.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch').length;
    };
    const v4 = await start(invoiceWith('9100000010'));
    expect(await v4.result()).toMatchObject({ status: 'paid' });
    expect(await markers('9100000010')).toBe(0);
    const before = await start(invoiceWith('9100000011'), { gates: null });
    expect(await before.result()).toMatchObject({ status: 'paid' });
    expect(await markers('9100000011')).toBe(2); // claim-row-first, then analysis-in-one-activity
    expect(claim('9100000011').calls).toEqual(claim('9100000010').calls);
  });

  it('to the practitioner: the reply e-mailed, then recorded', async () => {
    const handle = await start(invoiceWith('9100000002', toPractitioner));
    const state = await handle.result();
    expect(state).toMatchObject({ status: 'replied', motif: 'facture_assure', route: 'practitioner' });
    expect(claim('9100000002').calls).toEqual([
      'openClaim+analyseClaim', 'recordDecision:awaiting_reply+claimReply', 'sendPractitionerReply:0+recordSent',
    ]);
  });

  it('to a manager who pays: the Update answered with the claim paid', async () => {
    const handle = await start(invoiceWith('9100000003', toManager));
    const task = await openTask(handle);
    expect(task).toMatchObject({ id: '9100000003-1', escalated: false });
    expect(await resolve(handle, { taskId: task.id, action: 'pay' })).toEqual({ taskId: task.id, status: 'paid', nextTaskId: null });
    expect(await handle.result()).toMatchObject({ status: 'paid', task: null });
    expect(claim('9100000003').calls.slice(-4)).toEqual([
      'recordDecision:awaiting_manager', 'openManagerTask:1', 'resolveManagerTask:pay', 'recordStatus:paid',
    ]);
  });

  it('a manager replies with a motif: routed to the PS, the claim\'s own e-mail (attempt 1)', async () => {
    const handle = await start(invoiceWith('9100000005', toManager));
    const task = await openTask(handle);
    const outcome = await resolve(handle, { taskId: task.id, action: 'reply', motif: 'facture_assure', comment: 'adressée à l\'assuré' });
    expect(outcome).toEqual({ taskId: task.id, status: 'awaiting_reply', nextTaskId: null });
    const state = await handle.result();
    expect(state).toMatchObject({ status: 'replied', motif: 'facture_assure', route: 'practitioner' });
    expect(state.decision?.comment).toBe('adressée à l\'assuré');
    expect(claim('9100000005').calls.slice(-5)).toEqual([
      'openManagerTask:1', 'resolveManagerTask:reply', 'concludeAnalysis', 'recordDecision:awaiting_reply',
      'sendPractitionerReply:1+recordSent',
    ]);
  });

  it('reanalysed and still for a manager: a second task, the Update answered with it; resolutions not for it refused', async () => {
    const handle = await start(invoiceWith('9100000006', toManager));
    const first = await openTask(handle);
    const outcome = await resolve(handle, { taskId: first.id, action: 'reanalyze' });
    expect(outcome).toEqual({ taskId: first.id, status: 'awaiting_manager', nextTaskId: '9100000006-2' });
    const second = await openTask(handle);
    expect(second.id).toBe('9100000006-2');
    // Refused by the validator: the task before, or a reply without its motif.
    await expect(resolve(handle, { taskId: first.id, action: 'pay' })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(resolve(handle, { taskId: second.id, action: 'reply' })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    expect(await resolve(handle, { taskId: second.id, action: 'close' })).toEqual({ taskId: second.id, status: 'closed', nextTaskId: null });
    expect(await handle.result()).toMatchObject({ status: 'closed' });
    const calls = claim('9100000006').calls;
    expect(calls.slice(calls.indexOf('resolveManagerTask:reanalyze'))).toEqual([
      'resolveManagerTask:reanalyze', 'analyseClaim', 'recordDecision:awaiting_manager', 'openManagerTask:2',
      'resolveManagerTask:close', 'recordStatus:closed',
    ]);
  });

  it('overdue: escalated once, the managers told, and the claim still waits for its manager', async () => {
    const handle = await start(invoiceWith('9100000007', toManager), { slaMs: 1_000 });
    const task = await until(handle, (s) => s.task?.escalated === true).then((s) => s.task!);
    await until(handle, () => claim('9100000007').calls.includes('notifyEscalation'));
    expect(await resolve(handle, { taskId: task.id, action: 'close' })).toMatchObject({ status: 'closed' });
    expect(await handle.result()).toMatchObject({ status: 'closed' });
    const calls = claim('9100000007').calls;
    expect(calls.filter((c) => c === 'flagEscalation')).toHaveLength(1);
    expect(calls.filter((c) => c === 'notifyEscalation')).toHaveLength(1);
  });

  it('the PS\'s address refused: handed to a manager with the reason, then closed', async () => {
    const handle = await start(invoiceWith('9100000008', toPractitioner), { refuseMail: true });
    const task = await openTask(handle);
    const state = await handle.query(statusQuery);
    expect(state).toMatchObject({ route: 'manager', motif: 'facture_assure' });
    expect(state.trace[state.trace.length - 1]).toMatchObject({ step: 'Routing', check: 'mailRefused', result: 'manager' });
    await resolve(handle, { taskId: task.id, action: 'close' });
    expect(await handle.result()).toMatchObject({ status: 'closed' });
    expect(claim('9100000008').calls.slice(-6)).toEqual([
      'recordDecision:awaiting_reply+claimReply', 'sendPractitionerReply:0+recordSent', 'recordDecision:awaiting_manager', 'openManagerTask:1',
      'resolveManagerTask:close', 'recordStatus:closed',
    ]);
  });

  it('started again on a claim already decided: no new analysis; a resolution recorded but not applied is applied', async () => {
    const invoice = invoiceWith('9100000009', toManager);
    const first = await start(invoice);
    const task = await openTask(first);
    const { decision } = await first.query(statusQuery);
    await first.terminate('the run dies');
    // The row as the first run left it: decided for a manager, its task resolved (pay) but the resolution not applied.
    const again = await start(invoice, {
      known: { status: 'awaiting_manager', decision, taskCount: 1, unapplied: { taskId: task.id, action: 'pay', by: 'gestionnaire' } },
    });
    expect(await again.result()).toMatchObject({ status: 'paid', motif: decision!.motif });
    expect(claim('9100000009').calls).toEqual(['openClaim', 'recordStatus:paid']);
  });
});
