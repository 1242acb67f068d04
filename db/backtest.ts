// The claims a back-test replays (rules/backtest.ts), read from PostgreSQL (or PGlite) in keyset pages of the
// critère d'archivage: a stream with bounded memory, whatever the number of claims, that does not move under writes.

import { and, asc, eq, gt, gte, isNotNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import type { DecidedClaim, RecordedAnalysis } from '../rules/backtest.js';
import type { AnalysisResult } from '../rules/types.js';
import type { Database } from './client.js';
import { invoices } from './schema.js';

export interface BacktestFilter {
  /** Claims received from this day (YYYY-MM-DD, inclusive: the row's creation, when the analysis ran). */
  since?: string;
  /** … up to this day (inclusive). */
  until?: string;
  /** Only claims the rules had decided with this motif (`paid`: paid). */
  motif?: string;
  /** At most this many claims (the first by critère d'archivage). */
  limit?: number;
  /** Rows read per query. */
  pageSize?: number;
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** The motif the rules recorded: the analysis' own when recorded, else the decision's (claims decided before). */
const recordedMotif = sql`coalesce(${invoices.analysis}->'result'->>'motif', ${invoices.decision}->>'motif')`;
const recordedOutcome = sql`coalesce(${invoices.analysis}->'result'->>'outcome', ${invoices.decision}->>'outcome')`;

function conditions(filter: BacktestFilter): SQL[] {
  const where: SQL[] = [
    ne(invoices.status, 'analyzing'),
    or(isNotNull(invoices.analysis), isNotNull(invoices.decision))!,
  ];
  if (filter.since) where.push(gte(invoices.createdAt, new Date(`${filter.since}T00:00:00Z`)));
  if (filter.until) where.push(lt(invoices.createdAt, new Date(`${nextDay(filter.until)}T00:00:00Z`)));
  if (filter.motif === 'paid') where.push(eq(recordedOutcome, 'paid'));
  else if (filter.motif) where.push(eq(recordedMotif, filter.motif));
  return where;
}

/** How many claims the filter selects (before `limit`). */
export async function countDecidedClaims(db: Database, filter: BacktestFilter = {}): Promise<number> {
  const [{ count }] = await db.select({ count: sql<number>`count(*)::int` }).from(invoices).where(and(...conditions(filter)));
  return Number(count);
}

/**
 * The decided claims, by critère d'archivage: input, receipt day, and what the rules decided with the facts they read
 * (claims decided before those were recorded: the decision, without facts — replayed on today's data).
 */
export async function* decidedClaims(db: Database, filter: BacktestFilter = {}): AsyncGenerator<DecidedClaim> {
  const pageSize = filter.pageSize ?? 1000;
  let remaining = filter.limit ?? Infinity;
  let after: string | null = null;
  while (remaining > 0) {
    const rows = await db.select({
      archiveKey: invoices.archiveKey, invoice: invoices.invoice, receivedOn: invoices.receivedOn,
      analysis: invoices.analysis, rulesVersion: invoices.rulesVersion,
      // The decision only where no analysis was recorded: it repeats the analysis' trace (half of what is read).
      decision: sql`case when ${invoices.analysis} is null then ${invoices.decision} end`.mapWith(invoices.decision),
    }).from(invoices)
      .where(and(...conditions(filter), after ? gt(invoices.archiveKey, after) : undefined))
      .orderBy(asc(invoices.archiveKey))
      .limit(Math.min(pageSize, remaining));
    for (const row of rows) yield toDecidedClaim(row);
    remaining -= rows.length;
    if (rows.length < Math.min(pageSize, remaining + rows.length)) break;
    after = rows[rows.length - 1]!.archiveKey;
  }
}

/**
 * One decided claim as the back-test reads it (one critère d'archivage): its input and what the rules decided, with
 * the facts they read when recorded. Null: unknown, or not decided yet.
 */
export async function decidedClaim(db: Database, archiveKey: string): Promise<DecidedClaim | null> {
  const [row] = await db.select({
    archiveKey: invoices.archiveKey, invoice: invoices.invoice, receivedOn: invoices.receivedOn, status: invoices.status,
    analysis: invoices.analysis, decision: invoices.decision, rulesVersion: invoices.rulesVersion,
  }).from(invoices).where(eq(invoices.archiveKey, archiveKey)).limit(1);
  if (!row || row.status === 'analyzing' || (!row.analysis && !row.decision)) return null;
  return toDecidedClaim(row);
}

/** A row as the back-test reads it: the recorded analysis when there is one, else the decision (no facts). */
function toDecidedClaim(row: {
  archiveKey: string; invoice: DecidedClaim['invoice']; receivedOn: string; analysis: RecordedAnalysis | null;
  decision: unknown; rulesVersion: string | null;
}): DecidedClaim {
  const decision = row.decision as AnalysisResult | null;
  return {
    archiveKey: row.archiveKey,
    invoice: row.invoice,
    receivedOn: row.receivedOn,
    decided: row.analysis
      ? { rulesVersion: row.analysis.rulesVersion, result: row.analysis.result, references: row.analysis.references }
      : { rulesVersion: row.rulesVersion ?? decision?.rulesVersion ?? null, result: decision!, references: null },
  };
}
