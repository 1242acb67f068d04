// Manager tasks end to end: the workflow waits on its task; the API claims and resolves it (pay, reply with a
// motif, reanalyze, close); the validator refuses what cannot be applied; an overdue task is escalated once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedReference } from '../db/seed.js';
import { baseCase, caseWith } from '../rules/testing/cases.js';
import type { CaseFile } from '../rules/types.js';
import type { invoiceWorkflow } from '../workflows/invoice.js';
import { createPipeline, type Pipeline, type RunningApi } from './harness.js';

let p: Pipeline;
let api: RunningApi;
beforeAll(async () => {
  p = await createPipeline('tasks', baseCase().reference);
  api = await p.startApi();
}, 120_000);
afterAll(async () => p?.close());

const aControler = (archiveKey: string) => caseWith((c) => {
  c.invoice.archiveKey = archiveKey;
  c.reference.insurers = [{ name: 'MGEN', controlThreshold: 1 }];
});

async function submitAndWaitForTask(p: Pipeline, api: RunningApi, c: CaseFile, reference = true): Promise<string> {
  if (reference) await seedReference(p.database.db, c.reference);
  const res = await api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: c.invoice, receivedOn: c.receivedOn } });
  expect(res.status).toBe(202);
  for (let i = 0; i < 1200; i++) {
    const list = await (await api.fetch(`/api/tasks?q=${c.invoice.archiveKey}&status=open`, { role: 'manager' })).json();
    if (list.items.length) return list.items[0].id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no task for ${c.invoice.archiveKey}`);
}

const resolve = (id: string, body: unknown, role: 'manager' | 'auditor' | 'admin' = 'manager') =>
  api.fetch(`/api/tasks/${id}/resolve`, { method: 'POST', role, json: body });

describe('a task the workflow waits on', () => {
  it('« A contrôler »: listed with counts, claimed, forced to payment; the workflow then finishes', async () => {
    const taskId = await submitAndWaitForTask(p, api, aControler('6000000001'));
    expect(taskId).toBe('6000000001-1');
    const list = await (await api.fetch('/api/tasks?status=open', { role: 'manager' })).json();
    expect(list.countsByMotif.a_controler).toBeGreaterThanOrEqual(1);
    expect(list.items.find((t: { id: string }) => t.id === taskId)).toMatchObject({ motifLabel: 'A contrôler', waitsForDecision: true, overdue: false });

    const task = await (await api.fetch(`/api/tasks/${taskId}`, { role: 'auditor' })).json();
    expect(task.decision).toMatchObject({ motif: 'a_controler', route: 'manager' });
    expect(task.decision.trace.map((t: { step: string }) => t.step)).toContain('G8');
    expect(task.invoice.archiveKey).toBe('6000000001');
    expect(task.events.map((e: { kind: string }) => e.kind)).toEqual(['created']);

    const claimed = await (await api.fetch(`/api/tasks/${taskId}/claim`, { method: 'POST', role: 'manager' })).json();
    expect(claimed.assignee).toBe('manager-tasks');
    expect((await api.fetch(`/api/tasks/${taskId}/claim`, { method: 'POST', role: 'admin' })).status).toBe(409);
    expect((await resolve(taskId, { action: 'pay' }, 'auditor')).status).toBe(403);

    const res = await resolve(taskId, { action: 'pay', comment: 'contrôle fait' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.outcome).toEqual({ taskId, status: 'paid', nextTaskId: null });
    expect(body.task).toMatchObject({ status: 'resolved', resolvedBy: 'manager-tasks', resolution: { action: 'pay', comment: 'contrôle fait' } });

    const state = await p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-6000000001').result();
    expect(state.status).toBe('paid');
    expect((await (await api.fetch('/api/invoices/6000000001', { role: 'auditor' })).json()).status).toBe('paid');
    const after = await (await api.fetch(`/api/tasks/${taskId}`, { role: 'manager' })).json();
    expect(after.events.map((e: { kind: string; actor: string | null }) => [e.kind, e.actor])).toEqual([
      ['created', null], ['claimed', 'manager-tasks'], ['resolved', 'manager-tasks'],
    ]);

    // Resolved: a second resolution is refused, never applied twice.
    expect((await resolve(taskId, { action: 'close' })).status).toBe(409);
  });

  it('reply with a motif: routed by the motif table — a practitioner reply is e-mailed', async () => {
    const taskId = await submitAndWaitForTask(p, api, aControler('6000000002'));
    const res = await resolve(taskId, { action: 'reply', motif: 'beneficiaire_non_couvert' });
    expect((await res.json()).outcome).toMatchObject({ status: 'awaiting_reply', nextTaskId: null });
    const state = await p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-6000000002').result();
    expect(state).toMatchObject({ status: 'replied', motif: 'beneficiaire_non_couvert', route: 'practitioner' });
    const row = await p.invoices.get('6000000002');
    expect(row!.emailId).toMatch(/^ps-reply:6000000002-1:/);
    const mail = await (await api.fetch(`/api/outbox/${encodeURIComponent(row!.emailId!)}`, { role: 'manager' })).json();
    expect(mail).toMatchObject({ status: 'sent', to: ['contact@ide-parc.example.org'], bcc: ['service.azur@almerys.com'], subject: 'Traitement de vos réclamations PS 691234567' });
    expect(mail.text).toContain("ne prévoit pas le remboursement des prestations facturées");
  });

  it('reply with a manager motif opens the next task', async () => {
    const taskId = await submitAndWaitForTask(p, api, aControler('6000000003'));
    const res = await resolve(taskId, { action: 'reply', motif: 'histo_client', comment: 'April sur la facture n° 77' });
    expect((await res.json()).outcome).toEqual({ taskId, status: 'awaiting_manager', nextTaskId: '6000000003-2' });
    const next = await (await api.fetch('/api/tasks/6000000003-2', { role: 'manager' })).json();
    expect(next).toMatchObject({ status: 'open', motif: 'histo_client' });
    expect(next.decision.comment).toBe('April sur la facture n° 77');
    expect((await resolve('6000000003-2', { action: 'close' })).status).toBe(200);
    expect((await p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-6000000003').result()).status).toBe('closed');
  });

  it('reanalyze after the reference data was fixed', async () => {
    const closedRights = caseWith((c) => {
      c.invoice.archiveKey = '6000000004';
      c.invoice.beneficiary!.nir = '1850369123055';
      c.reference.beneficiaries![0].nir = '1850369123055';
      c.reference.beneficiaries![0].firstName = 'Marc';
      c.reference.beneficiaries![0].cards![0].start = '2015-01-01';
      c.reference.beneficiaries![0].cards![0].end = '2015-12-31';
    });
    const taskId = await submitAndWaitForTask(p, api, closedRights);
    expect((await (await api.fetch(`/api/tasks/${taskId}`, { role: 'manager' })).json()).motif).toBe('droits_fermes');
    // The card is renewed in PROTIPS; the manager asks for a new analysis.
    const fixed = structuredClone(closedRights.reference!);
    fixed.beneficiaries![0].cards![0].end = '2016-12-31';
    await seedReference(p.database.db, fixed);
    const res = await resolve(taskId, { action: 'reanalyze' });
    expect((await res.json()).outcome).toEqual({ taskId, status: 'paid', nextTaskId: null });
    expect((await p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-6000000004').result()).status).toBe('paid');
    // The timeline, from the claim's journal: the first analysis and its steps, the task, the new analysis, paid.
    const timeline: { kind: string; label: string; details?: { step?: string; motif?: string } }[] =
      await (await api.fetch('/api/invoices/6000000004/timeline', { role: 'auditor' })).json();
    const decided = timeline.filter((e) => e.kind === 'decided');
    expect(decided.map((e) => e.details?.motif)).toEqual(['droits_fermes', null]);
    expect(decided[1]!.label).toBe('Décision : facture saisie et payée');
    const kinds = timeline.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'step').length).toBeGreaterThanOrEqual(2 * 5);
    expect(kinds.indexOf('task')).toBeGreaterThan(kinds.indexOf('decided'));
    expect(kinds.lastIndexOf('step')).toBeGreaterThan(kinds.lastIndexOf('task'));
    expect((await p.invoices.decisionsOf('6000000004')).map((d) => [d.analysed, d.decision.motif])).toEqual([[true, 'droits_fermes'], [true, null]]);
  });

  it('bad requests: 400 naming the field, 404 unknown, one of two concurrent resolutions wins', async () => {
    const taskId = await submitAndWaitForTask(p, api, aControler('6000000005'));
    const bad = await resolve(taskId, { action: 'archive' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].path).toBe('action');
    const noMotif = await resolve(taskId, { action: 'reply' });
    expect(noMotif.status).toBe(400);
    expect((await noMotif.json()).errors[0].path).toBe('motif');
    expect((await resolve(taskId, { action: 'reply', motif: 'manque_consigne' })).status).toBe(409);
    expect((await resolve('9999999999-1', { action: 'pay' })).status).toBe(404);
    const [a, b] = await Promise.all([resolve(taskId, { action: 'close' }), resolve(taskId, { action: 'pay' })]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const state = await p.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-6000000005').result();
    expect(['closed', 'paid']).toContain(state.status);
  });
});

describe('only the holder resolves a task', () => {
  const as = (key: string, path: string, body?: unknown) => fetch(`${api.base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let other: string;
  beforeAll(async () => {
    other = (await api.deps.keys.create({ role: 'manager', name: 'Claire' })).key;
  });

  it('another manager → 409 naming the holder; an admin may override; each step audited', async () => {
    const taskId = await submitAndWaitForTask(p, api, aControler('6000000006'));
    expect((await api.fetch(`/api/tasks/${taskId}/claim`, { method: 'POST', role: 'manager' })).status).toBe(200);
    const refused = await as(other, `/api/tasks/${taskId}/resolve`, { action: 'close' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({
      code: 'claimed_by_other', title: 'Tâche prise par un collègue',
      detail: `La tâche ${taskId} est prise par manager-tasks : seul ce gestionnaire peut la résoudre (ou la relâcher d'abord)`,
    });
    expect((await (await api.fetch(`/api/tasks/${taskId}`, { role: 'manager' })).json()).status).toBe('open');
    // Released by its holder, then claimed by the other, who resolves it.
    expect((await api.fetch(`/api/tasks/${taskId}/release`, { method: 'POST', role: 'manager' })).status).toBe(200);
    expect((await as(other, `/api/tasks/${taskId}/claim`, {})).status).toBe(200);
    expect((await resolve(taskId, { action: 'close' })).status).toBe(409); // now the first one is refused
    // An admin overrides the claim (as they may release it).
    const forced = await resolve(taskId, { action: 'pay', comment: 'urgent' }, 'admin');
    expect(forced.status).toBe(200);
    expect((await forced.json()).outcome).toEqual({ taskId, status: 'paid', nextTaskId: null });

    const entries = await api.deps.audit.list({ target: taskId, order: 'oldest' });
    expect(entries.map((e) => [e.action, e.actorName, e.details])).toEqual([
      ['task.claim', 'manager-tasks', null],
      ['task.release', 'manager-tasks', null],
      ['task.claim', 'Claire', null],
      ['task.pay', 'admin-tasks', { action: 'pay', motif: null, override: 'Claire' }],
    ]);
    expect(entries.every((e) => e.ip === '127.0.0.1')).toBe(true);
  });

  it('a task nobody holds is claimed by its resolver, atomically with the resolve; the audit says so', async () => {
    const taskId = await submitAndWaitForTask(p, api, aControler('6000000007'));
    const res = await as(other, `/api/tasks/${taskId}/resolve`, { action: 'reply', motif: 'beneficiaire_non_couvert' });
    expect(res.status).toBe(200);
    expect((await res.json()).task).toMatchObject({ status: 'resolved', assignee: 'Claire', resolvedBy: 'Claire' });
    const task = await (await api.fetch(`/api/tasks/${taskId}`, { role: 'manager' })).json();
    expect(task.events.map((e: { kind: string; actor: string | null }) => [e.kind, e.actor])).toEqual([
      ['created', null], ['claimed', 'Claire'], ['resolved', 'Claire'],
    ]);
    const entries = await api.deps.audit.list({ target: taskId, order: 'oldest' });
    expect(entries.map((e) => [e.action, e.actorName, e.actorRole, e.details])).toEqual([
      ['task.claim', 'Claire', 'manager', { by: 'resolve' }],
      ['task.resolve', 'Claire', 'manager', { action: 'reply', motif: 'beneficiaire_non_couvert' }],
    ]);
  });
});

describe('the inbox sorted, and bulk actions', () => {
  const ids = ['6300000001', '6300000002', '6300000003', '6300000004'].map((k) => `${k}-1`);
  let other: string;
  const bulk = (body: unknown, role: 'manager' | 'auditor' = 'manager') => api.fetch('/api/tasks/bulk', { method: 'POST', role, json: body });
  beforeAll(async () => {
    for (const id of ids) await submitAndWaitForTask(p, api, aControler(id.slice(0, 10)));
    other = (await api.deps.keys.create({ role: 'manager', name: 'Lucie' })).key;
  }, 120_000);

  it('sorts by deadline (default), age or motif, either way; an unknown sort is a 400', async () => {
    const order = async (query: string) => (await (await api.fetch(`/api/tasks?status=open&q=630000000${query}`, { role: 'manager' })).json())
      .items.map((t: { id: string }) => t.id);
    expect(await order('')).toEqual(ids);
    expect(await order('&sort=due&order=desc')).toEqual([...ids].reverse());
    expect(await order('&sort=age')).toEqual([...ids].reverse()); // the youngest first
    expect(await order('&sort=age&order=desc')).toEqual(ids);
    expect(await order('&sort=motif')).toEqual(ids); // one motif: then by deadline
    const bad = await api.fetch('/api/tasks?sort=nom', { role: 'manager' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toContain("doit être l'une des valeurs due, age, motif");
    expect((await api.fetch('/api/tasks?sort=due&order=up', { role: 'manager' })).status).toBe(400);
  });

  it('claims, releases and closes several tasks, one result per task: a colleague\'s and a resolved one refused, in French', async () => {
    const [a, b, c, d] = ids as [string, string, string, string];
    // b is a colleague's; c is already resolved.
    const claimB = await fetch(`${api.base}/api/tasks/${b}/claim`, { method: 'POST', headers: { authorization: `Bearer ${other}` } });
    expect(claimB.status).toBe(200);
    expect((await resolve(c, { action: 'close' })).status).toBe(200);

    const claimed = await (await bulk({ action: 'claim', taskIds: [a, b] })).json();
    expect(claimed.results).toMatchObject([
      { taskId: a, ok: true, status: 200, task: { assignee: 'manager-tasks' } },
      { taskId: b, ok: false, status: 409, code: 'task_conflict', message: 'Prise par Lucie : seule cette personne peut la traiter (ou la relâcher)' },
    ]);
    const released = await (await bulk({ action: 'release', taskIds: [a, d] })).json();
    expect(released.results).toMatchObject([
      { taskId: a, ok: true, task: { assignee: null } },
      { taskId: d, ok: false, status: 409, message: 'Cette tâche ne vous est pas assignée' },
    ]);

    const res = await bulk({ action: 'resolve', taskIds: [a, b, c, d, '6399999999-1'], resolution: { action: 'close', comment: 'traité chez Almerys' } });
    expect(res.status).toBe(200);
    const { results } = await res.json();
    expect(results.map((r: { taskId: string }) => r.taskId)).toEqual([a, b, c, d, '6399999999-1']);
    expect(results[0]).toMatchObject({ ok: true, status: 200, outcome: { taskId: a, status: 'closed' }, task: { status: 'resolved', resolvedBy: 'manager-tasks' } });
    expect(results[1]).toMatchObject({ ok: false, status: 409, code: 'claimed_by_other', message: 'Prise par Lucie : seule cette personne peut la traiter (ou la relâcher)' });
    expect(results[2]).toMatchObject({ ok: false, status: 409, code: 'already_resolved', message: 'Déjà résolue par manager-tasks' });
    expect(results[3]).toMatchObject({ ok: true, status: 200, outcome: { taskId: d, status: 'closed' } });
    expect(results[4]).toMatchObject({ ok: false, status: 404, message: 'Tâche introuvable' });
    // Each closing was its own Update: each workflow has finished, and each is audited on its own.
    for (const id of [a, d]) {
      const handle = p.client.workflow.getHandle(`invoice-${id.slice(0, 10)}`);
      await handle.result();
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      const entries = await api.deps.audit.list({ target: id, order: 'oldest' });
      expect(entries.map((e) => e.action)).toContain('task.resolve');
    }
    expect((await (await api.fetch(`/api/tasks/${b}`, { role: 'manager' })).json()).status).toBe('open');
  }, 60_000);

  it('refuses a bulk action to auditors, without a resolution, or over 100 tasks', async () => {
    expect((await bulk({ action: 'claim', taskIds: [ids[0]] }, 'auditor')).status).toBe(403);
    expect((await bulk({ action: 'resolve', taskIds: [ids[0]] })).status).toBe(400);
    expect((await bulk({ action: 'close', taskIds: [ids[0]] })).status).toBe(400);
    expect((await bulk({ action: 'claim', taskIds: Array.from({ length: 101 }, (_, i) => `6300000001-${i + 1}`) })).status).toBe(400);
    expect((await bulk({ action: 'claim', taskIds: ['x'] })).status).toBe(400);
  });
});

describe('SLA', () => {
  let sla: Pipeline;
  let slaApi: RunningApi;
  beforeAll(async () => {
    sla = await createPipeline('sla', baseCase().reference, { env: { TASK_SLA: '1500ms', MANAGERS_EMAIL: 'chefs@almerys.example' } });
    slaApi = await sla.startApi();
  }, 120_000);
  afterAll(async () => sla?.close());

  it('GET /api/labels gives the console the configured SLA, in ms and in French', async () => {
    const labels = await (await slaApi.fetch('/api/labels', { role: 'manager' })).json();
    expect(labels.taskSla).toEqual({ ms: 1500, text: '1,5 s' });
    expect(labels.temporalNamespace).toBe('default');
    expect((await (await api.fetch('/api/labels', { role: 'auditor' })).json()).taskSla).toEqual({ ms: 48 * 3600_000, text: '48 h' });
  });

  it('an overdue task is escalated once (flag, history event, one notification) and still waits', async () => {
    const taskId = await submitAndWaitForTask(sla, slaApi, aControler('6100000001'));
    let task;
    for (let i = 0; i < 600; i++) {
      task = await (await slaApi.fetch(`/api/tasks/${taskId}`, { role: 'manager' })).json();
      if (task.escalatedAt) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(task).toMatchObject({ overdue: true, status: 'open' });
    expect(task.events.map((e: { kind: string }) => e.kind)).toEqual(['created', 'escalated']);
    const overdue = await (await slaApi.fetch('/api/tasks?overdue=true', { role: 'manager' })).json();
    expect(overdue.items.map((t: { id: string }) => t.id)).toContain(taskId);

    // The flag is set first (a local activity), then the notice is sent by an activity the claim does not wait on.
    let mails;
    for (let i = 0; i < 600; i++) {
      mails = await (await slaApi.fetch('/api/outbox?kind=escalation', { role: 'manager' })).json();
      if (mails.items[0]?.status === 'sent') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(mails.items).toHaveLength(1);
    expect(mails.items[0]).toMatchObject({ id: `escalation:${taskId}`, to: ['chefs@almerys.example'], status: 'sent' });

    const handle = sla.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-6100000001');
    const history = await handle.fetchHistory();
    const notices = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notifyEscalation');
    expect(notices).toHaveLength(1);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    expect((await slaApi.fetch(`/api/tasks/${taskId}/resolve`, { method: 'POST', role: 'manager', json: { action: 'close' } })).status).toBe(200);
    expect((await handle.result()).status).toBe('closed');
  });
});

describe('a resolution accepted but not applied yet', () => {
  let slow: Pipeline;
  let slowApi: RunningApi;
  let databaseBack = false;
  beforeAll(async () => {
    slow = await createPipeline('slowresolve', baseCase().reference, { worker: false });
    // The database does not take the task's resolution until the test says so (an outage: retried, not a decision):
    // the workflow accepts the Update at once and applies it when the database is back.
    await slow.startWorker({
      deps: (d) => ({
        ...d,
        tasks: {
          ...d.tasks,
          async resolve(r) {
            if (!databaseBack) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
            return d.tasks.resolve(r);
          },
        },
      }),
    });
    slowApi = await slow.startApi();
  }, 120_000);
  afterAll(async () => {
    databaseBack = true;
    await slow?.close();
  });

  it('answers 202 with the task as it is, never a 503 then a 409; the same request again gets the outcome', async () => {
    const taskId = await submitAndWaitForTask(slow, slowApi, aControler('6200000001'));
    const send = () => slowApi.fetch(`/api/tasks/${taskId}/resolve`, { method: 'POST', role: 'manager', json: { action: 'pay', comment: 'contrôle fait' } });
    const first = await send();
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ task: { id: taskId, status: 'open' }, outcome: null });
    // Another manager's different resolution meanwhile: refused, the first one stands.
    expect((await slowApi.fetch(`/api/tasks/${taskId}/resolve`, { method: 'POST', role: 'manager', json: { action: 'close' } })).status).toBe(409);
    // The same one again while it still cannot be applied: 202 again, never a 409.
    expect((await send()).status).toBe(202);

    // The database back, the workflow applies it at its next attempt: the same request then gets the outcome.
    databaseBack = true;
    let again = await send();
    for (let i = 0; again.status === 202 && i < 5; i++) again = await send();
    expect(again.status).toBe(200);
    expect((await again.json()).outcome).toEqual({ taskId, status: 'paid', nextTaskId: null });
    expect((await slow.client.workflow.getHandle<typeof invoiceWorkflow>('invoice-6200000001').result()).status).toBe('paid');
    // Sent once more after it was applied: the same outcome, not a conflict; another action is one.
    const late = await send();
    expect(late.status).toBe(200);
    expect((await late.json()).outcome).toEqual({ taskId, status: 'paid', nextTaskId: null });
    expect((await slowApi.fetch(`/api/tasks/${taskId}/resolve`, { method: 'POST', role: 'manager', json: { action: 'close' } })).status).toBe(409);
  }, 180_000);
});
