// Output activities (spec §7): the practitioners' e-mails (exactly once, through the outbox), the Trame SSTT
// workbook, the escalation notice of an overdue task, the GTO closure « FIN OK ».

import { PassThrough } from 'node:stream';
import { Context } from '@temporalio/activity';
import { invoiceNumberCell } from '../rules/routing.js';
import { motifLabel } from '../rules/motifs.js';
import type { AnalysisResult, Invoice, MotifCode } from '../rules/types.js';
import type { InvoiceRecord, InvoiceRepository } from '../db/invoices.js';
import type { OutputRepository } from '../db/outputs.js';
import type { TaskRepository } from '../db/tasks.js';
import { todayInFrance } from '../api/invoice-service.js';
import type { ReplySent } from '../workflows/contract.js';
import { composeEscalationEmail, composePractitionerEmails } from './mail/compose.js';
import type { createMailer } from './mail/mailer.js';
import { trameRowFor, type TrameRow } from './trame/rows.js';
import { writeTrame } from './trame/write.js';

export interface OutputDependencies {
  invoices: InvoiceRepository;
  tasks: TaskRepository;
  outputs: OutputRepository;
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
  try {
    Context.current().heartbeat(details);
  } catch {
    // not running as an activity
  }
}

/** Collects a stream into one Buffer. */
async function toBuffer(write: (out: NodeJS.WritableStream) => Promise<unknown>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => { out.on('end', resolve); out.on('error', reject); });
  await write(out);
  if (!out.writableEnded) out.end();
  await done;
  return Buffer.concat(chunks);
}

/** Trame rows of the rejected invoices among `records` (« une ligne par facture non payée »), in their order. */
export async function buildTrameRows(
  records: InvoiceRecord[], deps: Pick<OutputDependencies, 'outputs' | 'operatorName'>,
): Promise<TrameRow[]> {
  const rejected = records.filter((r) => r.decision && r.decision.outcome === 'rejected');
  const practitioners = await deps.outputs.practitionersWithAddress(
    rejected.map((r) => r.invoice.practitionerNumber).filter((n): n is string => Boolean(n)),
  );
  const treatedOn = todayInFrance();
  return rejected.map((r) => trameRowFor({
    invoice: r.invoice,
    decision: r.decision!,
    practitioner: r.invoice.practitionerNumber ? practitioners.get(r.invoice.practitionerNumber) ?? null : null,
    calculatedAmount: r.calculatedAmount,
    calculatedRc: r.calculatedRc,
    operator: deps.operatorName,
    treatedOn,
  }));
}

/** A workbook in memory. */
export function trameWorkbook(rows: TrameRow[]): Promise<Buffer> {
  return toBuffer((out) => writeTrame(rows, out));
}

export function createOutputActivities(deps: OutputDependencies) {
  const { invoices, tasks, outputs, mailer } = deps;

  return {
    /** Flags an overdue task and notifies the managers once (the outbox id makes a retry a no-op). */
    async escalateManagerTask(input: { taskId: string }): Promise<void> {
      await tasks.escalate(input.taskId);
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
    },

    /** One claim's reply, e-mailed to its PS (outside a batch, or after a manager's reply). */
    async sendPractitionerReply(input: { archiveKey: string; decision: AnalysisResult; attempt: number }): Promise<ReplySent> {
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
      return { emailId: sent.id, sentAt: sent.sentAt! };
    },

    /** Invoices of a batch, a page at a time (for its workflow to start theirs). */
    async loadBatchInvoices(input: { batchId: string; offset: number; limit: number }): Promise<{ invoice: Invoice; receivedOn: string }[]> {
      const records = await invoices.ofBatch(input.batchId, input.offset, input.limit);
      return records.map((r) => ({ invoice: r.invoice, receivedOn: r.receivedOn }));
    },

    /**
     * One PS's replies for a batch: all its practitioner-routed rows, at most 10 a mail (spec §7).
     * The rows and the mail ids are the same on every retry, so the outbox never sends one twice.
     */
    async sendBatchReplies(input: { batchId: string; practitionerNumber: string; archiveKeys: string[] }): Promise<(ReplySent & { archiveKeys: string[] })[]> {
      const records = (await Promise.all(input.archiveKeys.map((k) => invoices.get(k))))
        .filter((r): r is InvoiceRecord => Boolean(r?.decision && r.decision.route === 'practitioner'));
      if (records.length === 0) return [];
      const to = records[0].decision!.email!;
      const mails = composePractitionerEmails({
        practitionerNumber: input.practitionerNumber,
        to,
        rows: records.map((r) => bordereauRow(r.invoice, r.decision!)),
        batchId: input.batchId,
        from: deps.mailFrom,
      });
      const sent = [];
      beat();
      for (const [i, mail] of mails.entries()) {
        const keys = records.slice(i * 10, i * 10 + 10).map((r) => r.invoice.archiveKey);
        const result = await mailer.send({ ...mail, batchId: input.batchId, archiveKeys: keys });
        for (const archiveKey of keys) await invoices.recordReplySent({ archiveKey, emailId: result.id, sentAt: result.sentAt! });
        sent.push({ emailId: result.id, sentAt: result.sentAt!, archiveKeys: keys });
        beat(i + 1);
      }
      return sent;
    },

    /** The batch's Trame SSTT: one row per invoice not paid; stored, and linked from each invoice. */
    async writeBatchTrame(input: { batchId: string }): Promise<{ trameId: string; rowCount: number }> {
      const records: InvoiceRecord[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await invoices.ofBatch(input.batchId, offset, 1000);
        records.push(...page);
        if (page.length < 1000) break;
      }
      const rows = await buildTrameRows(records, deps);
      const content = await trameWorkbook(rows);
      const trameId = `trame-${input.batchId}`;
      await outputs.saveTrame({ id: trameId, batchId: input.batchId, rowCount: rows.length, content });
      await invoices.setTrame(rows.map((r) => r.archiveKey), trameId);
      return { trameId, rowCount: rows.length };
    },

    /** « Il conviendra de clôturer la tâche dans le GTO en choisissant au niveau du motif « FIN OK » ». */
    async closeGtoTask(input: { batchId: string }): Promise<void> {
      await outputs.closeBatch(input.batchId, 'FIN OK');
    },
  };
}

/** The Trame of the rows still open for managers (an API export, not a workflow activity). */
export async function openManagerTrame(
  deps: Pick<OutputDependencies, 'invoices' | 'outputs' | 'operatorName'>,
): Promise<{ content: Buffer; rowCount: number }> {
  const keys = await deps.outputs.openManagerArchiveKeys();
  const records = (await Promise.all(keys.map((k) => deps.invoices.get(k)))).filter((r): r is InvoiceRecord => Boolean(r));
  const rows = await buildTrameRows(records, deps);
  return { content: await trameWorkbook(rows), rowCount: rows.length };
}
