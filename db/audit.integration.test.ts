// The audit log on the real PostgreSQL and on PGlite: entries recorded and listed (filters, pages), and never
// editable — UPDATE, DELETE and TRUNCATE refused by the database itself, whoever asks.

import { beforeAll, describe, expect, it } from 'vitest';
import { bothDatabases } from '../test/both-databases.js';
import { createAuditLog, SYSTEM_ACTOR, type AuditLog } from './audit.js';

const databases = bothDatabases('audit');

const manager = { keyId: 'abcd1234', name: 'Mme Martin', role: 'manager' };

describe.each(databases.each)('the audit log on %s', (_name, database) => {
  let audit: AuditLog;
  beforeAll(() => { audit = createAuditLog(database().db); });

  it('records who, when, what and which invoice; lists newest first, filtered, by pages', async () => {
    await audit.record({ actor: manager, action: 'task.claim', target: '2901122401-1', ip: '10.0.0.7' });
    await audit.record({ actor: manager, action: 'invoice.read', target: '2901122401' });
    await audit.record({ actor: SYSTEM_ACTOR, action: 'archive.purge', details: { purged: 3 } });
    const all = await audit.list();
    expect(all.map((e) => e.action)).toEqual(['archive.purge', 'invoice.read', 'task.claim']);
    expect(all[2]).toMatchObject({ actorKeyId: 'abcd1234', actorName: 'Mme Martin', actorRole: 'manager', target: '2901122401-1', ip: '10.0.0.7' });
    expect(Date.now() - Date.parse(all[2]!.at)).toBeLessThan(60_000);
    expect((await audit.list({ target: '2901122401' })).map((e) => e.action)).toEqual(['invoice.read']);
    expect((await audit.list({ actorKeyId: 'abcd1234', limit: 1 })).map((e) => e.action)).toEqual(['invoice.read']);
    expect((await audit.list({ before: all[1]!.id })).map((e) => e.action)).toEqual(['task.claim']);
    expect((await audit.list({ order: 'oldest', after: all[2]!.id })).map((e) => e.action)).toEqual(['invoice.read', 'archive.purge']);
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    const before = (await audit.list()).length;
    await expect(database().execute(`update audit_log set actor_name = 'someone else'`)).rejects.toThrow();
    await expect(database().execute(`delete from audit_log`)).rejects.toThrow();
    await expect(database().execute(`truncate audit_log`)).rejects.toThrow();
    expect((await audit.list()).length).toBe(before);
    expect((await audit.list()).every((e) => e.actorName !== 'someone else')).toBe(true);
  });
});
