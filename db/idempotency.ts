// Idempotency keys of the task actions (api/idempotency.ts): claimed before the action runs, then holding its first
// response until they expire. A key past its expiry is claimed again as a new one.

import { and, eq, lt, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { idempotencyKeys } from './schema.js';

export interface StoredResponse {
  status: number;
  contentType: string | null;
  body: string;
}

/** What became of a request presented with a key: new, the same request again, or another request under that key. */
export type IdempotencyClaim =
  | { kind: 'new' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in_progress' }
  | { kind: 'reused' };

export function createIdempotencyRepository(db: Database) {
  return {
    /** Takes `key` for this request (by its hash), unless the caller already used it within `ttlMs`. */
    async claim(actor: string, key: string, requestHash: string, ttlMs: number): Promise<IdempotencyClaim> {
      const expiresAt = new Date(Date.now() + ttlMs);
      const taken = await db.insert(idempotencyKeys).values({ actor, key, requestHash, expiresAt })
        .onConflictDoUpdate({
          target: [idempotencyKeys.actor, idempotencyKeys.key],
          set: { requestHash, status: null, contentType: null, body: null, createdAt: sql`now()`, expiresAt },
          // Only an expired key is taken again.
          setWhere: lt(idempotencyKeys.expiresAt, sql`now()`),
        })
        .returning({ key: idempotencyKeys.key });
      if (taken.length) return { kind: 'new' };
      const [row] = await db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key)));
      if (!row) return this.claim(actor, key, requestHash, ttlMs); // expired and swept meanwhile
      if (row.requestHash !== requestHash) return { kind: 'reused' };
      if (row.status === null || row.body === null) return { kind: 'in_progress' };
      return { kind: 'replay', response: { status: row.status, contentType: row.contentType, body: row.body } };
    },

    /** The first response to the key's request, replayed from now on. */
    async complete(actor: string, key: string, response: StoredResponse): Promise<void> {
      await db.update(idempotencyKeys).set(response).where(and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key)));
    },

    /** Frees the key (the request failed in a way the same request again may not: a 5xx). */
    async release(actor: string, key: string): Promise<void> {
      await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key)));
    },

    /** Deletes the expired keys; how many. */
    async sweep(): Promise<number> {
      const deleted = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, sql`now()`)).returning({ key: idempotencyKeys.key });
      return deleted.length;
    },
  };
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;
