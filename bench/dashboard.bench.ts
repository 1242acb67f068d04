// npm run bench:dashboard — the dashboard's queries (db/dashboard.ts) on 100 000 decided claims and their manager
// tasks, in a scratch PostgreSQL database (DATABASE_URL, default the local server; created, then dropped). Prints the
// median time of GET /api/dashboard's work (every figure group, side by side) over several runs, for a 30-day period
// and for the whole 90 days. Target: < 500 ms for 30 days. BENCH_DASHBOARD_CLAIMS changes the claim count.
//
// The claims are spread over 90 days, 2 000 PS: a quarter paid at once, half answered to the PS, a quarter routed
// to a manager (resolved after 0–59 h, escalated past 48 h; one in ten still open).

import { sql } from 'drizzle-orm';
import { createDashboardRepository, type DashboardPeriod } from '../db/dashboard.js';
import { MOTIF_CODES } from '../rules/motifs.js';
import { createScratchDatabase } from '../test/databases.js';

const N = Number(process.env.BENCH_DASHBOARD_CLAIMS ?? 100_000);
const RUNS = 7;
const DAYS = 90;
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const end = new Date('2026-06-01T00:00:00Z');
const start = new Date(end.getTime() - DAYS * 86_400_000);
const SLA = 48 * 3_600_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const database = await createScratchDatabase(url, 'benchdash');
  try {
    const t0 = performance.now();
    const motifs = `array[${MOTIF_CODES.filter((m) => m !== 'a_controler').map((m) => `'${m}'`).join(',')}]`;
    // Claim g: created at start + g × (90 days / N); its kind is g % 4; a manager's claim (3) resolved after
    // (g × 7919) % 60 hours, still open when g % 40 = 3.
    const claim = `
      select g, lpad((2900000000 + g)::text, 10, '0') as k,
             timestamptz '${start.toISOString()}' + (g * ${(DAYS * 86_400) / N}) * interval '1 second' as created,
             ((g * 7919) % 60) * interval '1 hour' as wait
      from generate_series(0, ${N - 1}) g`;
    await database.execute(`insert into practitioners (number, name)
      select lpad((700000000 + p)::text, 9, '0'), 'Cabinet ' || p from generate_series(0, 1999) p`);
    await database.execute(`insert into invoices (id, archive_key, workflow_id, practitioner_number, status, motif, route, invoice, received_on, created_at, decided_at)
      select k, k, 'invoice-' || k, lpad((700000000 + g % 2000)::text, 9, '0'),
             case when g % 4 = 0 then 'paid' when g % 4 < 3 then 'replied' when g % 40 = 3 then 'awaiting_manager' else 'paid' end,
             case when g % 4 = 0 then null when g % 4 < 3 then (${motifs})[1 + (g / 4) % ${MOTIF_CODES.length - 1}] else 'a_controler' end,
             case when g % 4 = 0 then null when g % 4 < 3 then 'practitioner' else 'manager' end,
             '{}'::jsonb, created::date, created,
             case when g % 4 = 0 then created + (g % 600) * interval '1 second'
                  when g % 4 < 3 then created + (g % 3600) * interval '1 second'
                  when g % 40 = 3 then null
                  else created + interval '5 seconds' + wait end
      from (${claim}) c`);
    await database.execute(`insert into manager_tasks (id, archive_key, workflow_id, motif, status, decision, created_at, due_at, escalated_at, resolved_at, resolution)
      select k || '-1', k, 'invoice-' || k, 'a_controler', case when g % 40 = 3 then 'open' else 'resolved' end, '{}'::jsonb,
             created + interval '5 seconds', created + interval '5 seconds' + interval '48 hours',
             case when g % 40 = 3 or wait > interval '48 hours' then created + interval '5 seconds' + interval '48 hours' end,
             case when g % 40 = 3 then null else created + interval '5 seconds' + wait end,
             case when g % 40 = 3 then null else '{"action":"pay"}'::jsonb end
      from (${claim}) c where g % 4 = 3`);
    // As autovacuum leaves a table at rest: statistics, and a visibility map for index-only scans.
    await database.db.execute(sql`vacuum analyze`);
    const [{ invoices, tasks }] = (await database.execute(
      'select (select count(*) from invoices)::int as invoices, (select count(*) from manager_tasks)::int as tasks',
    )) as [{ invoices: number; tasks: number }];
    console.log(`${invoices} claims, ${tasks} manager tasks generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const dashboard = createDashboardRepository(database.db);
    const now = end;
    const periods: [string, DashboardPeriod][] = [
      ['30 days', { from: new Date(end.getTime() - 30 * 86_400_000), to: end, slaMs: SLA, now }],
      [`${DAYS} days (all)`, { from: start, to: end, slaMs: SLA, now }],
    ];
    for (const [label, period] of periods) {
      await dashboard.dashboard(period); // warm-up
      const times: number[] = [];
      let figures = await dashboard.dashboard(period);
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        figures = await dashboard.dashboard(period);
        times.push(performance.now() - t);
      }
      console.log(
        `dashboard, ${label}: median ${median(times).toFixed(0)} ms over ${RUNS} runs (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`
        + ` — received ${figures.claims.received}, decided ${figures.claims.decided}, SLA share ${((figures.sla.share ?? 0) * 100).toFixed(1)} %`
        + `, backlog ${figures.backlog.total}`,
      );
    }
  } finally {
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
