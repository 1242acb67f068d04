import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult, ReferenceData } from '../rules/types.js';
import { openDatabase, type OpenDatabase } from './client.js';
import { createPostgresPorts } from './ports.js';
import { seedReference } from './seed.js';
import { createTaskRepository } from './tasks.js';

const examples: Record<string, ReferenceData> = JSON.parse(
  readFileSync(new URL('../test/fixtures/spec-example-references.json', import.meta.url), 'utf8'),
);

describe('embedded PGlite database', () => {
  const root = mkdtempSync(join(tmpdir(), 'pglite-test-'));
  const dir = join(root, 'nested', 'pglite');
  let database: OpenDatabase;

  beforeAll(async () => {
    database = await openDatabase('', { pgliteDir: dir }); // '' rather than undefined: ignore DATABASE_URL
  });

  afterAll(async () => {
    await database?.close();
    await database?.close(); // closing twice is harmless
    rmSync(root, { recursive: true, force: true });
  });

  it('creates its folder and applies the migrations', async () => {
    expect(database.kind).toBe('pglite');
    expect(existsSync(dir)).toBe(true);
    const tables = await database.execute(
      `select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(tables.map((row) => row.table_name)).toEqual([
      'agica_records', 'api_keys', 'archived_histories', 'audit_log', 'batches', 'beneficiaries', 'cards', 'catalogue', 'claim_decisions',
      'contract_rights', 'doctor_runs', 'idempotency_keys', 'insurers', 'invoices', 'manager_tasks', 'outbox', 'payment_acts', 'payments',
      'practitioners', 'sessions', 'task_events', 'trame_files', 'webhook_deliveries', 'webhook_endpoints', 'webhook_events',
      'webhook_sequences',
    ]);
  });

  it('seeds a spec example and answers the ports with the same shapes as PostgreSQL', async () => {
    const counts = await seedReference(database.db, examples['centre-facture-assure']);
    expect(counts).toMatchObject({ practitioners: 2, beneficiaries: 1, cards: 1, catalogue: 9, insurers: 1 });
    const ports = createPostgresPorts(database.db);
    const [marc] = await ports.protips.findBeneficiariesByName('Lefèvre', 'MARC');
    expect(marc).toMatchObject({ nir: '1850369123045', birthDate: '1985-03-02', contractRights: [{ start: '2016-01-01', end: '2016-12-31' }] });
    expect(marc.cards?.[0]).toMatchObject({ start: '2016-01-01', restitutedOn: null, columns: { AUX: 100 } });
    expect(await ports.valerys.findCatalogueEntries(['MAU'])).toEqual([{ code: 'MAU', unitPrice: 1.35, majoration: true }]);
    expect(await ports.valerys.findInsurer('mgen')).toEqual({ name: 'MGEN', controlThreshold: 500 });
    expect((await ports.agaps.findPractitioner('690012345'))?.returnEmails).toEqual([
      'compta@bellecour.example.org', 'retour-ps@bellecour.example.org',
    ]);
  });

  it('reopens an existing folder without re-applying the migrations', async () => {
    await database.close();
    database = await openDatabase('', { pgliteDir: dir });
    const { readdirSync } = await import('node:fs');
    const migrations = readdirSync(new URL('./migrations', import.meta.url)).filter((f) => f.endsWith('.sql')).length;
    expect(await database.execute('select count(*)::int as n from drizzle.__drizzle_migrations')).toEqual([{ n: migrations }]);
    expect(await database.execute('select count(*)::int as n from catalogue')).toEqual([{ n: 9 }]);
  });

  it('announces each task event on the channel task_events, without personal data (LISTEN in process)', async () => {
    const received: string[] = [];
    let listening = 0;
    const stop = await database.listen('task_events', (payload) => received.push(payload), () => listening++);
    expect(listening).toBe(1);
    await database.execute(`insert into invoices (id, archive_key, workflow_id, status, invoice, received_on)
      values ('invoice-7000000001', '7000000001', 'invoice-7000000001', 'waiting', '{"beneficiary":{"nir":"1850369123045"}}', '2026-01-02')`);
    const tasks = createTaskRepository(database.db);
    const { taskId } = await tasks.open({
      archiveKey: '7000000001', workflowId: 'invoice-7000000001', seq: 1, decision: { motif: 'a_controler' } as AnalysisResult,
      batchId: null, practitionerNumber: null, slaMs: 60_000,
    });
    await tasks.claim(taskId, 'Claire Martin');
    await expect.poll(() => received.length).toBe(2);
    const [created, claimed] = received.map((r) => JSON.parse(r));
    expect(created).toMatchObject({ taskId: '7000000001-1', archiveKey: '7000000001', kind: 'created', actor: null });
    expect(claimed).toMatchObject({ taskId: '7000000001-1', archiveKey: '7000000001', kind: 'claimed', actor: 'Claire Martin' });
    expect(Object.keys(claimed).sort()).toEqual(['actor', 'archiveKey', 'at', 'id', 'kind', 'taskId']);
    expect(received.join()).not.toContain('1850369123045');
    await stop();
    await tasks.release(taskId, 'Claire Martin');
    expect(received).toHaveLength(2);
  });
});
