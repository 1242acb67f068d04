// Output activities (spec §7): the practitioners' e-mails (exactly once, through the outbox), the Trame SSTT
// workbook, the escalation notice of an overdue task, the GTO closure « FIN OK ».

import { Context } from '@temporalio/activity';
import { AppError } from '../rules/errors.js';
import { invoiceNumberCell, routeAfterMailRefusal } from '../rules/routing.js';
import { motifLabel } from '../rules/motifs.js';
import type { AnalysisResult, Invoice, MotifCode } from '../rules/types.js';
import type { BatchRepository } from '../db/batches.js';
import type { InvoiceRecord, InvoiceRepository } from '../db/invoices.js';
import type { TrameRepository } from '../db/trames.js';
import type { TaskRepository } from '../db/tasks.js';
import type { ReplySent } from '../workflows/contract.js';
import { composeEscalationEmail, composePractitionerEmails } from './mail/compose.js';
import type { createMailer } from './mail/mailer.js';
import { activityLog, runningActivity } from './context.js';
import type { WorkflowMessenger } from './messenger.js';
import { inParallel } from './parallel.js';
import type { TrameRow } from './trame/rows.js';
import { buildTrameRows, trameWorkbook } from './trame/service.js';

export interface OutputDependencies {
  invoices: InvoiceRepository;
  tasks: TaskRepository;
  trames: TrameRepository;
  batches: BatchRepository;
  /** Starts invoice workflows and tells them about their e-mails (a batch's activities). */
  messenger: WorkflowMessenger;
  mailer: ReturnType<typeof createMailer>;
  mailFrom: string;
  /** Where escalations go (MANAGERS_EMAIL). */
  managersEmail: string[];
  /** Public URL of the console, for links in notifications. */
  consoleUrl?: string;
  /** « OPERATEUR SSTT » in the Trame. */
  operatorName: string;
}

function bordereauRow(invoice: Invoice, decision: AnalysisResult) {
  return {
    archiveKey: invoice.archiveKey,
    practitionerNumber: invoice.practitionerNumber ?? '',
    nir: invoice.beneficiary?.nir ?? '',
    invoiceNumber: invoiceNumberCell(invoice),
    reply: decision.reply ?? '',
  };
}

/** Tells Temporal the activity is alive (no-op outside an activity, e.g. in a direct call). */
function beat(details?: unknown): void {
  runningActivity()?.heartbeat(details);
}

/** What the previous attempt of this activity heartbeated (where to go on from), if any. */
function lastBeat<T>(): T | undefined {
  return runningActivity()?.info.heartbeatDetails as T | undefined;
}

/** A pause that ends early when the activity is cancelled. */
function pause(ms: number): Promise<void> {
  return runningActivity()?.sleep(ms) ?? new Promise((resolve) => setTimeout(resolve, ms));
}


/** The batch cannot close yet: an invoice is still being analysed (retried until it is decided). */
class BatchNotDecided extends AppError {
  override readonly name = 'BatchNotDecided';
  readonly code = 'batch_not_decided';
  override readonly retryable = true;
}

/** Rows of a batch read per query (keyset pages). */
const BATCH_PAGE = 500;
/** A batch's invoices in analysis at a time. */
const BATCH_WINDOW = 200;

export function createOutputActivities(deps: OutputDependencies) {
  const { invoices, tasks, trames, batches, messenger, mailer } = deps;

  /** The escalation e-mail of an overdue task (the outbox id makes a second call a no-op). */
  async function notifyEscalation(input: { taskId: string }): Promise<void> {
    const task = await tasks.summary(input.taskId);
    if (!task) throw new Error(`task ${input.taskId} not found`);
    await mailer.send(composeEscalationEmail({
      task: {
        id: task.id, archiveKey: task.archiveKey, motif: task.motif, motifLabel: motifLabel(task.motif as MotifCode),
        createdAt: task.createdAt, dueAt: task.dueAt, practitionerNumber: task.practitionerNumber,
      },
      to: deps.managersEmail,
      from: deps.mailFrom,
      consoleUrl: deps.consoleUrl,
    }));
  }

  /**
   * A PS's mails for a batch: `rows` split ≤ 10 a mail, each sent, recorded and told to its invoices. What is recorded
   * is what the outbox says each mail carried (a mail already sent is returned as it was): never a row it did not.
   */
  async function sendRows(batchId: string, practitionerNumber: string, rows: InvoiceRecord[]): Promise<(ReplySent & { archiveKeys: string[] })[]> {
    const mails = composePractitionerEmails({
      practitionerNumber,
      to: rows[0]!.decision!.email!,
      rows: rows.map((r) => bordereauRow(r.invoice, r.decision!)),
      batchId,
      from: deps.mailFrom,
    });
    const sent: (ReplySent & { archiveKeys: string[] })[] = [];
    beat();
    for (const [i, mail] of mails.entries()) {
      const result = await mailer.send({ ...mail, batchId, archiveKeys: rows.slice(i * 10, i * 10 + 10).map((r) => r.invoice.archiveKey) });
      const reply = { emailId: result.id, sentAt: result.sentAt! };
      await invoices.recordRepliesSent(result.archiveKeys, reply);
      await inParallel(result.archiveKeys, 16, (archiveKey) => messenger.replySent(archiveKey, reply));
      sent.push({ ...reply, archiveKeys: result.archiveKeys });
      beat(i + 1);
    }
    return sent;
  }

  return {
    /** Escalation notice of an overdue task (v3: started by the workflow without waiting on it). */
    notifyEscalation,

    /** First releases: flags an overdue task and notifies the managers, in one activity the claim waits on. */
    async escalateManagerTask(input: { taskId: string }): Promise<void> {
      await tasks.escalate(input.taskId);
      await notifyEscalation(input);
    },

    /**
     * One claim's reply, e-mailed to its PS (outside a batch, or after a manager's reply); with `recordSent` (invoice
     * workflows since v4), the claim's row says it was sent in the same activity rather than in one more round trip.
     */
    async sendPractitionerReply(input: { archiveKey: string; decision: AnalysisResult; attempt: number; recordSent?: boolean }): Promise<ReplySent> {
      const record = await invoices.get(input.archiveKey);
      if (!record) throw new Error(`invoice ${input.archiveKey} not found`);
      if (!input.decision.email) throw new Error(`invoice ${input.archiveKey}: no practitioner address`);
      const [mail] = composePractitionerEmails({
        practitionerNumber: record.invoice.practitionerNumber!,
        to: input.decision.email,
        rows: [bordereauRow(record.invoice, input.decision)],
        batchId: `${input.archiveKey}-${input.attempt}`,
        from: deps.mailFrom,
      });
      const sent = await mailer.send({ ...mail, archiveKeys: [input.archiveKey] });
      const reply = { emailId: sent.id, sentAt: sent.sentAt! };
      if (input.recordSent) await invoices.recordReplySent({ archiveKey: input.archiveKey, ...reply });
      return reply;
    },

    /**
     * Starts the workflow of every invoice of a batch still to be analysed, in critère order, keeping at most `window`
     * of them in analysis at a time: a document of 20 000 invoices flows through the workers (and the Temporal
     * server) instead of flooding them. Plain starts: the batch has no children to wait on. An invoice already decided
     * is never started again; one already running (adopted) is left as it is. A retry goes on from the last invoice it
     * heartbeated.
     */
    async startBatchInvoices(input: { batchId: string; window?: number }): Promise<{ invoiceCount: number; started: number; adopted: number }> {
      const taskQueue = Context.current().info.taskQueue;
      const window = input.window ?? BATCH_WINDOW;
      let after = lastBeat<string>() ?? null;
      for (;;) {
        let inFlight = after === null ? 0 : await invoices.undecidedUpTo(input.batchId, after);
        for (let delay = 100; inFlight >= window; delay = Math.min(1000, delay * 1.5)) {
          beat(after);
          await pause(delay);
          inFlight = await invoices.undecidedUpTo(input.batchId, after!);
        }
        const limit = Math.min(BATCH_PAGE, window - inFlight);
        const page = await invoices.batchPage(input.batchId, after, limit);
        await inParallel(page.filter((r) => r.status === 'analyzing'), 16, (r) =>
          messenger.startInvoice({ invoice: r.invoice, receivedOn: r.receivedOn, batchId: input.batchId }, taskQueue));
        if (page.length < limit) break;
        after = page[page.length - 1]!.archiveKey;
        beat(after);
      }
      const counts = await batches.counts(input.batchId);
      const started = { invoiceCount: counts.invoiceCount, started: counts.invoiceCount - counts.adopted, adopted: counts.adopted };
      activityLog().info(`batch ${input.batchId}: its ${started.invoiceCount} invoices started (${started.adopted} already running)`, { batchId: input.batchId, ...started });
      return started;
    },

    /** Waits (polling the database, heartbeating) until every invoice of the batch is decided; its counts then. */
    async awaitBatchDecisions(input: { batchId: string }) {
      let delay = 250;
      for (;;) {
        const { emailed: _e, emailedOnTheirOwn: _o, ...counts } = await batches.counts(input.batchId);
        beat(counts);
        if (counts.decided >= counts.invoiceCount) return counts;
        await pause(delay);
        delay = Math.min(2000, delay * 1.5);
      }
    },

    /** N° PS whose rows the batch e-mails, in order, a page after `after`. */
    async batchPractitioners(input: { batchId: string; after: string | null; limit: number }): Promise<string[]> {
      return invoices.batchPractitioners(input.batchId, input.after, input.limit);
    },

    /**
     * One PS's replies for a batch: all its practitioner-routed rows, at most 10 a mail (spec §7). The rows and the
     * mail ids are the same on every retry, so the outbox never sends one twice. A refusal by the provider is thrown
     * (non-retryable): the workflow hands the rows to managers.
     */
    async sendPractitionerReplies(input: { batchId: string; practitionerNumber: string }): Promise<{ emails: number; rows: number }> {
      const rows = (await invoices.claimBatchReplies(input.batchId, input.practitionerNumber)).filter((r) => r.decision?.email);
      if (rows.length === 0) return { emails: 0, rows: 0 };
      const sent = await sendRows(input.batchId, input.practitionerNumber, rows);
      return { emails: sent.length, rows: rows.length };
    },

    /**
     * The PS's rows the batch could not e-mail (the provider refused the address, or the mail could not go): each
     * claim is told and routed to a manager with the reason (the same decision its workflow records) — except the rows
     * a mail did carry before the failure, recorded as replied. Returns both counts.
     */
    async routeRefusedReplies(input: { batchId: string; practitionerNumber: string; reason: string }) {
      const sentMails = (await mailer.list({ batchId: input.batchId, practitionerNumber: input.practitionerNumber, status: 'sent', limit: 1000 })).items;
      const delivered = new Set(sentMails.flatMap((m) => m.archiveKeys));
      const rows = await invoices.unansweredBatchReplies(input.batchId, input.practitionerNumber);
      for (const mail of sentMails) {
        const keys = mail.archiveKeys.filter((k) => rows.some((r) => r.archiveKey === k));
        const reply = { emailId: mail.id, sentAt: mail.sentAt! };
        await invoices.recordRepliesSent(keys, reply);
        await inParallel(keys, 16, (archiveKey) => messenger.replySent(archiveKey, reply));
      }
      const refused = rows.filter((r) => !delivered.has(r.archiveKey));
      await inParallel(refused, 16, async (r) => {
        // The claim first: if this activity dies here, a retry still finds the row unanswered and tells it again.
        await messenger.replyRefused(r.archiveKey, { emailId: null, reason: input.reason });
        await invoices.routeRefusedReply({ archiveKey: r.archiveKey, status: 'awaiting_manager', decision: routeAfterMailRefusal(r.decision!, input.reason) });
      });
      if (refused.length > 0) {
        activityLog().warn(`batch ${input.batchId}: ${refused.length} rows of PS ${input.practitionerNumber} not e-mailed, handed to managers`, {
          batchId: input.batchId, practitionerNumber: input.practitionerNumber, rows: refused.length, rowsSent: delivered.size,
        });
      }
      return { rows: refused.length, emailsSent: sentMails.length, rowsSent: delivered.size };
    },

    /** First releases: invoices of a batch, a page at a time (for its workflow to start theirs as children). */
    async loadBatchInvoices(input: { batchId: string; offset: number; limit: number }): Promise<{ invoice: Invoice; receivedOn: string }[]> {
      const records = await invoices.ofBatch(input.batchId, input.offset, input.limit);
      return records.map((r) => ({ invoice: r.invoice, receivedOn: r.receivedOn }));
    },

    /** First releases: one PS's replies for a batch, the rows named by the workflow. */
    async sendBatchReplies(input: { batchId: string; practitionerNumber: string; archiveKeys: string[] }): Promise<(ReplySent & { archiveKeys: string[] })[]> {
      const records = (await Promise.all(input.archiveKeys.map((k) => invoices.get(k))))
        .filter((r): r is InvoiceRecord => Boolean(r?.decision && r.decision.route === 'practitioner'));
      if (records.length === 0) return [];
      return sendRows(input.batchId, input.practitionerNumber, records);
    },

    /** The batch's Trame SSTT: one row per invoice not paid; stored, and linked from each invoice. */
    async writeBatchTrame(input: { batchId: string }): Promise<{ trameId: string; rowCount: number }> {
      const rows: TrameRow[] = [];
      for (let after: string | null = null; ;) {
        const page = await invoices.batchPage(input.batchId, after, BATCH_PAGE);
        rows.push(...await buildTrameRows(page, deps));
        if (page.length < BATCH_PAGE) break;
        after = page[page.length - 1]!.archiveKey;
        beat(after);
      }
      const content = await trameWorkbook(rows);
      const trameId = `trame-${input.batchId}`;
      await trames.saveTrame({ id: trameId, batchId: input.batchId, rowCount: rows.length, content });
      for (let i = 0; i < rows.length; i += BATCH_PAGE) {
        await invoices.setTrame(rows.slice(i, i + BATCH_PAGE).map((r) => r.archiveKey), trameId);
      }
      return { trameId, rowCount: rows.length };
    },

    /** « Il conviendra de clôturer la tâche dans le GTO en choisissant au niveau du motif « FIN OK » ». */
    async closeGtoTask(input: { batchId: string }): Promise<void> {
      if (!(await batches.close(input.batchId, 'FIN OK'))) {
        throw new BatchNotDecided(`batch ${input.batchId}: an invoice is still being analysed; « FIN OK » waits for it`);
      }
    },

    /** An outbox e-mail made sendable again (an explicit retry): sent, or its refusal thrown. */
    async deliverStoredMail(input: { id: string }): Promise<{ status: string; sentAt: string | null }> {
      const sent = await mailer.sendStored(input.id);
      return { status: sent.status, sentAt: sent.sentAt };
    },
  };
}
