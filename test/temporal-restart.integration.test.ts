// The Temporal server killed (SIGKILL) in the middle of a batch and started again on its own data: the batch goes on
// where it was and closes « FIN OK », every invoice decided once, every PS e-mailed once per 10 rows, none twice.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseCase } from '../rules/testing/cases.js';
import type { Invoice, ReferenceData } from '../rules/types.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { ensureTemporalCli, freePort, startDevServer, type DevServer } from '../scripts/temporal-cli.js';
import { startFakeResend, type FakeResend } from './fake-resend.js';
import { createPipeline, type Pipeline } from './harness.js';
import { loadConfig } from '../config.js';

const N = 300;
const PRACTITIONERS = 12;
const psNumber = (i: number) => String(714_000_000 + i);

let server: DevServer;
let binary: string;
let port: number;
let dbFile: string;
let resend: FakeResend;
let p: Pipeline;

const start = () => startDevServer({ binary, port, uiPort: false, dbFile, log: () => undefined });

beforeAll(async () => {
  binary = (await ensureTemporalCli(undefined, loadConfig(process.env).tools))!;
  port = await freePort();
  dbFile = join(mkdtempSync(join(tmpdir(), 'temporal-restart-')), 'temporal.db');
  server = await start();
  resend = await startFakeResend({ latencyMs: 20 });
  const practitioners = Array.from({ length: PRACTITIONERS }, (_, i) => ({
    number: psNumber(i), name: `Cabinet ${i}`, headerEmail: `ps${i}@restart.example.org`, returnEmails: [],
  }));
  const reference: ReferenceData = { ...baseCase().reference, practitioners };
  p = await createPipeline('restart', reference, { temporalAddress: server.address, env: { RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url } });
}, 180_000);
afterAll(async () => {
  await p?.close();
  await server?.stop();
  await resend?.close();
});

describe('the Temporal server killed mid-batch', () => {
  it('restarted on its data, the batch closes « FIN OK »: every invoice decided once, each PS e-mailed once per 10 rows', async () => {
    const invoices: Invoice[] = Array.from({ length: N }, (_, i) => {
      const invoice = structuredClone(baseCase().invoice);
      invoice.archiveKey = String(7_600_000_000 + i);
      invoice.invoiceNumber = `T-${i}`;
      invoice.practitionerNumber = psNumber(i % PRACTITIONERS);
      invoice.adeliNumbers = [invoice.practitionerNumber];
      if (i % 3 === 1) invoice.flags!.addressedToInsured = true; // to the PS
      if (i % 3 === 2) invoice.adeliNumbers = [invoice.practitionerNumber, '750044778']; // to a manager
      return invoice;
    });
    await p.service.submitBatch({ batchId: 'gto-restart', receivedOn: '2016-02-23', invoices });

    // Kill it once a third of the invoices are decided, keep it down a moment, start it again on the same file.
    for (let i = 0; ; i++) {
      const decided = (await p.invoices.list({ batchId: 'gto-restart', limit: 1 })).total
        - (await p.invoices.list({ batchId: 'gto-restart', status: 'analyzing', limit: 1 })).total;
      if (decided >= N / 3) break;
      if (i > 1200) throw new Error('the batch never got going');
      await new Promise((r) => setTimeout(r, 50));
    }
    await server.kill();
    await new Promise((r) => setTimeout(r, 3000));
    server = await start();

    const state = await p.client.workflow.getHandle<typeof batchWorkflow>('batch-gto-restart').result();
    expect(state).toMatchObject({ phase: 'closed', gtoClosure: 'FIN OK', invoiceCount: N, decided: N, paid: 100, routedToPractitioner: 100, routedToManager: 100, trameRows: 200 });

    // Decided once: one decision per claim, one task per manager claim, no claim left analysing.
    expect((await p.invoices.list({ batchId: 'gto-restart', status: 'analyzing', limit: 1 })).total).toBe(0);
    for (const key of invoices.filter((_, i) => i % 3 === 2).map((inv) => inv.archiveKey)) {
      expect((await p.tasks.ofInvoice(key)).map((t) => t.id)).toEqual([`${key}-1`]);
    }
    // 100 PS rows over 12 PS (8 or 9 each): one e-mail each, and every row in exactly one delivered e-mail.
    const mails = resend.deliveries.filter((d) => String(d.idempotencyKey).startsWith('ps-reply:gto-restart:'));
    expect(mails).toHaveLength(PRACTITIONERS);
    for (const key of invoices.filter((_, i) => i % 3 === 1).map((inv) => inv.archiveKey)) {
      expect(resend.deliveries.filter((d) => String(d.email.text).includes(key))).toHaveLength(1);
    }
    expect((await p.invoices.list({ batchId: 'gto-restart', status: 'replied', limit: 1 })).total).toBe(100);
    // Decided once: each claim's history records one decision (a sample across the kill).
    for (const key of invoices.filter((_, i) => i % 10 === 0).map((inv) => inv.archiveKey)) {
      const history = await p.client.workflow.getHandle(`invoice-${key}`).fetchHistory();
      const types = history.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
        .map((e) => (defaultPayloadConverter.fromPayload(e.markerRecordedEventAttributes!.details!.data!.payloads![0] as never) as { activity_type: string }).activity_type);
      expect(types.filter((t) => t === 'recordDecision'), key).toHaveLength(1);
    }
  }, 300_000);
});
