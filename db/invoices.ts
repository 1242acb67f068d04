// The pipeline's invoices: one row per claim, written by the workflow's activities (idempotent), read by the API.

import { and, asc, desc, eq, gt, ilike, inArray, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { RecordedAnalysis } from '../rules/backtest.js';
import type { AnalysisResult, Invoice, IsoDate } from '../rules/types.js';
import type { InvoiceStatus } from '../rules/claims.js';
import { fromJson, qualified, type Database } from './client.js';
import { claimDecisions, invoices } from './schema.js';
import { taskProgress, taskProgressRows, type TaskProgress, type TaskProgressRow } from './tasks.js';

/** Who e-mails a claim's first reply, once: kept when set, else its batch's when it has one, else its own. */
const firstReplyBy = sql`coalesce(${invoices.replyBy}, case when ${invoices.batchId} is null then 'invoice' else 'batch' end)`;

export interface InvoiceRecord {
  id: string;
  archiveKey: string;
  workflowId: string;
  batchId: string | null;
  practitionerNumber: string | null;
  status: InvoiceStatus;
  motif: string | null;
  route: string | null;
  invoice: Invoice;
  receivedOn: IsoDate;
  decision: AnalysisResult | null;
  /** The version of the rules that took the decision (activities/rules-version.ts), null before versions were recorded. */
  rulesVersion: string | null;
  calculatedAmount: number | null;
  calculatedRc: number | null;
  emailId: string | null;
  emailedAt: string | null;
  trameId: string | null;
  /** Who e-mails the PS reply (`invoice` or `batch`), once one of them asked. */
  replyBy: 'invoice' | 'batch' | null;
  adopted: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The statuses a claim ends in: nothing more happens to it (the database's lasting guard). */
export const FINAL_STATUSES: readonly InvoiceStatus[] = ['paid', 'replied', 'closed'];

export interface InvoiceFilter {
  status?: string;
  motif?: string;
  practitionerNumber?: string;
  batchId?: string;
  /** Decided by this version of the rules. */
  rulesVersion?: string;
  /** A critère d'archivage, a NIR or a N° PS (exact), or the start of one. */
  q?: string;
  limit?: number;
  offset?: number;
}

type Row = typeof invoices.$inferSelect;

function toRecord(row: Row): InvoiceRecord {
  return {
    id: row.id,
    archiveKey: row.archiveKey,
    workflowId: row.workflowId,
    batchId: row.batchId,
    practitionerNumber: row.practitionerNumber,
    status: row.status as InvoiceStatus,
    motif: row.motif,
    route: row.route,
    invoice: row.invoice,
    receivedOn: row.receivedOn,
    decision: (row.decision as AnalysisResult | null) ?? null,
    rulesVersion: row.rulesVersion ?? null,
    calculatedAmount: row.calculatedAmount,
    calculatedRc: row.calculatedRc,
    emailId: row.emailId,
    emailedAt: row.emailedAt ? new Date(row.emailedAt).toISOString() : null,
    trameId: row.trameId,
    replyBy: (row.replyBy as InvoiceRecord['replyBy']) ?? null,
    adopted: row.adopted,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export function createInvoiceRepository(db: Database) {
  return {
    /**
     * The claim as received; a second call for the same critère d'archivage changes nothing. True when this call
     * wrote the row (exactly one of several concurrent calls does).
     */
    async recordReceived(input: {
      archiveKey: string; workflowId: string; invoice: Invoice; receivedOn: IsoDate; batchId?: string | null;
    }): Promise<boolean> {
      const inserted = await db
        .insert(invoices)
        .values(receivedRow(input))
        .onConflictDoNothing()
        .returning({ id: invoices.id });
      return inserted.length > 0;
    },

    /**
     * Who e-mails the claim's first reply, decided once for good: the batch when the claim belongs to one (or was
     * adopted by one) by the time either asks, else the claim's own workflow.
     */
    async claimReply(archiveKey: string): Promise<'invoice' | 'batch'> {
      const [row] = await db.update(invoices)
        .set({ replyBy: firstReplyBy })
        .where(eq(invoices.archiveKey, archiveKey))
        .returning({ replyBy: invoices.replyBy });
      return (row?.replyBy as 'invoice' | 'batch' | undefined) ?? 'invoice';
    },

    /**
     * The decision and the status it leads to, in one statement (idempotent: the same call twice leaves the same
     * rows): with `journalKey`, also the decision's line in the claim's journal (`claim_decisions`, the timeline's
     * source); with `claimReply`, who e-mails a first reply, settled once (`claimReply` below), which it returns.
     */
    async recordDecision(input: DecisionRecord & { claimReply?: boolean }): Promise<'invoice' | 'batch' | null> {
      const journal = input.journalKey ? db.$with('journal').as(db.insert(claimDecisions).values({
        id: input.journalKey, archiveKey: input.archiveKey, analysed: input.analysis !== undefined, decision: input.decision,
      }).onConflictDoNothing().returning({ id: claimDecisions.id })) : null;
      const [row] = await (journal ? db.with(journal) : db).update(invoices)
        .set({ ...decisionColumns(input), ...(input.claimReply ? { replyBy: firstReplyBy } : {}) })
        .where(eq(invoices.archiveKey, input.archiveKey))
        .returning({ replyBy: invoices.replyBy });
      return input.claimReply ? ((row?.replyBy as 'invoice' | 'batch' | undefined) ?? 'invoice') : null;
    },

    /** The claim's decisions in the order they were taken (its journal: the timeline's analyses and decisions). */
    async decisionsOf(archiveKey: string): Promise<ClaimDecision[]> {
      const rows = await db.select().from(claimDecisions)
        .where(eq(claimDecisions.archiveKey, archiveKey)).orderBy(asc(claimDecisions.at), asc(claimDecisions.id));
      return rows.map((r) => ({ at: new Date(r.at).toISOString(), analysed: r.analysed, decision: r.decision }));
    },

    /**
     * A batch's reply the provider refused: the claim routed to a manager — only if it is still the batch's reply
     * waiting to go (never over a decision its own workflow took since). True when it was.
     */
    async routeRefusedReply(input: DecisionRecord): Promise<boolean> {
      const updated = await db.update(invoices).set(decisionColumns(input))
        .where(and(eq(invoices.archiveKey, input.archiveKey), eq(invoices.status, 'awaiting_reply'), eq(invoices.replyBy, 'batch')))
        .returning({ id: invoices.id });
      return updated.length > 0;
    },

    async recordStatus(archiveKey: string, status: InvoiceStatus): Promise<void> {
      await db.update(invoices).set({ status, ...decidedAt(status), updatedAt: sql`now()` }).where(eq(invoices.archiveKey, archiveKey));
    },

    /** The e-mail that carried these claims' replies (idempotent). */
    async recordRepliesSent(archiveKeys: string[], input: { emailId: string; sentAt: string }): Promise<void> {
      if (archiveKeys.length === 0) return;
      await db.update(invoices)
        .set({ status: 'replied', emailId: input.emailId, emailedAt: new Date(input.sentAt), updatedAt: sql`now()` })
        .where(inArray(invoices.archiveKey, archiveKeys));
    },

    /** The e-mail that carried the reply (idempotent). */
    async recordReplySent(input: { archiveKey: string; emailId: string; sentAt: string }): Promise<void> {
      await this.recordRepliesSent([input.archiveKey], input);
    },

    /** Invoices of a batch by critère d'archivage, after `after` (keyset pages that do not move under writes). */
    async batchPage(batchId: string, after: string | null, limit: number): Promise<InvoiceRecord[]> {
      const rows = await db.select().from(invoices)
        .where(and(eq(invoices.batchId, batchId), after ? gt(invoices.archiveKey, after) : undefined))
        .orderBy(asc(invoices.archiveKey)).limit(limit);
      return rows.map(toRecord);
    },

    /** Invoices of a batch up to `upTo` (critère order) still being analysed: a batch's analyses in flight. */
    async undecidedUpTo(batchId: string, upTo: string): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(invoices).where(and(
        eq(invoices.batchId, batchId), eq(invoices.status, 'analyzing'), sql`${invoices.archiveKey} <= ${upTo}`,
      ));
      return Number(row?.n ?? 0);
    },

    /** N° PS (in order, after `after`) whose rows of the batch are e-mailed by the batch, a page at a time. */
    async batchPractitioners(batchId: string, after: string | null, limit: number): Promise<string[]> {
      const ps = sql<string>`coalesce(${invoices.practitionerNumber}, '')`;
      const rows = await db.selectDistinct({ ps }).from(invoices)
        .where(and(
          eq(invoices.batchId, batchId), eq(invoices.route, 'practitioner'),
          or(eq(invoices.replyBy, 'batch'), and(isNull(invoices.replyBy), eq(invoices.status, 'awaiting_reply'))),
          after !== null ? sql`${ps} > ${after}` : undefined,
        ))
        .orderBy(ps).limit(limit);
      return rows.map((r) => r.ps);
    },

    /**
     * The rows of one PS that the batch e-mails, claimed for it (an invoice that answered on its own keeps its e-mail),
     * by critère d'archivage: the same list on every retry, so that its e-mails are the same.
     */
    async claimBatchReplies(batchId: string, practitionerNumber: string): Promise<InvoiceRecord[]> {
      const ofPractitioner = and(
        eq(invoices.batchId, batchId), eq(invoices.route, 'practitioner'),
        sql`coalesce(${invoices.practitionerNumber}, '') = ${practitionerNumber}`,
      );
      await db.update(invoices).set({ replyBy: 'batch' })
        .where(and(ofPractitioner, isNull(invoices.replyBy), eq(invoices.status, 'awaiting_reply')));
      const rows = await db.select().from(invoices).where(and(ofPractitioner, eq(invoices.replyBy, 'batch')))
        .orderBy(asc(invoices.archiveKey));
      return rows.map(toRecord);
    },

    /** The rows of one PS the batch still has to answer (their e-mail refused): not replied yet. */
    async unansweredBatchReplies(batchId: string, practitionerNumber: string): Promise<InvoiceRecord[]> {
      const rows = await db.select().from(invoices).where(and(
        eq(invoices.batchId, batchId), eq(invoices.replyBy, 'batch'), eq(invoices.status, 'awaiting_reply'),
        sql`coalesce(${invoices.practitionerNumber}, '') = ${practitionerNumber}`,
      )).orderBy(asc(invoices.archiveKey));
      return rows.map(toRecord);
    },

    /** Invoices of a batch, in submission order (critère d'archivage), a page at a time. */
    async ofBatch(batchId: string, offset = 0, limit = 1000): Promise<InvoiceRecord[]> {
      const rows = await db.select().from(invoices).where(eq(invoices.batchId, batchId))
        .orderBy(invoices.createdAt, invoices.archiveKey).limit(limit).offset(offset);
      return rows.map(toRecord);
    },

    async setTrame(archiveKeys: string[], trameId: string): Promise<void> {
      if (archiveKeys.length) await db.update(invoices).set({ trameId }).where(inArray(invoices.archiveKey, archiveKeys));
    },

    /** The rows of these critères (those that exist), by critère. */
    async byKeys(archiveKeys: string[]): Promise<Map<string, InvoiceRecord>> {
      const out = new Map<string, InvoiceRecord>();
      for (let i = 0; i < archiveKeys.length; i += 1000) {
        const rows = await db.select().from(invoices).where(inArray(invoices.archiveKey, archiveKeys.slice(i, i + 1000)));
        for (const row of rows) out.set(row.archiveKey, toRecord(row));
      }
      return out;
    },

    /**
     * What a run starting on the claim needs of its row and its tasks, in one statement: its status and decision, and
     * how far its tasks went (db/tasks.ts `taskProgress`). Null when the row is not written yet.
     */
    async opening(archiveKey: string): Promise<{ status: InvoiceStatus; decision: AnalysisResult | null; tasks: TaskProgress } | null> {
      const [row] = await db.select({ status: invoices.status, decision: invoices.decision, tasks: taskProgressRows(qualified(invoices.archiveKey)) })
        .from(invoices).where(eq(invoices.archiveKey, archiveKey)).limit(1);
      if (!row) return null;
      return {
        status: row.status as InvoiceStatus, decision: (row.decision as AnalysisResult | null) ?? null,
        tasks: taskProgress(fromJson<TaskProgressRow[]>(row.tasks)),
      };
    },

    async get(archiveKey: string): Promise<InvoiceRecord | null> {
      const rows = await db.select().from(invoices).where(eq(invoices.archiveKey, archiveKey)).limit(1);
      return rows[0] ? toRecord(rows[0]) : null;
    },

    async list(filter: InvoiceFilter = {}): Promise<{ items: InvoiceRecord[]; total: number }> {
      const conditions: SQL[] = [];
      if (filter.status) conditions.push(eq(invoices.status, filter.status));
      if (filter.motif) conditions.push(eq(invoices.motif, filter.motif));
      if (filter.practitionerNumber) conditions.push(eq(invoices.practitionerNumber, filter.practitionerNumber));
      if (filter.batchId) conditions.push(eq(invoices.batchId, filter.batchId));
      if (filter.rulesVersion) conditions.push(eq(invoices.rulesVersion, filter.rulesVersion));
      const q = filter.q?.trim().toUpperCase();
      if (q) {
        const prefix = `${q.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
        conditions.push(or(
          ilike(invoices.archiveKey, prefix),
          ilike(invoices.practitionerNumber, prefix),
          sql`upper(${invoices.invoice}->'beneficiary'->>'nir') like ${prefix}`,
        )!);
      }
      const where = conditions.length ? and(...conditions) : undefined;
      const [rows, [{ count }]] = await Promise.all([
        db.select().from(invoices).where(where).orderBy(desc(invoices.createdAt), desc(invoices.id))
          .limit(filter.limit ?? 50).offset(filter.offset ?? 0),
        db.select({ count: sql<number>`count(*)::int` }).from(invoices).where(where),
      ]);
      return { items: rows.map(toRecord), total: Number(count) };
    },

    /** The versions of the rules that decided claims, latest first, each with its claim count; claims decided before versions were recorded. */
    async rulesVersions(): Promise<{ versions: RulesVersionCount[]; unversioned: number }> {
      const [rows, [{ unversioned }]] = await Promise.all([
        db.select({
          version: invoices.rulesVersion,
          count: sql<number>`count(*)::int`,
          first: sql<string>`min(${invoices.createdAt})`,
          last: sql<string>`max(${invoices.createdAt})`,
        }).from(invoices).where(isNotNull(invoices.rulesVersion)).groupBy(invoices.rulesVersion)
          .orderBy(sql`max(${invoices.createdAt}) desc`, asc(invoices.rulesVersion)),
        db.select({ unversioned: sql<number>`count(*)::int` }).from(invoices)
          .where(and(isNull(invoices.rulesVersion), isNotNull(invoices.decision))),
      ]);
      return {
        versions: rows.map((r) => ({
          version: r.version!, count: Number(r.count), firstReceivedAt: new Date(r.first).toISOString(), lastReceivedAt: new Date(r.last).toISOString(),
        })),
        unversioned: Number(unversioned),
      };
    },
  };
}

export interface RulesVersionCount {
  version: string;
  /** Claims whose last decision by the rules was this version's. */
  count: number;
  /** The first and the last of those claims received (ISO instants). */
  firstReceivedAt: string;
  lastReceivedAt: string;
}

export interface DecisionRecord {
  archiveKey: string;
  status: InvoiceStatus;
  decision: AnalysisResult;
  /** G8's amounts, when this analysis computed them (absent: left as they are). */
  calculatedAmount?: number | null;
  calculatedRc?: number | null;
  /** Who e-mails the reply, when it is known with the decision (a manager's reply: the claim's own workflow). */
  replyBy?: 'invoice' | 'batch';
  /** The analysis that took this decision and the reference facts it read (absent: no new analysis). */
  analysis?: RecordedAnalysis;
  /** The decision's line in the claim's journal, unique to the call and the same through its retries (absent: none). */
  journalKey?: string;
}

/** A decision of the claim's journal. */
export interface ClaimDecision {
  at: string;
  /** Taken by an analysis of the rules: its trace holds the steps G0…G8. */
  analysed: boolean;
  decision: AnalysisResult;
}

function decisionColumns(input: DecisionRecord) {
  return {
    status: input.status,
    motif: input.decision.motif,
    route: input.decision.route,
    decision: input.decision,
    ...(input.calculatedAmount !== undefined ? { calculatedAmount: input.calculatedAmount, calculatedRc: input.calculatedRc ?? null } : {}),
    ...(input.replyBy ? { replyBy: input.replyBy } : {}),
    ...(input.decision.rulesVersion ? { rulesVersion: input.decision.rulesVersion } : {}),
    ...(input.analysis ? { analysis: input.analysis } : {}),
    ...decidedAt(input.status),
    updatedAt: sql`now()`,
  };
}

/** The statuses of a decided claim (paid, answered, closed): not `analyzing`, not waiting for a manager. */
export const DECIDED_STATUSES: readonly InvoiceStatus[] = ['paid', 'awaiting_reply', 'replied', 'closed'];

/** `decided_at`, set the first time the claim reaches a decided status (kept after: a reply refused and re-routed). */
function decidedAt(status: InvoiceStatus) {
  return DECIDED_STATUSES.includes(status) ? { decidedAt: sql`coalesce(${invoices.decidedAt}, now())` } : {};
}

function receivedRow(input: { archiveKey: string; workflowId: string; invoice: Invoice; receivedOn: IsoDate; batchId?: string | null }) {
  return {
    id: input.archiveKey,
    archiveKey: input.archiveKey,
    workflowId: input.workflowId,
    batchId: input.batchId ?? null,
    practitionerNumber: input.invoice.practitionerNumber ?? null,
    status: 'analyzing',
    invoice: input.invoice,
    receivedOn: input.receivedOn,
  };
}

export type InvoiceRepository = ReturnType<typeof createInvoiceRepository>;
