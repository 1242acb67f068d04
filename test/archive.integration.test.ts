// Retention: a closed workflow's history is archived (encrypted, as the server had it); deleted from Temporal
// (`temporal workflow delete`), it still exports, shows its timeline and replays — from the archive; the purge
// removes it after the retention and is recorded; the two Temporal Schedules exist and archive when triggered.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { archiveScheduleIds, createArchiveActivities, ensureArchiveSchedules } from '../activities/archive.js';
import { createArchiveRepository } from '../db/archive.js';
import { createAuditLog } from '../db/audit.js';
import { baseCase, invoiceWith, toPractitioner } from '../rules/testing/cases.js';
import { ensureTemporalCli } from '../scripts/temporal-cli.js';
import { invoiceWorkflowId } from '../workflows/contract.js';
import { createPipeline, until, type Pipeline, type RunningApi } from './harness.js';
import { loadConfig } from '../config.js';

const run = promisify(execFile);
const NIR = baseCase().invoice.beneficiary!.nir!;
let p: Pipeline;
let api: RunningApi;

beforeAll(async () => {
  p = await createPipeline('archive', baseCase().reference);
  api = await p.startApi();
  for (const key of ['8300000001', '8300000002']) {
    await p.service.submit({ invoice: invoiceWith(key, key.endsWith('2') ? toPractitioner : undefined), receivedOn: '2016-02-23' });
    await p.client.workflow.getHandle(invoiceWorkflowId(key)).result();
  }
}, 120_000);
afterAll(async () => p?.close());

const archiving = (retentionMs = 3650 * 86_400_000) => createArchiveActivities({
  archive: createArchiveRepository(p.database.db), audit: createAuditLog(p.database.db), temporal: p.client,
  archiveRetentionMs: retentionMs, taskQueue: p.taskQueue,
});

describe('histories outlive Temporal', () => {
  it('archived, deleted from Temporal, still exported (encrypted or decoded), shown and replayed', async () => {
    const archive = createArchiveRepository(p.database.db);
    await until('both histories archived', async () => {
      await archiving().archiveClosedHistories();
      return (await archive.count()) >= 2;
    });
    // A second sweep archives nothing again.
    expect((await archiving().archiveClosedHistories()).archived).toBe(0);
    const [stored] = await archive.runs(invoiceWorkflowId('8300000001'));
    expect(stored).toMatchObject({ workflowType: 'invoiceWorkflow', status: 'completed' });
    const bytes = (await archive.history(invoiceWorkflowId('8300000001')))!.history;
    expect(bytes.toString('latin1')).not.toContain(NIR);

    const before = await api.fetch('/api/invoices/8300000001/history', { role: 'auditor' });
    expect(before.headers.get('x-history-source')).toBe('temporal');
    const fromTemporal = await before.json();

    const cli = (await ensureTemporalCli(undefined, loadConfig(process.env).tools))!;
    await run(cli, ['workflow', 'delete', '-w', invoiceWorkflowId('8300000001'), '--address', inject('temporalAddress')]);
    await until('the workflow gone from Temporal', async () => {
      try {
        await p.client.workflow.getHandle(invoiceWorkflowId('8300000001')).fetchHistory();
        return false;
      } catch {
        return true;
      }
    });

    const after = await api.fetch('/api/invoices/8300000001/history', { role: 'auditor' });
    expect(after.status).toBe(200);
    expect(after.headers.get('x-history-source')).toBe('archive');
    expect(await after.json()).toEqual(fromTemporal);
    const decoded = await api.fetch('/api/invoices/8300000001/history?decoded=true', { role: 'auditor' });
    expect(decoded.headers.get('x-history-source')).toBe('archive');
    const input = (await decoded.json()).events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    expect(JSON.parse(Buffer.from(input.data, 'base64').toString()).invoice.beneficiary.nir).toBe(NIR);
    const timeline = await (await api.fetch('/api/invoices/8300000001/timeline', { role: 'manager' })).json();
    expect(timeline.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['received', 'decided', 'finished']));

    // npm run replay -- <workflowId>: Temporal no longer has it, the archive does.
    const replay = await run('npx', ['tsx', 'bin/replay.ts', invoiceWorkflowId('8300000001')], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), DATABASE_URL: p.database.url },
    });
    expect(replay.stdout).toContain('from the archive');
    expect(replay.stdout).toContain('1 replayed, 0 failed');
  }, 120_000);

  it('the purge removes what is past the retention, and is recorded', async () => {
    const archive = createArchiveRepository(p.database.db);
    const kept = await archiving().purgeArchivedHistories();
    expect(kept.purged).toBe(0);
    expect(await archive.count()).toBeGreaterThanOrEqual(2);
    const purged = await archiving(0).purgeArchivedHistories();
    expect(purged.purged).toBeGreaterThanOrEqual(2);
    expect(await archive.count()).toBe(0);
    expect((await api.fetch('/api/invoices/8300000001/history', { role: 'auditor' })).status).toBe(404);
    const audit = await (await api.fetch('/api/audit?action=archive.purge', { role: 'auditor' })).json();
    expect(audit.entries).toHaveLength(2);
    expect(audit.entries[0]).toMatchObject({ actorName: 'system', details: { purged: purged.purged, retentionDays: 0 } });
    expect(audit.entries[1]).toMatchObject({ details: { purged: 0, retentionDays: 3650 } });
  });

  it('the schedules exist once, and a triggered archive run archives the closed histories', async () => {
    await ensureArchiveSchedules(p.client, p.taskQueue);
    await ensureArchiveSchedules(p.client, p.taskQueue); // a second process starting: no error, no duplicate
    const ids = archiveScheduleIds(p.taskQueue);
    const schedule = p.client.schedule.getHandle(ids.archive);
    expect((await schedule.describe()).action).toMatchObject({ workflowType: 'archiveHistoriesWorkflow' });
    expect((await p.client.schedule.getHandle(ids.purge).describe()).action).toMatchObject({ workflowType: 'purgeArchivesWorkflow' });
    await schedule.trigger();
    const archive = createArchiveRepository(p.database.db);
    await until('the scheduled run archived the remaining history', async () => (await archive.count()) >= 1);
    expect((await archive.runs(invoiceWorkflowId('8300000002')))[0]).toMatchObject({ status: 'completed' });
    for (const id of [ids.archive, ids.purge]) await p.client.schedule.getHandle(id).delete();
  }, 120_000);
});
