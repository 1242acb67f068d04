// API keys: `tpr_<id>_<secret>`, one role each. Only the SHA-256 of the whole key is stored (the key has 256 random
// bits, so a plain hash is enough: nothing to brute-force, and a lookup by hash needs no constant-time compare).
// The plaintext is returned once, by create().
//
// Console sessions live here too (table `sessions`): a session is a random id given to the browser in a cookie, of
// which only the SHA-256 is stored with its key and expiry. Logging out deletes the row, revoking a key deletes its
// sessions: every API replica sees the same rows.

import { createHash, randomBytes, randomInt } from 'node:crypto';
import { and, asc, count as countRows, eq, gt, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { apiKeys, sessions } from './schema.js';

export const ROLES = ['submitter', 'manager', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Who is calling: the key (or the session opened with it). */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

/** A key as listed: never the key, never its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey {
  /** The plaintext key: shown once, not stored. */
  key: string;
  id: string;
  role: Role;
  name: string;
  createdAt: string;
}

/** A console session just opened: `id` goes into the cookie (never stored as such). */
export interface OpenedSession {
  id: string;
  expiresAt: string;
}

export interface ApiKeyRepository {
  create(input: { role: Role; name: string }): Promise<CreatedApiKey>;
  /** The principal of a valid, unrevoked key; null otherwise (malformed, unknown, revoked). */
  verify(key: string): Promise<Principal | null>;
  /** The principal of an unrevoked key by its id (sessions: a revoked key ends its sessions). */
  findActive(id: string): Promise<Principal | null>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<ApiKeyInfo[]>;
  /** False when no key has this id; revoking twice keeps the first revocation time. Deletes the key's sessions. */
  revoke(id: string): Promise<boolean>;
  /** Opens a console session for an active key, valid `ttlSeconds`; null when the key is unknown or revoked. */
  openSession(keyId: string, ttlSeconds: number): Promise<OpenedSession | null>;
  /** The principal of an unexpired session whose key is still active; null otherwise. */
  findSession(id: string): Promise<Principal | null>;
  /** Ends a session (logout): the principal it belonged to, null when there was none. */
  endSession(id: string): Promise<Principal | null>;
  /** Deletes the expired sessions; how many. */
  purgeExpiredSessions(): Promise<number>;
  /** Every key, revoked ones included. */
  count(): Promise<number>;
  /** When the table is empty: one key per role named `dev-<role>`, returned to be printed; null when keys exist. */
  ensureDevKeys(): Promise<{ role: Role; key: string }[] | null>;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 8;
/** `tpr_` + 8 id chars + `_` + 32 bytes in base64url (43 chars). */
const KEY_PATTERN = /^tpr_([a-z0-9]{8})_[A-Za-z0-9_-]{43}$/;
/** last_used_at is written at most once a minute per key. */
const TOUCH_INTERVAL_MS = 60_000;
/** sessions.last_seen_at is written at most once a minute per session. */
const SEEN_INTERVAL_MS = 60_000;
/** Expired sessions are purged at most this often (by a login). */
const PURGE_INTERVAL_MS = 10 * 60_000;
/** Serialises ensureDevKeys between processes starting together. */
const DEV_KEYS_LOCK = 7_346_110_513;

/** Lower-case letters and digits only: url-safe, never read as a flag (`-…`), never confused with the `_` separator. */
function newId(): string {
  let id = '';
  for (let i = 0; i < ID_LENGTH; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');
/** What is stored of a session id: its SHA-256 (hex). */
export const hashSessionId = (id: string): string => createHash('sha256').update(id, 'utf8').digest('hex');
/** A session id: 32 random bytes, base64url. */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The id part of a well-formed key, else null. */
export function keyIdOf(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

type Row = typeof apiKeys.$inferSelect;
const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

function toInfo(row: Row): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    createdAt: iso(row.createdAt)!,
    lastUsedAt: iso(row.lastUsedAt),
    revokedAt: iso(row.revokedAt),
  };
}

function toPrincipal(row: Pick<Row, 'id' | 'name' | 'role'>): Principal | null {
  // A role written by hand that this code does not know grants nothing.
  return isRole(row.role) ? { keyId: row.id, name: row.name, role: row.role } : null;
}

export function createApiKeyRepository(db: Database): ApiKeyRepository {
  /** keyId → when this process last wrote last_used_at (the SQL condition covers the other processes). */
  const touched = new Map<string, number>();
  /** session id hash → when this process last wrote last_seen_at. */
  const seen = new Map<string, number>();
  let lastPurge = 0;

  async function touch(id: string): Promise<void> {
    const now = Date.now();
    const last = touched.get(id);
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return;
    touched.set(id, now);
    await db
      .update(apiKeys)
      .set({ lastUsedAt: sql`now()` })
      .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`))));
  }

  async function purgeExpiredSessions(): Promise<number> {
    const purged = await db.delete(sessions).where(lte(sessions.expiresAt, sql`now()`)).returning({ idHash: sessions.idHash });
    return purged.length;
  }

  async function insert(executor: Pick<Database, 'insert'>, role: Role, name: string): Promise<CreatedApiKey> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = newId();
      const key = `tpr_${id}_${randomBytes(32).toString('base64url')}`;
      const [row] = await executor
        .insert(apiKeys)
        .values({ id, name, role, keyHash: hashKey(key) })
        .onConflictDoNothing()
        .returning();
      if (row) return { key, id: row.id, role, name: row.name, createdAt: iso(row.createdAt)! };
    }
    throw new Error('could not draw an unused API key id');
  }

  function checked(input: { role: Role; name: string }): { role: Role; name: string } {
    if (!isRole(input.role)) throw new Error(`unknown role ${JSON.stringify(input.role)}: one of ${ROLES.join(', ')}`);
    const name = input.name?.trim();
    if (!name) throw new Error('an API key needs a name');
    return { role: input.role, name };
  }

  return {
    async create(input) {
      const { role, name } = checked(input);
      return insert(db, role, name);
    },

    async verify(key) {
      if (typeof key !== 'string') return null;
      const id = keyIdOf(key);
      if (!id) return null;
      const [row] = await db
        .select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role })
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, hashKey(key)), isNull(apiKeys.revokedAt)));
      if (!row || row.id !== id) return null;
      const principal = toPrincipal(row);
      if (principal) await touch(row.id);
      return principal;
    },

    async findActive(id) {
      const [row] = await db
        .select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role })
        .from(apiKeys)
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
      if (!row) return null;
      const principal = toPrincipal(row);
      if (principal) await touch(row.id);
      return principal;
    },

    async list() {
      const rows = await db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
      return rows.map(toInfo);
    },

    async revoke(id) {
      const rows = await db.transaction(async (tx) => {
        const revoked = await tx
          .update(apiKeys)
          .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
          .where(eq(apiKeys.id, id))
          .returning({ id: apiKeys.id });
        await tx.delete(sessions).where(eq(sessions.keyId, id));
        return revoked;
      });
      touched.delete(id);
      return rows.length > 0;
    },

    async openSession(keyId, ttlSeconds) {
      if (Date.now() - lastPurge > PURGE_INTERVAL_MS) {
        lastPurge = Date.now();
        await purgeExpiredSessions();
      }
      const id = randomBytes(32).toString('base64url');
      // Only for a key still active (and findSession checks the key again on every request).
      const [row] = await db
        .insert(sessions)
        .select(
          db.select({
            idHash: sql<string>`${hashSessionId(id)}`.as('id_hash'),
            keyId: apiKeys.id,
            createdAt: sql<Date>`now()`.as('created_at'),
            expiresAt: sql<Date>`now() + ${`${Math.max(1, Math.round(ttlSeconds))} seconds`}::interval`.as('expires_at'),
            lastSeenAt: sql<Date>`now()`.as('last_seen_at'),
          }).from(apiKeys).where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt))),
        )
        .returning({ expiresAt: sessions.expiresAt });
      return row ? { id, expiresAt: iso(row.expiresAt)! } : null;
    },

    async findSession(id) {
      if (typeof id !== 'string' || !SESSION_ID_PATTERN.test(id)) return null;
      const idHash = hashSessionId(id);
      const [row] = await db
        .select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role })
        .from(sessions)
        .innerJoin(apiKeys, eq(apiKeys.id, sessions.keyId))
        .where(and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, sql`now()`), isNull(apiKeys.revokedAt)));
      if (!row) return null;
      const principal = toPrincipal(row);
      if (!principal) return null;
      const now = Date.now();
      const last = seen.get(idHash);
      if (last === undefined || now - last >= SEEN_INTERVAL_MS) {
        seen.set(idHash, now);
        if (seen.size > 10_000) seen.clear();
        await db.update(sessions).set({ lastSeenAt: sql`now()` }).where(eq(sessions.idHash, idHash));
      }
      await touch(row.id);
      return principal;
    },

    async endSession(id) {
      if (typeof id !== 'string' || !SESSION_ID_PATTERN.test(id)) return null;
      const idHash = hashSessionId(id);
      seen.delete(idHash);
      const [ended] = await db.delete(sessions).where(eq(sessions.idHash, idHash)).returning({ keyId: sessions.keyId });
      if (!ended) return null;
      const [key] = await db.select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role }).from(apiKeys).where(eq(apiKeys.id, ended.keyId));
      return key ? toPrincipal(key) : null;
    },

    purgeExpiredSessions,

    async count() {
      const [row] = await db.select({ n: countRows() }).from(apiKeys);
      return Number(row?.n ?? 0);
    },

    async ensureDevKeys() {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${DEV_KEYS_LOCK})`);
        const [row] = await tx.select({ n: countRows() }).from(apiKeys);
        if (Number(row?.n ?? 0) > 0) return null;
        const created: { role: Role; key: string }[] = [];
        for (const role of ROLES) created.push({ role, key: (await insert(tx, role, `dev-${role}`)).key });
        return created;
      });
    },
  };
}
