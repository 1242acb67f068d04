// The pipeline end to end on the real Temporal dev server and PostgreSQL: submit → workflow → decision in the
// database, the same as `npm run analyze`; resubmission never starts a second workflow.

import { defaultPayloadConverter } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayloadsInPlace } from '../activities/history-codec.js';
import type { ClaimAnalysis } from '../activities/index.js';
import { rulesVersion } from '../activities/rules-version.js';
import { invoices as invoicesTable } from '../db/schema.js';
import { analyzeCase, baseCase, caseWith, decisionOf } from '../rules/testing/cases.js';
import { invoiceWorkflowId, statusQuery } from '../workflows/contract.js';
import type { invoiceWorkflow } from '../workflows/invoice.js';
import { createPipeline, type Pipeline } from './harness.js';

let p: Pipeline;
beforeAll(async () => {
  p = await createPipeline('pipeline', baseCase().reference);
}, 120_000);
afterAll(async () => p?.close());

const withKey = (archiveKey: string, change: Parameters<typeof caseWith>[0] = () => undefined) =>
  caseWith((c) => { c.invoice.archiveKey = archiveKey; change(c); });

describe('invoiceWorkflow', () => {
  it('a paid invoice: analysed step by step, recorded as paid, same result as the rules alone', async () => {
    const c = withKey('1000000001');
    const receipt = await p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
    expect(receipt).toMatchObject({ id: '1000000001', workflowId: 'invoice-1000000001', duplicate: false });
    const state = await p.client.workflow.getHandle<typeof invoiceWorkflow>(receipt.workflowId).result();
    expect(state.status).toBe('paid');
    expect(state.trace.map((t) => t.step)).toEqual(['G0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7', 'G8', 'Paid']);
    const row = await p.invoices.get('1000000001');
    expect(row).toMatchObject({ status: 'paid', motif: null, route: null, workflowId: 'invoice-1000000001' });
    expect(row!.decision).toEqual({ ...(await analyzeCase(c)), rulesVersion: rulesVersion() });
  });

  it('a manager case: recorded as awaiting_manager with its motif, route and reply, and a task it waits on', async () => {
    const c = withKey('1000000002', (x) => { x.invoice.adeliNumbers = ['691234567', '750044778']; });
    const { workflowId } = await p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
    const handle = p.client.workflow.getHandle<typeof invoiceWorkflow>(workflowId);
    let state = await handle.query(statusQuery);
    for (let i = 0; i < 100 && !state.task; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = await handle.query(statusQuery);
    }
    expect(state).toMatchObject({ status: 'awaiting_manager', motif: 'erreur_contenu_facture', route: 'manager', task: { id: '1000000002-1', escalated: false } });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const row = await p.invoices.get('1000000002');
    expect(decisionOf(row!.decision!)).toEqual(decisionOf({ ...(await analyzeCase(c)), rulesVersion: rulesVersion() }));
    expect(row!.decision!.reply).toContain('plusieurs numéros Adeli');
  });

  it('a practitioner case: the reply e-mailed to the PS address, then replied', async () => {
    const c = withKey('1000000003', (x) => { x.invoice.flags!.addressedToInsured = true; });
    const { workflowId } = await p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
    const state = await p.client.workflow.getHandle<typeof invoiceWorkflow>(workflowId).result();
    expect(state).toMatchObject({ status: 'replied', motif: 'facture_assure', route: 'practitioner' });
    expect(state.decision!.email).toBe('contact@ide-parc.example.org');
    const row = await p.invoices.get('1000000003');
    expect(row).toMatchObject({ status: 'replied', emailId: 'ps-reply:1000000003-0:691234567:1' });
  });

  it('resubmitting returns the same workflow, running or finished, and never starts a second one', async () => {
    const c = withKey('1000000004');
    const [a, b] = await Promise.all([
      p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn }),
      p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn }),
    ]);
    expect(a.workflowId).toBe(b.workflowId);
    const first = await p.client.workflow.getHandle(a.workflowId).result();
    const again = await p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
    expect(again).toMatchObject({ id: '1000000004', duplicate: true, status: first.status });
    const runs = [];
    for await (const w of p.client.workflow.list({ query: `WorkflowId = '${invoiceWorkflowId('1000000004')}'` })) runs.push(w);
    expect(runs).toHaveLength(1);
  });

  it('answers the status query while and after it runs', async () => {
    const c = withKey('1000000005');
    const { workflowId } = await p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
    const handle = p.client.workflow.getHandle(workflowId);
    await handle.result();
    const state = await handle.query(statusQuery);
    expect(state).toMatchObject({ archiveKey: '1000000005', status: 'paid' });
  });

  it('records the analysis in the history as one local activity marker holding every step\'s trace line', async () => {
    const c = withKey('1000000006');
    const { workflowId } = await p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
    const handle = p.client.workflow.getHandle(workflowId);
    await handle.result();
    const history = await handle.fetchHistory();
    const types = history.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
      .map((e) => (defaultPayloadConverter.fromPayload(e.markerRecordedEventAttributes!.details!.data!.payloads![0] as never) as { activity_type: string }).activity_type);
    expect(types).toEqual(['openAndAnalyseClaim', 'recordDecision']);
    // The analysis' marker holds every step's trace line (what it looked at, what it found), the rules version and
    // the reference facts read: readable through the codec (the history is stored encrypted).
    await decodePayloadsInPlace(history, p.client.options.loadedDataConverter.payloadCodecs);
    const marker = history.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')[0]!;
    const { analysis } = defaultPayloadConverter.fromPayload(marker.markerRecordedEventAttributes!.details!.result!.payloads![0] as never) as { analysis: ClaimAnalysis };
    expect(analysis.result.trace.map((t) => t.step)).toEqual(['G0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7', 'G8', 'Paid']);
    expect(analysis.result.trace.every((t) => t.facts.length > 0)).toBe(true);
    expect(analysis.result.rulesVersion).toBe(rulesVersion());
    expect(analysis.recorded.references.calls.length).toBeGreaterThan(0);
    // Recorded with the decision: the rules version, the analysis and the facts it read.
    const row = (await p.database.db.select().from(invoicesTable).where(eq(invoicesTable.archiveKey, '1000000006')))[0]!;
    expect(row.rulesVersion).toBe(rulesVersion());
    expect(row.analysis).toEqual(analysis.recorded);
  });
});

describe('npm run replay -- <workflowId>', () => {
  it('fetches a finished invoice\'s history from the server and replays it with the current code', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { inject } = await import('vitest');
    const c = withKey('1000000007', (x) => { x.invoice.flags!.ro100 = true; });
    const { workflowId } = await p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
    await p.client.workflow.getHandle(workflowId).result();
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'bin/replay.ts', workflowId, 'invoice-1000000001'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress') },
    });
    expect(stdout).toContain(`ok    ${workflowId}: replays with the current workflow code`);
    expect(stdout).toContain('2 replayed, 0 failed');
  }, 60_000);
});
