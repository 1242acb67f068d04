// The decision's one statement (db/invoices.ts `recordDecision`): the claim's row, its journal line (the timeline's
// source) and, for a first reply, who e-mails it — on PostgreSQL and on PGlite, retried as an activity is.

import { describe, expect, it } from 'vitest';
import { bothDatabases } from '../test/both-databases.js';
import type { AnalysisResult } from '../rules/types.js';
import { createInvoiceRepository } from './invoices.js';

const analysed: AnalysisResult = {
  outcome: 'rejected', motif: 'a_controler', route: 'manager', error: null,
  trace: [{ step: 'G0', facts: { etat: 'rejetée' }, result: 'continue' }, { step: 'G7', facts: { seuil: 500 }, result: 'a_controler' }],
  rulesVersion: '0.1.0+abcdef012345',
} as unknown as AnalysisResult;
const replied: AnalysisResult = { ...analysed, motif: 'ro_100', route: 'practitioner', trace: [] } as AnalysisResult;

const databases = bothDatabases('invoices');

describe.each(databases.each)('a decision recorded on %s', (_name, database) => {
  const repo = () => createInvoiceRepository(database().db);
  const receive = (archiveKey: string, batchId: string | null = null) => repo().recordReceived({
    archiveKey, workflowId: `invoice-${archiveKey}`, receivedOn: '2026-03-01', batchId,
    invoice: { archiveKey } as never,
  });
  const recorded = { rulesVersion: analysed.rulesVersion!, result: analysed, references: {} } as never;

  it('writes the row and one journal line, however often the activity is retried', async () => {
    await receive('7000000001');
    const decision = { archiveKey: '7000000001', status: 'awaiting_manager' as const, decision: analysed, analysis: recorded, journalKey: 'run-1/1' };
    for (let i = 0; i < 3; i++) expect(await repo().recordDecision(decision)).toBeNull();
    const row = await repo().get('7000000001');
    expect(row).toMatchObject({ status: 'awaiting_manager', motif: 'a_controler', route: 'manager', rulesVersion: '0.1.0+abcdef012345' });
    const journal = await repo().decisionsOf('7000000001');
    expect(journal).toHaveLength(1);
    expect(journal[0]).toMatchObject({ analysed: true, decision: { motif: 'a_controler', trace: analysed.trace } });
  });

  it('keeps the claim\'s decisions in the order they were taken, a manager\'s routing not marked as analysed', async () => {
    await receive('7000000002');
    await repo().recordDecision({ archiveKey: '7000000002', status: 'awaiting_manager', decision: analysed, analysis: recorded, journalKey: 'run-2/1' });
    await repo().recordDecision({ archiveKey: '7000000002', status: 'awaiting_reply', decision: replied, replyBy: 'invoice', journalKey: 'run-2/7' });
    const journal = await repo().decisionsOf('7000000002');
    expect(journal.map((d) => [d.analysed, d.decision.motif])).toEqual([[true, 'a_controler'], [false, 'ro_100']]);
    expect(Date.parse(journal[0]!.at)).toBeLessThanOrEqual(Date.parse(journal[1]!.at));
    expect((await repo().get('7000000002'))?.replyBy).toBe('invoice');
  });

  it('writes no journal line without a key (a decision recorded outside an activity)', async () => {
    await receive('7000000003');
    await repo().recordDecision({ archiveKey: '7000000003', status: 'awaiting_manager', decision: analysed });
    expect(await repo().decisionsOf('7000000003')).toEqual([]);
    expect((await repo().get('7000000003'))?.motif).toBe('a_controler');
  });

  it('settles who e-mails a first reply in the same statement: the batch for a batch\'s claim, once', async () => {
    await database().execute(`insert into batches (id, status, invoice_count) values ('B-journal', 'open', 1) on conflict do nothing`);
    await receive('7000000004');
    await receive('7000000005', 'B-journal');
    const reply = (archiveKey: string) => repo().recordDecision({
      archiveKey, status: 'awaiting_reply', decision: replied, claimReply: true, journalKey: `run-${archiveKey}/2`,
    });
    expect(await reply('7000000004')).toBe('invoice');
    expect(await reply('7000000005')).toBe('batch');
    // Settled once: the claim adopted by a batch afterwards keeps its own e-mailer.
    await database().execute(`update invoices set batch_id = 'B-journal' where archive_key = '7000000004'`);
    expect(await reply('7000000004')).toBe('invoice');
    expect(await repo().claimReply('7000000004')).toBe('invoice');
  });

  it('opens a claim in one statement: its status, its decision and its own tasks only', async () => {
    expect(await repo().opening('7000000009')).toBeNull();
    await receive('7000000006');
    await receive('7000000007');
    await repo().recordDecision({ archiveKey: '7000000007', status: 'awaiting_manager', decision: analysed });
    const task = (id: string, status: string, resolution: string | null) => database().execute(`insert into manager_tasks
      (id, archive_key, workflow_id, motif, status, decision, due_at, resolution, resolved_by)
      values ('${id}', '7000000007', 'invoice-7000000007', 'a_controler', '${status}', '{}', now(), ${resolution ? `'${resolution}'` : 'null'}, ${resolution ? "'Claire Martin'" : 'null'})`);
    await task('7000000007-1', 'resolved', '{"action":"reply","motif":"histo_client","comment":null}');
    await task('7000000007-2', 'resolved', '{"action":"pay","motif":null,"comment":"contrôle fait"}');
    expect(await repo().opening('7000000006')).toEqual({ status: 'analyzing', decision: null, tasks: { count: 0, openSeq: null, lastResolved: null } });
    expect(await repo().opening('7000000007')).toEqual({
      status: 'awaiting_manager', decision: analysed,
      tasks: { count: 2, openSeq: null, lastResolved: { taskId: '7000000007-2', action: 'pay', motif: null, comment: 'contrôle fait', by: 'Claire Martin' } },
    });
    await task('7000000007-3', 'open', null);
    expect((await repo().opening('7000000007'))?.tasks).toEqual({ count: 3, openSeq: 3, lastResolved: null });
  });
});
