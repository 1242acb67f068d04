// `npm run keys` as an operator runs it: a real process against a scratch PostgreSQL database (DATABASE_URL).

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiKeyRepository, type ApiKeyRepository } from '../db/api-keys.js';
import { createAuditLog } from '../db/audit.js';
import { createScratchDatabase, type ScratchDatabase } from '../test/databases.js';

const run = promisify(execFile);
let database: ScratchDatabase;
let keys: ApiKeyRepository;

beforeAll(async () => {
  database = await createScratchDatabase(inject('databaseUrl'), 'keys_cli');
  keys = createApiKeyRepository(database.db);
}, 60_000);
afterAll(async () => {
  await database?.drop();
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'bin/keys.ts', ...args], {
      cwd: join(import.meta.dirname, '..'),
      env: { ...process.env, DATABASE_URL: database.url },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const lastWord = (text: string) => text.trim().split(/\s+/).at(-1)!;

describe('npm run keys', () => {
  it('create <role> --name: prints the key as the last word, and it works', async () => {
    const r = await cli('create', 'manager', '--name', 'Claire (GTO)');
    expect(r.code).toBe(0);
    const key = lastWord(r.stdout);
    expect(r.stdout).toMatch(/^created manager key « Claire \(GTO\) » \(id [a-z0-9]{8}\): tpr_/);
    expect(await keys.verify(key)).toMatchObject({ role: 'manager', name: 'Claire (GTO)' });
  }, 60_000);

  it('create <role> without a name: a default name; --name=… works too', async () => {
    const a = await cli('create', 'submitter');
    expect(a.code).toBe(0);
    expect(await keys.verify(lastWord(a.stdout))).toMatchObject({ role: 'submitter', name: expect.stringMatching(/^submitter-\d{4}-\d{2}-\d{2}$/) });
    const b = await cli('create', 'auditor', '--name=audit 2026');
    expect(await keys.verify(lastWord(b.stdout))).toMatchObject({ role: 'auditor', name: 'audit 2026' });
  }, 60_000);

  it('list shows ids, roles and names, never a key; revoke ends a key and its sessions; both audited (actor cli)', async () => {
    const created = await cli('create', 'admin', '--name', 'ops');
    const key = lastWord(created.stdout);
    const id = key.slice(4, 12);
    const session = (await keys.openSession(id, 3600))!;
    expect(await keys.findSession(session.id)).toMatchObject({ keyId: id });

    const list = await cli('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+ROLE\s+NAME\s+CREATED\s+LAST USED\s+STATUS/);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+admin\\s+ops\\s.*active$`, 'm'));
    expect(list.stdout).not.toContain('tpr_');

    const revoke = await cli('revoke', id);
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toContain(`revoked key ${id}`);
    expect(await keys.verify(key)).toBeNull();
    expect(await keys.findSession(session.id)).toBeNull();
    const entries = await createAuditLog(database.db).list({ target: id, order: 'oldest' });
    expect(entries.map((e) => [e.action, e.actorName, e.actorKeyId, e.details])).toEqual([
      ['key.create', 'cli', null, { role: 'admin', name: 'ops' }], ['key.revoke', 'cli', null, null],
    ]);
    expect((await cli('list')).stdout).toMatch(new RegExp(`^${id}\\s.*revoked \\d{4}-\\d{2}-\\d{2}$`, 'm'));

    const unknown = await cli('revoke', 'nosuchid');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no API key with id nosuchid');
  }, 60_000);

  it('bad arguments → exit 2 with the usage, naming the problem; nothing created', async () => {
    const before = await keys.count();
    const cases: [string[], RegExp][] = [
      [['create', 'root'], /unknown role « root »: one of submitter, manager, auditor, admin/],
      [['create'], /create needs exactly one role/],
      [['create', 'admin', '--name'], /--name needs a value/],
      [['create', 'admin', '--force'], /unknown option --force/],
      [['rotate'], /unknown command « rotate »/],
      [[], /no command/],
      [['revoke'], /revoke needs exactly one key id/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('usage: npm run keys -- create <role> [--name <name>]');
      expect(r.stdout).toBe('');
    }
    expect(await keys.count()).toBe(before);
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage:');
  }, 120_000);
});
