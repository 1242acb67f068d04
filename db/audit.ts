// The audit log (append-only, migration 0004): every state-changing action and every read of personal data — who,
// when, what, which invoice. `record` never throws into the action it audits when asked not to (`bestEffort`);
// by default it throws, so that an action whose audit cannot be written is not reported as done.

import { and, asc, desc, eq, gt, gte, lt, type SQL } from 'drizzle-orm';
import type { Database } from './client.js';
import { auditLog } from './schema.js';

/** Who acted: a key's principal, or the system (schedules, workers). */
export interface AuditActor {
  keyId: string | null;
  name: string;
  role: string | null;
}

export const SYSTEM_ACTOR: AuditActor = { keyId: null, name: 'system', role: null };

export const AUDIT_ACTIONS = [
  'session.login', 'session.logout',
  'key.create', 'key.revoke',
  'task.claim', 'task.release', 'task.resolve', 'task.pay',
  'trame.import',
  'invoice.read', 'history.export', 'history.export.decoded', 'timeline.read',
  'backtest.run', 'invoice.backtest',
  'codec.decode', 'codec.encode',
  'outbox.retry',
  'archive.store', 'archive.purge',
  'audit.export',
  'webhook.create', 'webhook.update', 'webhook.delete', 'webhook.secret',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntryInput {
  actor: AuditActor;
  action: AuditAction;
  /** The invoice's critère d'archivage, a task id, a batch id, a key id, a workflow id… */
  target?: string | null;
  details?: Record<string, unknown> | null;
  ip?: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actorKeyId: string | null;
  actorName: string;
  actorRole: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
  ip: string | null;
}

export interface AuditFilter {
  action?: string;
  target?: string;
  actorKeyId?: string;
  /** ISO instants, inclusive from, exclusive to. */
  from?: string;
  to?: string;
  /** Entries with an id below this one (pagination, newest first). */
  before?: number;
  /** Entries with an id above this one (pagination, oldest first). */
  after?: number;
  limit?: number;
  order?: 'newest' | 'oldest';
}

export interface AuditLog {
  record(entry: AuditEntryInput): Promise<void>;
  list(filter?: AuditFilter): Promise<AuditEntry[]>;
}

const toEntry = (row: typeof auditLog.$inferSelect): AuditEntry => ({
  id: row.id,
  at: row.at.toISOString(),
  actorKeyId: row.actorKeyId,
  actorName: row.actorName,
  actorRole: row.actorRole,
  action: row.action,
  target: row.target,
  details: (row.details as Record<string, unknown> | null) ?? null,
  ip: row.ip,
});

export function createAuditLog(db: Database): AuditLog {
  return {
    async record({ actor, action, target, details, ip }) {
      await db.insert(auditLog).values({
        actorKeyId: actor.keyId,
        actorName: actor.name,
        actorRole: actor.role,
        action,
        target: target ?? null,
        details: details ?? null,
        ip: ip ?? null,
      });
    },
    async list(filter = {}) {
      const where: SQL[] = [];
      if (filter.action) where.push(eq(auditLog.action, filter.action));
      if (filter.target) where.push(eq(auditLog.target, filter.target));
      if (filter.actorKeyId) where.push(eq(auditLog.actorKeyId, filter.actorKeyId));
      if (filter.from) where.push(gte(auditLog.at, new Date(filter.from)));
      if (filter.to) where.push(lt(auditLog.at, new Date(filter.to)));
      if (filter.before !== undefined) where.push(lt(auditLog.id, filter.before));
      if (filter.after !== undefined) where.push(gt(auditLog.id, filter.after));
      const oldest = filter.order === 'oldest';
      const rows = await db.select().from(auditLog)
        .where(where.length ? and(...where) : undefined)
        .orderBy(oldest ? asc(auditLog.id) : desc(auditLog.id))
        .limit(Math.min(Math.max(filter.limit ?? 100, 1), 10_000));
      return rows.map(toEntry);
    },
  };
}

/** The actor of a request's principal. */
export const actorOf = (principal: { keyId: string; name: string; role: string }): AuditActor =>
  ({ keyId: principal.keyId, name: principal.name, role: principal.role });
