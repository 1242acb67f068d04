// Refusals and repeated errors end as decisions a person sees, never as a failed or stuck workflow:
// - the provider refuses a PS's address (alone, and for one PS inside a batch): manager tasks with the reason, the
//   batch still e-mails the other PS, writes its Trame and closes « FIN OK »;
// - the provider refuses the managers' escalation address: the escalation is recorded, the claim keeps listening, the
//   manager's resolve answers at once; the e-mail is sent again once the address is fixed;
// - the provider refuses *our* key: retried with backoff and raised as an alert, no task;
// - an analysis that fails the same way every time: a « Manque Consigne » task carrying the error.

import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedReference } from '../db/seed.js';
import { baseCase, caseWith } from '../rules/testing/cases.js';
import type { Invoice, ReferenceData } from '../rules/types.js';
import { statusQuery } from '../workflows/contract.js';
import type { batchWorkflow } from '../workflows/batch.js';
import type { invoiceWorkflow } from '../workflows/invoice.js';
import { createActivities } from '../activities/index.js';
import { loadConfig } from '../config.js';
import { dependenciesFrom } from '../worker.js';
import { startFakeResend, type FakeResend } from './fake-resend.js';
import { beforeAgicaLookup } from './faulty-ports.js';
import { createPipeline, until, type Pipeline, type RunningApi } from './harness.js';

const PS_ADDRESS = 'contact@ide-parc.example.org';

let resend: FakeResend;
beforeAll(async () => {
  resend = await startFakeResend();
});
afterAll(async () => resend?.close());

const withResend = () => ({ RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url });

describe('a PS address the provider refuses, for a claim on its own', () => {
  let p: Pipeline;
  let api: RunningApi;
  beforeAll(async () => {
    p = await createPipeline('refused', baseCase().reference, { env: withResend() });
    api = await p.startApi();
  }, 120_000);
  afterAll(async () => p?.close());

  it('becomes a manager task with the same motif and reply and the reason; the claim then ends on its normal path', async () => {
    resend.refuse(PS_ADDRESS);
    const c = caseWith((x) => { x.invoice.archiveKey = '7000000001'; x.invoice.flags!.addressedToInsured = true; });
    expect((await api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: c.invoice, receivedOn: c.receivedOn } })).status).toBe(202);

    const task = await until('the task', async () => {
      const res = await api.fetch('/api/tasks/7000000001-1', { role: 'manager' });
      return res.status === 200 ? res.json() : null;
    });
    expect(task).toMatchObject({ status: 'open', motif: 'facture_assure' });
    expect(task.decision).toMatchObject({ motif: 'facture_assure', route: 'manager', humanTask: true });
    expect(task.decision.reply).toContain('facture');
    const last = task.decision.trace.at(-1);
    expect(last).toMatchObject({ step: 'Routing', check: 'mailRefused', result: 'manager' });
    expect(last.facts[0]).toMatch(/^adresse e-mail refusée par le prestataire : Resend 422 validation_error: Invalid `to` field/);

    const invoice = await (await api.fetch('/api/invoices/7000000001', { role: 'manager' })).json();
    expect(invoice).toMatchObject({ status: 'awaiting_manager', route: 'manager', motif: 'facture_assure' });
    const handle = p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-7000000001');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect((await handle.query(statusQuery)).task?.id).toBe('7000000001-1');
    const refused = await (await api.fetch('/api/outbox?status=failed', { role: 'manager' })).json();
    expect(refused.items.map((m: { id: string }) => m.id)).toContain('ps-reply:7000000001-0:691234567:1');
    expect(refused.items.find((m: { id: string }) => m.id === 'ps-reply:7000000001-0:691234567:1')).toMatchObject({ errorKind: 'address', kind: 'ps_reply' });
    // A refused PS reply is not sent again from the outbox: its task is the way.
    expect((await api.fetch(`/api/outbox/${encodeURIComponent('ps-reply:7000000001-0:691234567:1')}/retry`, { method: 'POST', role: 'manager', json: {} })).status).toBe(409);

    // The address fixed in AGAPS (the refused one stays refused), the manager answers the PS: a new e-mail, to the
    // new address, once.
    const fixed = structuredClone(baseCase().reference!);
    fixed.practitioners![0]!.headerEmail = 'secretariat@ide-parc.example.org';
    await seedReference(p.database.db, fixed);
    const res = await api.fetch('/api/tasks/7000000001-1/resolve', { method: 'POST', role: 'manager', json: { action: 'reply', motif: 'facture_assure' } });
    expect(res.status).toBe(200);
    expect((await handle.result()).status).toBe('replied');
    const carrying = resend.deliveries.filter((d) => String(d.email.text).includes('7000000001'));
    expect(carrying).toHaveLength(1);
    expect(carrying[0]!.email.to).toEqual(['secretariat@ide-parc.example.org']);
    // The timeline, from the claim's journal: the analysis' reply to the PS, its routing to a manager when the
    // address was refused, then the manager's reply to the PS.
    const timeline: { kind: string; label: string; details?: { motif?: string; route?: string } }[] =
      await (await api.fetch('/api/invoices/7000000001/timeline', { role: 'manager' })).json();
    expect(timeline.filter((e) => e.kind === 'decided').map((e) => [e.details?.motif, e.details?.route])).toEqual([
      ['facture_assure', 'practitioner'], ['facture_assure', 'manager'], ['facture_assure', 'practitioner'],
    ]);
    expect(timeline.filter((e) => e.kind === 'decided')[1]!.label).toContain('→ retour au gestionnaire Almerys');
    expect((await p.invoices.decisionsOf('7000000001')).map((d) => d.analysed)).toEqual([true, false, false]);
    await seedReference(p.database.db, baseCase().reference!);
    resend.accept(PS_ADDRESS);
  }, 120_000);

  it('our own key refused (403): retried with backoff and raised as an alert, never a task; sent once the key is right', async () => {
    const good = resend.apiKey;
    resend.setApiKey('re_rotated_key');
    const c = caseWith((x) => { x.invoice.archiveKey = '7000000002'; x.invoice.flags!.addressedToInsured = true; });
    expect((await api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: c.invoice, receivedOn: c.receivedOn } })).status).toBe(202);
    const id = 'ps-reply:7000000002-0:691234567:1';
    const row = await until('a refused attempt', async () => {
      const res = await api.fetch(`/api/outbox/${encodeURIComponent(id)}`, { role: 'manager' });
      const mail = res.status === 200 ? await res.json() : null;
      // Between two attempts (the next one may already be under way when the second has just been counted).
      return mail && mail.attempts >= 2 && mail.status !== 'sending' ? mail : null;
    });
    expect(row).toMatchObject({ status: 'pending', errorKind: 'account' });
    expect(await api.deps.mailer.alerts()).toMatchObject({ account: 1 });
    // The alert, for admins: /health counts it (and shows nothing of it to others).
    const health = await (await api.fetch('/health', { role: 'admin' })).json();
    expect(health.details.mail).toMatchObject({ accountRefusals: 1 });
    expect((await (await api.fetch('/health', { role: 'manager' })).json()).details).toBeUndefined();
    expect((await (await api.fetch('/health', { role: null })).json()).details).toBeUndefined();
    expect((await (await api.fetch('/api/tasks?q=7000000002', { role: 'manager' })).json()).total).toBe(0);
    expect((await (await api.fetch('/api/invoices/7000000002', { role: 'manager' })).json()).status).toBe('awaiting_reply');

    resend.setApiKey(good);
    const handle = p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-7000000002');
    expect((await handle.result()).status).toBe('replied');
    expect(resend.deliveries.filter((d) => d.idempotencyKey === id)).toHaveLength(1);
    expect(await api.deps.mailer.alerts()).toMatchObject({ account: 0 });
  }, 120_000);
});

describe('an analysis that fails the same way on every attempt', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await createPipeline('persistent', baseCase().reference, { worker: false });
    // AGICA answers with an error that is not an outage, for this invoice number only.
    await p.startWorker({
      deps: beforeAgicaLookup((invoiceNumber) => {
        if (invoiceNumber === 'F-BROKEN') throw new TypeError("Cannot read properties of undefined (reading 'state')");
      }),
    });
  }, 120_000);
  afterAll(async () => p?.close());

  it('ends, after a few attempts, as a « Manque Consigne » task carrying the error — not a workflow retrying for ever', async () => {
    const c = caseWith((x) => { x.invoice.archiveKey = '7000000101'; x.invoice.invoiceNumber = 'F-BROKEN'; });
    const { workflowId } = await p.service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
    const handle = p.client.workflow.getHandle<typeof invoiceWorkflow>(workflowId);
    const state = await until('the task', async () => {
      const s = await handle.query(statusQuery);
      return s.task ? s : null;
    });
    expect(state.decision).toMatchObject({ motif: 'manque_consigne', route: 'manager', waitsForDecision: true });
    expect(state.decision!.comment).toBe("analyse impossible : Cannot read properties of undefined (reading 'state') (the same error 3 times)");
    expect(state.decision!.trace.map((t) => t.step)).toEqual(['G0', 'Routing']);
    const task = await p.tasks.get(state.task!.id);
    expect(task).toMatchObject({ status: 'open', motif: 'manque_consigne' });
    expect((await p.invoices.get('7000000101'))!.status).toBe('awaiting_manager');
    // In the claim's journal as an analysis' decision, with the steps done before the error.
    const journal = await p.invoices.decisionsOf('7000000101');
    expect(journal.map((d) => [d.analysed, d.decision.motif, d.decision.trace.map((t) => t.step)])).toEqual([[true, 'manque_consigne', ['G0', 'Routing']]]);
  }, 120_000);
});

describe('the managers\' escalation address refused', () => {
  let p: Pipeline;
  let api: RunningApi;
  beforeAll(async () => {
    p = await createPipeline('escalation', baseCase().reference, { env: { ...withResend(), TASK_SLA: '1s', MANAGERS_EMAIL: 'chefs@almerys.example' } });
    api = await p.startApi();
  }, 120_000);
  afterAll(async () => p?.close());

  it('the escalation is recorded, the claim keeps listening, the manager resolves at once; the notice goes once the address is fixed', async () => {
    resend.refuse('chefs@almerys.example');
    const c = caseWith((x) => { x.invoice.archiveKey = '7000000201'; x.reference.insurers = [{ name: 'MGEN', controlThreshold: 1 }]; });
    await seedReference(p.database.db, c.reference);
    expect((await api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: c.invoice, receivedOn: c.receivedOn } })).status).toBe(202);
    const taskId = '7000000201-1';
    const task = await until('the escalation and its failed notice', async () => {
      const res = await api.fetch(`/api/tasks/${taskId}`, { role: 'manager' });
      const t = res.status === 200 ? await res.json() : null;
      return t?.events.some((e: { kind: string }) => e.kind === 'notice_failed') ? t : null;
    });
    expect(task.escalatedAt).toBeTruthy();
    expect(task.events.map((e: { kind: string }) => e.kind)).toEqual(['created', 'escalated', 'notice_failed']);
    expect(task.events[2].details.message).toContain('Invalid `to` field');
    const notice = await (await api.fetch(`/api/outbox/escalation:${taskId}`, { role: 'manager' })).json();
    expect(notice).toMatchObject({ status: 'failed', errorKind: 'address', to: ['chefs@almerys.example'] });

    // The claim did not wait on the e-mail: the resolve is applied and answered straight away.
    const t0 = Date.now();
    const res = await api.fetch(`/api/tasks/${taskId}/resolve`, { method: 'POST', role: 'manager', json: { action: 'close', comment: 'vu' } });
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await res.json()).outcome).toMatchObject({ status: 'closed' });
    expect((await p.client.workflow.getHandle(`invoice-7000000201`).result()).status).toBe('closed');

    // The address fixed (here: another one given), the notice is sent again from the outbox, once.
    const retry = await api.fetch(`/api/outbox/escalation:${taskId}/retry`, { method: 'POST', role: 'manager', json: { to: ['direction@almerys.example'] } });
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ status: 'pending', retries: 1, to: ['direction@almerys.example'] });
    const sent = await until('the notice sent', async () => {
      const m = await (await api.fetch(`/api/outbox/escalation:${taskId}`, { role: 'manager' })).json();
      return m.status === 'sent' ? m : null;
    });
    expect(sent.error).toBeNull();
    expect(resend.deliveries.filter((d) => d.idempotencyKey === `escalation:${taskId}:retry-1`)).toHaveLength(1);
    expect((await api.fetch(`/api/outbox/escalation:${taskId}/retry`, { method: 'POST', role: 'manager', json: {} })).status).toBe(409);
  }, 120_000);
});

describe('one PS refused inside a 75-invoice batch', () => {
  const practitioners = Array.from({ length: 5 }, (_, i) => ({
    number: String(713_000_000 + i), name: `Cabinet ${i}`, headerEmail: `ps${i}@cabinets.example.org`, returnEmails: [],
  }));
  let p: Pipeline;
  let api: RunningApi;
  beforeAll(async () => {
    const reference: ReferenceData = { ...baseCase().reference, practitioners };
    p = await createPipeline('refusedbatch', reference, { env: withResend() });
    api = await p.startApi();
  }, 120_000);
  afterAll(async () => p?.close());

  it('its rows go to managers; every other PS is e-mailed, the Trame written with them as manager rows, « FIN OK »', async () => {
    resend.refuse('ps2@cabinets.example.org');
    const invoices: Invoice[] = Array.from({ length: 75 }, (_, i) => {
      const invoice = structuredClone(baseCase().invoice);
      invoice.archiveKey = String(7_100_000_000 + i);
      invoice.invoiceNumber = `R-${i}`;
      invoice.practitionerNumber = practitioners[i % 5]!.number;
      invoice.adeliNumbers = [invoice.practitionerNumber];
      invoice.flags!.addressedToInsured = true; // « Facture assuré »: answered to the PS
      return invoice;
    });
    const res = await api.fetch('/api/batches', { method: 'POST', role: 'submitter', json: { batchId: 'gto-refus', receivedOn: '2016-02-23', invoices } });
    expect(res.status).toBe(202);
    const state = await p.client.workflow.getHandle<typeof batchWorkflow>('batch-gto-refus').result();
    expect(state).toMatchObject({
      phase: 'closed', gtoClosure: 'FIN OK', invoiceCount: 75, decided: 75, routedToPractitioner: 75,
      emails: 8, emailed: 60, refusedPractitioners: 1, refusedRows: 15, trameRows: 75,
    });
    // 4 PS × 15 rows → 2 e-mails each; none to the refused one.
    const delivered = resend.deliveries.filter((d) => String(d.idempotencyKey).startsWith('ps-reply:gto-refus:'));
    expect(delivered).toHaveLength(8);
    expect(delivered.some((d) => (d.email.to as string[]).includes('ps2@cabinets.example.org'))).toBe(false);

    const refusedKeys = invoices.filter((_, i) => i % 5 === 2).map((inv) => inv.archiveKey);
    for (const key of refusedKeys) {
      const task = await until(`the task of ${key}`, async () => p.tasks.summary(`${key}-1`));
      expect(task).toMatchObject({ status: 'open', motif: 'facture_assure', batchId: 'gto-refus' });
      expect((await p.invoices.get(key))).toMatchObject({ status: 'awaiting_manager', route: 'manager', emailId: null });
    }
    const progress = await (await api.fetch('/api/batches/gto-refus', { role: 'manager' })).json();
    expect(progress).toMatchObject({ status: 'closed', gtoClosure: 'FIN OK', decided: 75, emailed: 60, routedToManager: 15, refusedRows: 15 });

    // The Trame: every row, the refused PS's among the manager's (not in « Réponse au PS »).
    const content = Buffer.from(await (await api.fetch('/api/batches/gto-refus/trame.xlsx', { role: 'manager' })).arrayBuffer());
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(content as never);
    expect(workbook.getWorksheet('Motifs externalisés')!.rowCount).toBe(76);
    const replies = workbook.getWorksheet('Réponse au PS')!;
    const replyKeys: string[] = [];
    replies.eachRow((row, n) => { if (n > 2) replyKeys.push(String(row.getCell(1).value)); });
    expect(replyKeys).toHaveLength(60);
    expect(replyKeys.some((k) => refusedKeys.includes(k))).toBe(false);

    // The PS's address fixed in AGAPS, a manager answers one of its claims: the claim's own e-mail, once — and the
    // batch, were it to e-mail that PS again (a retry, a run started again), has nothing left to send for it.
    await seedReference(p.database.db, { practitioners: [{ ...practitioners[2]!, headerEmail: 'ps2-nouvelle@cabinets.example.org' }] });
    const answered = refusedKeys[0]!;
    expect((await api.fetch(`/api/tasks/${answered}-1/resolve`, { method: 'POST', role: 'manager', json: { action: 'reply', motif: 'facture_assure' } })).status).toBe(200);
    expect((await p.client.workflow.getHandle<typeof invoiceWorkflow>(`invoice-${answered}`).result()).status).toBe('replied');
    const activities = createActivities(dependenciesFrom(p.database, p.client, loadConfig({ ...process.env, ...withResend() })));
    expect(await activities.sendPractitionerReplies({ batchId: 'gto-refus', practitionerNumber: practitioners[2]!.number })).toEqual({ emails: 0, rows: 0 });
    const carrying = resend.deliveries.filter((d) => String(d.email.text).includes(answered));
    expect(carrying).toHaveLength(1);
    expect(carrying[0]!.email.to).toEqual(['ps2-nouvelle@cabinets.example.org']);
  }, 240_000);
});
