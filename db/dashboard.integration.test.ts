// The dashboard's figures (db/dashboard.ts) on known rows, on PostgreSQL and on PGlite: each one equal to a count
// made here by hand (the comments say which rows make it), and to an independent SQL count where one is simple.
// Period: the week of 1–7 March 2026 in Paris (UTC+1), [2026-02-28T23:00Z, 2026-03-07T23:00Z); SLA 48 h; « now »
// 2026-03-09T00:00Z.

import { beforeAll, describe, expect, it } from 'vitest';
import { bothDatabases } from '../test/both-databases.js';
import type { OpenDatabase } from './client.js';
import { createDashboardRepository, type DashboardPeriod } from './dashboard.js';
import { createInvoiceRepository } from './invoices.js';

const H = 3_600_000;
const period: DashboardPeriod = {
  from: new Date('2026-02-28T23:00:00Z'), to: new Date('2026-03-07T23:00:00Z'), slaMs: 48 * H, now: new Date('2026-03-09T00:00:00Z'),
};

interface Claim { key: string; created: string; decided?: string; status: string; motif?: string; ps?: string }
interface Task { id: string; key: string; created: string; resolved?: string; escalated?: string }

const claims: Claim[] = [
  { key: 'A0', created: '2026-02-25T10:00:00Z', status: 'awaiting_manager', motif: 'manque_ps', ps: '300' },
  { key: 'A1', created: '2026-03-01T10:00:00Z', decided: '2026-03-01T10:00:30Z', status: 'paid', ps: '100' },
  { key: 'A2', created: '2026-03-01T11:00:00Z', decided: '2026-03-01T12:00:00Z', status: 'replied', motif: 'parcours_soins', ps: '100' },
  { key: 'A3', created: '2026-03-02T09:00:00Z', decided: '2026-03-04T09:00:00Z', status: 'paid', motif: 'a_controler', ps: '200' },
  { key: 'A4', created: '2026-03-03T08:00:00Z', decided: '2026-03-06T08:00:00Z', status: 'closed', motif: 'manque_consigne', ps: '200' },
  { key: 'A5', created: '2026-03-05T10:00:00Z', status: 'awaiting_manager', motif: 'a_controler', ps: '300' },
  { key: 'A6', created: '2026-03-06T12:00:00Z', status: 'analyzing' },
  { key: 'A7', created: '2026-02-27T10:00:00Z', decided: '2026-03-01T09:00:00Z', status: 'replied', motif: 'ro_100', ps: '100' },
  { key: 'A8', created: '2026-03-08T10:00:00Z', status: 'analyzing', ps: '100' },
];
// Due: created + 48 h.
const tasks: Task[] = [
  { id: 'T3', key: 'A3', created: '2026-03-02T09:00:10Z', resolved: '2026-03-04T09:00:00Z' },
  { id: 'T4', key: 'A4', created: '2026-03-03T08:00:00Z', resolved: '2026-03-06T08:00:00Z', escalated: '2026-03-05T08:00:00Z' },
  { id: 'T5', key: 'A5', created: '2026-03-05T10:00:00Z', escalated: '2026-03-07T10:00:00Z' },
  { id: 'T9', key: 'A6', created: '2026-03-07T20:00:00Z' },
  { id: 'T10', key: 'A0', created: '2026-02-25T10:00:00Z' },
  { id: 'T11', key: 'A7', created: '2026-02-27T10:00:00Z', resolved: '2026-03-01T09:00:00Z' },
];

const literal = (value: string | undefined) => (value === undefined ? 'null' : `'${value}'`);

async function seed(database: OpenDatabase) {
  await database.execute(`insert into practitioners (number, name) values ('100', 'Cabinet Cent'), ('200', 'Centre Deux-Cents')`);
  for (const c of claims) {
    await database.execute(`insert into invoices (id, archive_key, workflow_id, practitioner_number, status, motif, invoice, received_on, created_at, decided_at)
      values ('${c.key}', '${c.key}', 'invoice-${c.key}', ${literal(c.ps)}, '${c.status}', ${literal(c.motif)}, '{}', '2026-03-01', '${c.created}', ${literal(c.decided)})`);
  }
  for (const t of tasks) {
    await database.execute(`insert into manager_tasks (id, archive_key, workflow_id, motif, status, decision, created_at, due_at, resolved_at, escalated_at)
      values ('${t.id}', '${t.key}', 'invoice-${t.key}', 'a_controler', '${t.resolved ? 'resolved' : 'open'}', '{}', '${t.created}',
              timestamptz '${t.created}' + interval '48 hours', ${literal(t.resolved)}, ${literal(t.escalated)})`);
  }
}

const databases = bothDatabases('dashboard');
beforeAll(async () => {
  await seed(databases.postgres());
  await seed(databases.pglite());
}, 60_000);

describe.each(databases.each)('the dashboard on %s', (_name, database) => {
  const dashboard = () => createDashboardRepository(database().db);
  const count = async (query: string) => Number((await database().execute(query))[0]!.n);
  const inPeriod = (column: string) => `${column} >= '${period.from.toISOString()}' and ${column} < '${period.to.toISOString()}'`;

  it('counts the claims received, decided (automatically or by a manager), paid, replied, closed, routed', async () => {
    const figures = await dashboard().claims(period);
    expect(figures).toEqual({
      received: 6, // A1–A6
      decided: 5, // A1, A2, A3, A4, A7
      decidedByManager: 3, // A3, A4, A7: a resolved task
      decidedAuto: 2,
      paid: 2, // A1, A3
      replied: 2, // A2, A7
      closed: 1, // A4
      routed: 4, // T3, T4, T5, T9
    });
    expect(figures.received).toBe(await count(`select count(*) as n from invoices where ${inPeriod('created_at')}`));
    expect(figures.decided).toBe(await count(`select count(*) as n from invoices where ${inPeriod('decided_at')}`));
    expect(figures.routed).toBe(await count(`select count(distinct archive_key) as n from manager_tasks where ${inPeriod('created_at')}`));
  });

  it('gives one row per Paris day of the period, zeros included', async () => {
    const days = await dashboard().days(period);
    expect(days).toEqual([
      { day: '2026-03-01', received: 2, decided: 3, tasksCreated: 0, escalated: 0 },
      { day: '2026-03-02', received: 1, decided: 0, tasksCreated: 1, escalated: 0 },
      { day: '2026-03-03', received: 1, decided: 0, tasksCreated: 1, escalated: 0 },
      { day: '2026-03-04', received: 0, decided: 1, tasksCreated: 0, escalated: 0 },
      { day: '2026-03-05', received: 1, decided: 0, tasksCreated: 1, escalated: 1 },
      { day: '2026-03-06', received: 1, decided: 1, tasksCreated: 0, escalated: 0 },
      // T9 at 20:00Z is 21:00 in Paris, still the 7th.
      { day: '2026-03-07', received: 0, decided: 0, tasksCreated: 1, escalated: 1 },
    ]);
    expect(days.reduce((sum, d) => sum + d.received, 0)).toBe((await dashboard().claims(period)).received);
  });

  it('counts the claims per motif and per PS', async () => {
    expect(await dashboard().motifs(period)).toEqual([
      { motif: 'a_controler', label: 'A contrôler', count: 2 },
      { motif: 'manque_consigne', label: 'Manque Consigne', count: 1 },
      { motif: 'parcours_soins', label: 'Parcours de soins non respecté', count: 1 },
    ]);
    expect(await dashboard().practitioners(period)).toEqual([
      { practitionerNumber: '100', name: 'Cabinet Cent', received: 2, paid: 1, rejected: 1 },
      // A3 paid by a manager despite its motif: paid, not rejected.
      { practitionerNumber: '200', name: 'Centre Deux-Cents', received: 2, paid: 1, rejected: 1 },
      { practitionerNumber: '300', name: null, received: 1, paid: 0, rejected: 1 },
      { practitionerNumber: null, name: null, received: 1, paid: 0, rejected: 0 },
    ]);
    expect((await dashboard().practitioners(period, 2)).map((p) => p.practitionerNumber)).toEqual(['100', '200']);
  });

  it('gives the median and p90 of receipt → decision and task → resolution, and how many within the SLA', async () => {
    // Decisions: 30 s, 1 h, 47 h (A7), 48 h (A3), 72 h (A4). p90 at 0.9 × 4 = 3.6: 48 h + 0.6 × 24 h.
    // Resolutions: 47 h (T11), 48 h − 10 s (T3), 72 h (T4). p90 at 1.8: 172 790 + 0.8 × (259 200 − 172 790).
    expect(await dashboard().durations(period)).toEqual({
      decision: { count: 5, medianSeconds: 47 * 3600, p90Seconds: 48 * 3600 + 0.6 * 24 * 3600, withinSla: 4 },
      resolution: { count: 3, medianSeconds: 172_790, p90Seconds: 172_790 + 0.8 * (259_200 - 172_790), withinSla: 2 },
    });
  });

  it('gives the share of tasks treated within the SLA against the 99 % commitment', async () => {
    // Created in the period: T3 in time; T4 resolved late; T5 open past due; T9 open, not yet due.
    expect(await dashboard().sla(period)).toEqual({
      slaMs: 48 * H, target: 0.99, tasks: 4, withinSla: 1, late: 2, pending: 1, share: 1 / 3, met: false,
    });
    const allInTime = await dashboard().sla({ ...period, from: new Date('2026-03-02T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z') });
    expect(allInTime).toMatchObject({ tasks: 1, withinSla: 1, share: 1, met: true });
    const none = await dashboard().sla({ ...period, from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-02T00:00:00Z') });
    expect(none).toMatchObject({ tasks: 0, share: null, met: null });
  });

  it('gives the backlog at the end of the period by age, in fractions of the SLA, and the escalations', async () => {
    // Open at 2026-03-07T23:00Z: T5 (61 h), T9 (3 h), T10 (253 h); T5 and T10 past due.
    expect(await dashboard().backlog(period)).toEqual({
      at: '2026-03-07T23:00:00.000Z', total: 3, overdue: 2,
      buckets: [
        { label: '< 12 h', fromMs: 0, toMs: 12 * H, count: 1 },
        { label: '12 h – 24 h', fromMs: 12 * H, toMs: 24 * H, count: 0 },
        { label: '24 h – 48 h', fromMs: 24 * H, toMs: 48 * H, count: 0 },
        { label: '48 h – 4 j', fromMs: 48 * H, toMs: 96 * H, count: 1 },
        { label: '> 4 j', fromMs: 96 * H, toMs: null, count: 1 },
      ],
    });
    expect(await dashboard().escalations(period)).toEqual({ escalated: 2, resolved: 1, open: 1 });
    const whole = await dashboard().dashboard(period);
    expect(whole).toMatchObject({ from: period.from.toISOString(), to: period.to.toISOString(), slaMs: 48 * H, slaTarget: 0.99 });
    expect(whole.days).toHaveLength(7);
  });
});

describe('decided_at', () => {
  it('is set the first time a claim reaches a decided status, not when it is routed to a manager', async () => {
    const pglite = databases.pglite();
    const invoices = createInvoiceRepository(pglite.db);
    const decidedAt = async () => (await pglite.execute(`select decided_at from invoices where archive_key = 'D1'`))[0]!.decided_at;
    await pglite.execute(`insert into invoices (id, archive_key, workflow_id, status, invoice, received_on) values ('D1', 'D1', 'invoice-D1', 'analyzing', '{}', '2026-03-01')`);
    const decision = { motif: 'a_controler', route: 'manager' } as never;
    await invoices.recordDecision({ archiveKey: 'D1', status: 'awaiting_manager', decision });
    expect(await decidedAt()).toBeNull();
    await invoices.recordStatus('D1', 'paid');
    const first = await decidedAt();
    expect(first).not.toBeNull();
    await invoices.recordDecision({ archiveKey: 'D1', status: 'awaiting_reply', decision });
    expect(await decidedAt()).toEqual(first);
  });
});
