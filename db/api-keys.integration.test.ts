// API keys on the real PostgreSQL (a scratch database), and ensureDevKeys on the embedded PGlite.

import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../test/databases.js';
import { openDatabase } from './client.js';
import { createApiKeyRepository, hashKey, hashSessionId, ROLES, type ApiKeyRepository } from './api-keys.js';

let database: ScratchDatabase;
let keys: ApiKeyRepository;

beforeAll(async () => {
  database = await createScratchDatabase(inject('databaseUrl'), 'api_keys');
  keys = createApiKeyRepository(database.db);
}, 60_000);
afterAll(async () => {
  await database?.drop();
});

const rowOf = async (id: string) => (await database.execute(sql`select * from api_keys where id = ${id}`))[0]!;
const lastUsedAt = async (id: string) => {
  const value = (await rowOf(id)).last_used_at;
  return value === null ? null : new Date(value as string).toISOString();
};

describe('ensureDevKeys', () => {
  it('on an empty table: one key per role named dev-<role>, each working; then null', async () => {
    expect(await keys.count()).toBe(0);
    const dev = await keys.ensureDevKeys();
    expect(dev?.map((k) => k.role)).toEqual([...ROLES]);
    for (const { role, key } of dev!) {
      expect(await keys.verify(key)).toMatchObject({ role, name: `dev-${role}` });
    }
    expect(await keys.count()).toBe(4);
    expect(await keys.ensureDevKeys()).toBeNull();
    expect(await keys.count()).toBe(4);
  });

  it('two processes starting together create one set', async () => {
    await database.execute('delete from api_keys');
    const other = createApiKeyRepository(database.db);
    const results = await Promise.all([keys.ensureDevKeys(), other.ensureDevKeys()]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await keys.count()).toBe(4);
  });

  it('works on the embedded PGlite too', async () => {
    const lite = await openDatabase(undefined, { pgliteDir: 'memory://' });
    try {
      const repository = createApiKeyRepository(lite.db);
      const dev = await repository.ensureDevKeys();
      expect(dev).toHaveLength(4);
      const principal = await repository.verify(dev![0]!.key);
      expect(principal).toMatchObject({ role: 'submitter' });
      expect(await repository.ensureDevKeys()).toBeNull();
      // Sessions too.
      const session = (await repository.openSession(principal!.keyId, 60))!;
      expect(await repository.findSession(session.id)).toEqual(principal);
      expect(await repository.endSession(session.id)).toEqual(principal);
      expect(await repository.findSession(session.id)).toBeNull();
    } finally {
      await lite.close();
    }
  }, 60_000);
});

describe('create', () => {
  it('returns tpr_<id>_<secret> once and stores only its SHA-256', async () => {
    const created = await keys.create({ role: 'manager', name: ' Claire (GTO) ' });
    expect(created).toMatchObject({ role: 'manager', name: 'Claire (GTO)' });
    expect(created.key).toMatch(/^tpr_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.slice(4, 12)).toBe(created.id);
    expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);

    const row = await rowOf(created.id);
    expect(row.key_hash).toBe(hashKey(created.key));
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    const secret = created.key.slice(13);
    const everything = JSON.stringify(await database.execute('select * from api_keys'));
    expect(everything).not.toContain(secret);
  });

  it('rejects an unknown role and a blank name', async () => {
    await expect(keys.create({ role: 'root' as never, name: 'x' })).rejects.toThrow(/unknown role "root"/);
    await expect(keys.create({ role: 'admin', name: '  ' })).rejects.toThrow(/name/);
  });

  it('draws a new id each time', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await keys.create({ role: 'submitter', name: `bulk-${i}` })).id);
    expect(ids.size).toBe(20);
  });
});

describe('verify', () => {
  it('the key → its principal; anything else → null', async () => {
    const { key, id } = await keys.create({ role: 'auditor', name: 'audit' });
    expect(await keys.verify(key)).toEqual({ keyId: id, name: 'audit', role: 'auditor' });

    const last = key.at(-1) === 'A' ? 'B' : 'A';
    expect(await keys.verify(key.slice(0, -1) + last)).toBeNull(); // same id, another secret
    expect(await keys.verify(`${key}x`)).toBeNull();
    expect(await keys.verify(key.toUpperCase())).toBeNull();
    expect(await keys.verify('')).toBeNull();
    expect(await keys.verify('tpr_')).toBeNull();
    expect(await keys.verify(hashKey(key))).toBeNull(); // the stored hash is not a key
    const other = await keys.create({ role: 'admin', name: 'other' });
    expect(await keys.verify(`tpr_${id}_${other.key.slice(13)}`)).toBeNull(); // id of one, secret of another
  });

  it('records the last use at most once a minute', async () => {
    const { key, id } = await keys.create({ role: 'submitter', name: 'touch' });
    expect(await lastUsedAt(id)).toBeNull();
    await keys.verify(key);
    const first = await lastUsedAt(id);
    expect(first).not.toBeNull();

    await keys.verify(key);
    expect(await lastUsedAt(id)).toBe(first); // same process: not written again
    await createApiKeyRepository(database.db).verify(key);
    expect(await lastUsedAt(id)).toBe(first); // another process: the SQL condition holds

    await database.execute(sql`update api_keys set last_used_at = now() - interval '2 minutes' where id = ${id}`);
    const old = await lastUsedAt(id);
    await createApiKeyRepository(database.db).verify(key);
    expect(Date.parse((await lastUsedAt(id))!)).toBeGreaterThan(Date.parse(old!));
  });
});

describe('revoke, list, count', () => {
  it('a revoked key no longer verifies; revoking twice keeps the first time; unknown id → false', async () => {
    const { key, id } = await keys.create({ role: 'manager', name: 'leaving' });
    expect(await keys.findActive(id)).toMatchObject({ keyId: id, role: 'manager' });
    expect(await keys.revoke(id)).toBe(true);
    expect(await keys.verify(key)).toBeNull();
    expect(await keys.findActive(id)).toBeNull();
    const revokedAt = (await rowOf(id)).revoked_at;
    expect(revokedAt).not.toBeNull();
    expect(await keys.revoke(id)).toBe(true);
    expect((await rowOf(id)).revoked_at).toEqual(revokedAt);
    expect(await keys.revoke('nosuchid')).toBe(false);
  });

  it('list: every key with its state, never the key nor its hash; count: every row', async () => {
    const { key, id } = await keys.create({ role: 'admin', name: 'listed' });
    const list = await keys.list();
    expect(list).toHaveLength(await keys.count());
    const item = list.find((k) => k.id === id)!;
    expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'role']);
    expect(item).toMatchObject({ role: 'admin', name: 'listed', lastUsedAt: null, revokedAt: null });
    expect(list.some((k) => k.revokedAt !== null)).toBe(true);
    const text = JSON.stringify(list);
    expect(text).not.toContain(key.slice(13));
    expect(text).not.toContain(hashKey(key));
  });
});

describe('sessions', () => {
  it('open → found with its key\'s principal until it expires, is ended or its key revoked; only the id\'s hash is stored', async () => {
    const { id: keyId } = await keys.create({ role: 'manager', name: 'sessions' });
    const principal = { keyId, name: 'sessions', role: 'manager' };
    const session = (await keys.openSession(keyId, 3600))!;
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(session.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const [row] = await database.execute(sql`select * from sessions where id_hash = ${hashSessionId(session.id)}`);
    expect(row).toMatchObject({ key_id: keyId });
    expect(JSON.stringify(await database.execute('select * from sessions'))).not.toContain(session.id);
    expect(await keys.findSession(session.id)).toEqual(principal);
    expect(await keys.findSession(`${session.id.slice(0, -1)}${session.id.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(await keys.findSession('nonsense')).toBeNull();

    // Expired: not found, then purged.
    const old = (await keys.openSession(keyId, 3600))!;
    await database.execute(sql`update sessions set expires_at = now() - interval '1 second' where id_hash = ${hashSessionId(old.id)}`);
    expect(await keys.findSession(old.id)).toBeNull();
    expect(await keys.purgeExpiredSessions()).toBeGreaterThanOrEqual(1);
    expect(await database.execute(sql`select 1 from sessions where id_hash = ${hashSessionId(old.id)}`)).toHaveLength(0);

    // Ended (logout): gone, for every process.
    expect(await keys.endSession(session.id)).toEqual(principal);
    expect(await keys.endSession(session.id)).toBeNull();
    expect(await createApiKeyRepository(database.db).findSession(session.id)).toBeNull();

    // Revoked key: its sessions are deleted; no new one opens.
    const a = (await keys.openSession(keyId, 3600))!;
    const b = (await keys.openSession(keyId, 3600))!;
    expect(await keys.revoke(keyId)).toBe(true);
    expect(await keys.findSession(a.id)).toBeNull();
    expect(await keys.findSession(b.id)).toBeNull();
    expect(await database.execute(sql`select 1 from sessions where key_id = ${keyId}`)).toHaveLength(0);
    expect(await keys.openSession(keyId, 3600)).toBeNull();
    expect(await keys.openSession('nosuchid', 3600)).toBeNull();
  });
});
