// `npm run doctor -- [--json] [--dry-run] [--deep] [--grace <duration>]`: compares the database with Temporal and lists what
// disagrees, repairing what is safe to repair (every workflow resumes from its claim's row, so starting one again
// never decides or e-mails twice):
//
//   row_without_workflow      a claim not finished, no workflow           → its workflow started
//   workflow_ended            a claim not finished, its run was           → started again (the new run resumes)
//                             terminated, timed out or cancelled
//   workflow_failed           a claim not finished, its run failed        (left to a person: a cause to fix first)
//   workflow_completed_early  a claim not finished, its run completed     (left to a person: older releases ended so)
//   replied_while_waiting     the row says the reply went, the workflow   → told (replySent signal)
//                             still waits for it
//   batch_without_workflow    a batch complete, no workflow               → its workflow started
//   batch_workflow_ended      a batch complete, its run terminated…       → started again
//   batch_workflow_failed     a batch complete, its run failed            (left to a person)
//   batch_closed_undecided    a batch closed « FIN OK » with an invoice   (left to a person)
//                             still being analysed
//   workflow_task_failing     a claim's workflow failing on every task    (left to a person: a bug to fix, then it goes on)
//   activity_retrying         an activity of a claim retried 15+ times    (left to a person: a dependency or our config)
//   mail_stuck_sending        an e-mail left `sending` for 10 minutes     (left to a person: the console sends it again)
//
// Exit 0 when it ran (findings or not: they are in its output), 2 when it cannot reach the database or Temporal (or
// its arguments are wrong), 1 on any other error.
// Environment (config.ts): DATABASE_URL (else the embedded PGlite under DATA_DIR: stop `npm start` first),
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TASK_QUEUE. Each run is recorded; /health shows admins the last one.

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { createWorkflowMessenger } from '../activities/messenger.js';
import { inParallel } from '../activities/parallel.js';
import { dataConverterOf, temporalClient } from '../temporal.js';
import { DEFAULT_TEMPORAL_ADDRESS, loadConfig, parseDuration } from '../config.js';
import { openDatabase, type Database } from '../db/client.js';
import { createConsistencyRepository, type DoctorFinding, type UnfinishedClaim } from '../db/consistency.js';
import { safeMessage, unavailableDependency } from '../rules/errors.js';
import { batchStatusQuery, batchWorkflowId, replySentSignal } from '../workflows/contract.js';

export interface DoctorOptions {
  db: Database;
  client: Client;
  taskQueue: string;
  /** False: list only. */
  repair: boolean;
  /** Claims younger than this are being started right now: not looked at (default 5 s). */
  graceMs?: number;
  /**
   * Also describe each running claim's workflow, to find a workflow task or an activity failing over and over
   * (default: when there are at most 2 000 unfinished claims; otherwise only the claims not running are described).
   */
  deep?: boolean;
}

export interface DoctorReport {
  findings: DoctorFinding[];
  repaired: number;
  checked: { claims: number; batches: number; waitingForReply: number };
}

/** Runs ended by someone or by a timeout: started again (a failed run is a bug to look at first: reported). */
const ENDED = new Set(['TERMINATED', 'TIMED_OUT', 'CANCELLED']);
/** Up to this many unfinished claims, each running workflow is described too (stuck tasks and activities). */
const DEEP_LIMIT = 2000;
/** A workflow task failing this many times in a row (an activity: three times more) is stuck, not unlucky. */
const STUCK_ATTEMPTS = 5;
const PAGE = 500;


export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { client, taskQueue, repair } = options;
  const graceMs = options.graceMs ?? 5000;
  const repo = createConsistencyRepository(options.db);
  const messenger = createWorkflowMessenger(client);
  const findings: DoctorFinding[] = [];
  const checked = { claims: 0, batches: 0, waitingForReply: 0 };

  /** The run's status (`RUNNING`, `FAILED`…) and what it is retrying, or null when Temporal has no such workflow. */
  const describe = (workflowId: string) => client.workflow.getHandle(workflowId).describe().then((d) => ({
    status: d.status.name as string,
    workflowTaskAttempt: d.raw.pendingWorkflowTask?.attempt ?? 0,
    activities: (d.raw.pendingActivities ?? []).map((a) => ({ type: a.activityType?.name ?? '?', attempt: a.attempt ?? 0, failure: a.lastFailure?.message ?? '' })),
  }), (error: unknown) => {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  });
  const statusOf = async (workflowId: string) => (await describe(workflowId))?.status ?? null;
  const found = async (kind: string, subject: string, detail: string, fix: (() => Promise<unknown>) | null, fixed: string) => {
    let repaired: string | null = null;
    if (fix && repair) {
      try {
        await fix();
        repaired = fixed;
      } catch (error) {
        detail += ` (repair failed: ${safeMessage(error)})`;
      }
    }
    findings.push({ kind, subject, detail, repaired });
  };

  // A batch's invoices are started by its workflow once it is complete: while it is open, or still starting them, a
  // claim of it without a workflow is expected.
  const batchStarting = new Map<string, Promise<boolean>>();
  const isStarting = (batchId: string) => {
    let p = batchStarting.get(batchId);
    if (!p) {
      p = client.workflow.getHandle(batchWorkflowId(batchId)).query(batchStatusQuery).then((s) => s.phase === 'starting', () => false);
      batchStarting.set(batchId, p);
    }
    return p;
  };

  // The running ones, from visibility: with many claims waiting for their managers, only the others are described.
  const runningClaims = new Set<string>();
  for await (const run of client.workflow.list({ query: `WorkflowType = 'invoiceWorkflow' AND ExecutionStatus = 'Running'` })) runningClaims.add(run.workflowId);
  const deep = options.deep ?? (await repo.unfinishedCount()) <= DEEP_LIMIT;

  async function checkClaim(claim: UnfinishedClaim): Promise<void> {
    if (claim.ageMs < graceMs) return;
    checked.claims++;
    if (!deep && runningClaims.has(claim.workflowId)) return;
    const run = await describe(claim.workflowId);
    const status = run?.status ?? null;
    if (status === 'RUNNING') {
      // Running, but stuck: its own code failing on every task, or an activity retried over and over.
      if (run!.workflowTaskAttempt >= STUCK_ATTEMPTS) {
        await found('workflow_task_failing', claim.archiveKey, `claim ${claim.status}, its workflow task failed ${run!.workflowTaskAttempt} times in a row`, null, '');
      }
      for (const a of run!.activities.filter((x) => x.attempt >= STUCK_ATTEMPTS * 3)) {
        await found('activity_retrying', claim.archiveKey, `claim ${claim.status}, ${a.type} at attempt ${a.attempt}: ${a.failure}`, null, '');
      }
      return;
    }
    const input = { invoice: claim.invoice, receivedOn: claim.receivedOn, batchId: claim.batchId };
    if (status === null) {
      // A batch starts its invoices once complete, a window at a time: until then, no workflow is expected.
      if (claim.batchStatus === 'open' || (claim.batchId && claim.batchStatus === 'running' && (await isStarting(claim.batchId)))) return;
      await found('row_without_workflow', claim.archiveKey, `claim ${claim.status}, no workflow in Temporal`,
        () => messenger.startInvoice(input, taskQueue), 'workflow started');
    } else if (ENDED.has(status)) {
      await found('workflow_ended', claim.archiveKey, `claim ${claim.status}, its workflow ${status.toLowerCase()}`,
        () => messenger.restart('invoice', input, taskQueue), 'workflow started again');
    } else if (status === 'FAILED') {
      await found('workflow_failed', claim.archiveKey, `claim ${claim.status}, its workflow failed (its history says why; fix the cause, then start it again)`, null, '');
    } else {
      await found('workflow_completed_early', claim.archiveKey, `claim ${claim.status}, its workflow completed`, null, '');
    }
  }

  for (let after: string | null = null; ;) {
    const page = await repo.unfinishedClaims(after, PAGE);
    await inParallel(page, 16, checkClaim);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.archiveKey;
  }

  // Workflows waiting for their reply although the database says it was sent.
  const waiting: string[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowType = 'invoiceWorkflow' AND ExecutionStatus = 'Running' AND InvoiceStatus = 'awaiting_reply'` })) {
    waiting.push(run.workflowId.replace(/^invoice-/, ''));
  }
  checked.waitingForReply = waiting.length;
  for (let i = 0; i < waiting.length; i += PAGE) {
    for (const r of await repo.replied(waiting.slice(i, i + PAGE))) {
      await found('replied_while_waiting', r.archiveKey, `reply sent (${r.emailId}), the workflow still waits for it`,
        () => client.workflow.getHandle(`invoice-${r.archiveKey}`).signal(replySentSignal, { emailId: r.emailId, sentAt: r.emailedAt }), 'workflow told');
    }
  }

  // Batches.
  for (const { batchId, undecided } of await repo.closedBatchesWithUndecided()) {
    await found('batch_closed_undecided', batchId, `closed « FIN OK » with ${undecided} invoice(s) still being analysed`, null, '');
  }
  const running = await repo.runningBatches();
  checked.batches = running.length;
  await inParallel(running, 8, async (batchId) => {
    const status = await statusOf(batchWorkflowId(batchId));
    if (status === 'RUNNING') return;
    if (status === null) {
      await found('batch_without_workflow', batchId, 'batch complete, no workflow in Temporal', () => messenger.startBatch(batchId, taskQueue), 'workflow started');
    } else if (ENDED.has(status)) {
      await found('batch_workflow_ended', batchId, `batch complete, its workflow ${status.toLowerCase()}`, () => messenger.restart('batch', batchId, taskQueue), 'workflow started again');
    } else if (status === 'FAILED') {
      await found('batch_workflow_failed', batchId, 'batch complete, its workflow failed (its history says why)', null, '');
    } else {
      await found('batch_completed_early', batchId, 'batch not closed, its workflow completed', null, '');
    }
  });

  for (const mail of await repo.stuckMails(10 * 60_000)) {
    await found('mail_stuck_sending', mail.id, `${mail.kind} e-mail left « sending » for over 10 minutes`, null, '');
  }

  const repaired = findings.filter((f) => f.repaired).length;
  await repo.recordRun(findings, repaired);
  return { findings, repaired, checked };
}

function print(report: DoctorReport, repair: boolean): string {
  const lines = [`checked ${report.checked.claims} unfinished claim(s), ${report.checked.batches} running batch(es), ${report.checked.waitingForReply} workflow(s) waiting for a reply`];
  if (report.findings.length === 0) lines.push('nothing disagrees');
  for (const f of report.findings) {
    lines.push(`${f.kind.padEnd(26)} ${f.subject.padEnd(14)} ${f.detail}${f.repaired ? ` → ${f.repaired}` : repair ? ' → left to a person' : ''}`);
  }
  lines.push(`${report.findings.length} finding(s), ${report.repaired} repaired${repair ? '' : ' (--dry-run: nothing changed)'}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, deep: { type: 'boolean' }, grace: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    console.log('usage: npm run doctor -- [--json] [--dry-run] [--deep] [--grace <duration, default 5s>]');
    return 0;
  }
  const config = loadConfig(process.env);
  const repair = !values['dry-run'];
  const address = config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS;
  let database;
  let connection;
  try {
    database = await openDatabase(config.databaseUrl, config.database);
    await database.execute('select 1');
  } catch (error) {
    console.error(`doctor: cannot reach the database: ${safeMessage(error)}`);
    await database?.close().catch(() => undefined);
    return 2;
  }
  try {
    connection = await Connection.connect({ address, connectTimeout: 3000 });
    await connection.withDeadline(Date.now() + 3000, () => connection!.workflowService.getSystemInfo({}));
  } catch (error) {
    console.error(`doctor: cannot reach Temporal at ${address}: ${safeMessage(error)}`);
    await connection?.close().catch(() => undefined);
    await database.close();
    return 2;
  }
  try {
    const client = temporalClient(connection, { namespace: config.temporalNamespace, dataConverter: dataConverterOf(config) });
    const report = await runDoctor({ db: database.db, client, taskQueue: config.taskQueue, repair, graceMs: values.grace ? parseDuration(values.grace) : undefined, deep: values.deep || undefined });
    console.log(values.json ? JSON.stringify({ ...report, dryRun: !repair }, null, 2) : print(report, repair));
    return 0;
  } catch (error) {
    console.error(`doctor: ${safeMessage(error)}`);
    return unavailableDependency(error) ? 2 : 1;
  } finally {
    await connection.close();
    await database.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((code) => process.exit(code), (error) => {
    console.error(`doctor: ${safeMessage(error)}`);
    process.exit(2);
  });
}
