// The outbox against real PostgreSQL, and Resend through the real SDK against a local fake of its API.

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../db/client.js';
import { outbox } from '../../db/schema.js';
import { createLogger, temporalLogger } from '../../logging.js';
import { captureLogs } from '../../test/captured-logs.js';
import { createScratchDatabase, type ScratchDatabase } from '../../test/databases.js';
import { startFakeResend, type FakeResend } from '../../test/fake-resend.js';
import { composeEscalationEmail, composePractitionerEmails, type BordereauRow } from './compose.js';
import { ALMERYS_BCC, DEFAULT_MAIL_FROM, DEFAULT_MANAGERS_EMAIL, DEFAULT_OUTBOX_DIR } from './config.js';
import { loadConfig } from '../../config.js';
import {
  createFileTransport, createMailer, createResendTransport, classifyProviderError, safeFileName, transportFor,
  type MailTransport, type OutgoingMail,
} from './mailer.js';

let scratch: ScratchDatabase;
let fake: FakeResend;
let workDir: string;
let resend: MailTransport;
let counter = 0;

beforeAll(async () => {
  [scratch, fake] = await Promise.all([createScratchDatabase(inject('databaseUrl'), 'mail'), startFakeResend()]);
  workDir = mkdtempSync(join(tmpdir(), 'tp-rejects-mail-'));
  resend = createResendTransport({ apiKey: fake.apiKey, baseUrl: fake.url });
});

afterAll(async () => {
  await Promise.allSettled([fake?.close(), scratch?.drop()]);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** A fresh e-mail (unique id) for each test. */
function mail(overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  counter += 1;
  return {
    id: `test:${Date.now()}:${counter}`,
    kind: 'ps_reply',
    from: DEFAULT_MAIL_FROM,
    to: ['cabinet@lefevre.example.org'],
    bcc: [ALMERYS_BCC],
    subject: 'Traitement de vos réclamations PS 750044778',
    html: '<p>Bonjour</p>',
    text: 'Bonjour',
    batchId: 'B-test',
    practitionerNumber: '750044778',
    archiveKeys: ['2870044786'],
    ...overrides,
  };
}

const deliveriesOf = (id: string) => fake.deliveries.filter((d) => d.idempotencyKey === id);
const requestsOf = (id: string) => fake.requests.filter((r) => r.headers['idempotency-key'] === id);

async function rowOf(id: string) {
  const [row] = await scratch.db.select().from(outbox).where(eq(outbox.id, id));
  return row;
}

/** A transport that hands the e-mail to `inner`, then never answers: the worker died before recording `sent`. */
function dyingAfterSend(inner: MailTransport): MailTransport & { delivered: Promise<void> } {
  let delivered!: () => void;
  const promise = new Promise<void>((resolve) => (delivered = resolve));
  return {
    name: `${inner.name}+crash`,
    delivered: promise,
    async send(m) {
      await inner.send(m);
      delivered();
      return new Promise<never>(() => undefined);
    },
  };
}

describe('mailer with Resend (real SDK, fake API)', () => {
  it('sends once: the transport is not called again for a sent e-mail', async () => {
    const rows: BordereauRow[] = [
      { archiveKey: '2870044786', practitionerNumber: '750044778', nir: '2670499324070', invoiceNumber: '531341', reply: 'Réponse A.' },
      { archiveKey: '2871028269', practitionerNumber: '750044778', nir: '2720178646144', invoiceNumber: '439856', reply: 'Réponse B.' },
    ];
    const [composed] = composePractitionerEmails({
      practitionerNumber: '750044778', to: 'cabinet@lefevre.example.org', rows, batchId: `B-${Date.now()}`, from: DEFAULT_MAIL_FROM,
    });
    const mailer = createMailer({ db: scratch.db, transport: resend });

    const sent = await mailer.send(composed);
    expect(sent).toMatchObject({
      id: composed.id, kind: 'ps_reply', status: 'sent', attempts: 1, error: null,
      to: ['cabinet@lefevre.example.org'], bcc: [ALMERYS_BCC], subject: 'Traitement de vos réclamations PS 750044778',
      archiveKeys: ['2870044786', '2871028269'], practitionerNumber: '750044778', batchId: composed.batchId,
    });
    expect(new Date(sent.sentAt!).getTime()).toBeGreaterThanOrEqual(new Date(sent.createdAt).getTime());
    const [delivery] = deliveriesOf(composed.id);
    expect(sent.providerId).toBe(delivery.id);

    // What went over the wire: the key, the idempotency key, Bcc and never Cc, both bodies.
    const [request] = requestsOf(composed.id);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/emails');
    expect(request.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(request.body).toMatchObject({
      from: DEFAULT_MAIL_FROM, to: ['cabinet@lefevre.example.org'], bcc: [ALMERYS_BCC],
      subject: 'Traitement de vos réclamations PS 750044778', html: composed.html, text: composed.text,
    });
    expect((request.body as Record<string, unknown>).cc).toBeUndefined();

    const again = await mailer.send(composed);
    expect(again).toEqual(sent);
    expect(requestsOf(composed.id)).toHaveLength(1);
    expect(deliveriesOf(composed.id)).toHaveLength(1);
  });

  it('retries after a 500: the error is recorded, the retry sends, one delivery', async () => {
    const m = mail();
    const mailer = createMailer({ db: scratch.db, transport: resend });
    fake.failNext(1, 500);
    await expect(mailer.send(m)).rejects.toMatchObject({ name: 'MailTransportError', status: 500 });
    expect(await mailer.get(m.id)).toMatchObject({ status: 'pending', attempts: 1, providerId: null, sentAt: null });
    expect((await mailer.get(m.id))!.error).toMatch(/500/);
    expect(deliveriesOf(m.id)).toHaveLength(0);

    const sent = await mailer.send(m);
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, error: null });
    expect(deliveriesOf(m.id)).toHaveLength(1);
    expect(requestsOf(m.id).map((r) => r.status)).toEqual([500, 200]);
  });

  it('a 429 (rate limit) and a network failure are retryable too', async () => {
    const m = mail();
    fake.failNext(1, 429);
    await expect(createMailer({ db: scratch.db, transport: resend }).send(m)).rejects.toMatchObject({ name: 'MailTransportError', status: 429 });
    expect((await rowOf(m.id)).status).toBe('pending');

    const unreachable = createResendTransport({ apiKey: 're_x', baseUrl: 'http://127.0.0.1:9' });
    await expect(createMailer({ db: scratch.db, transport: unreachable }).send(m)).rejects.toMatchObject({ name: 'MailTransportError', status: null });
    expect(await rowOf(m.id)).toMatchObject({ status: 'pending', attempts: 2 });

    expect(await createMailer({ db: scratch.db, transport: resend }).send(m)).toMatchObject({ status: 'sent', attempts: 3 });
    expect(deliveriesOf(m.id)).toHaveLength(1);
  });

  it('a worker dying between the send and the record: the retry sends nothing new and ends sent', async () => {
    const m = mail();
    const dying = dyingAfterSend(resend);
    // The first worker: the provider takes the e-mail, then nothing more happens (its promise is abandoned).
    void createMailer({ db: scratch.db, transport: dying }).send(m);
    await dying.delivered;
    expect(await rowOf(m.id)).toMatchObject({ status: 'sending', attempts: 1, providerId: null });
    expect(deliveriesOf(m.id)).toHaveLength(1);

    // The retry, on another worker.
    const sent = await createMailer({ db: scratch.db, transport: resend }).send(m);
    expect(sent).toMatchObject({ status: 'sent', attempts: 2 });
    expect(requestsOf(m.id)).toHaveLength(2);
    expect(requestsOf(m.id).map((r) => r.headers['idempotency-key'])).toEqual([m.id, m.id]);
    expect(deliveriesOf(m.id)).toHaveLength(1);
    expect(sent.providerId).toBe(deliveriesOf(m.id)[0].id);
  });

  it('the state update failing after the send (database gone): the retry sends nothing new', async () => {
    const m = mail();
    let updates = 0;
    // The second update is the one recording `sent`: it fails as if the connection had dropped.
    const brokenDb = new Proxy(scratch.db, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === 'update') {
          updates += 1;
          if (updates === 2) return () => { throw new Error('connection terminated unexpectedly'); };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Database;
    await expect(createMailer({ db: brokenDb, transport: resend }).send(m)).rejects.toThrow(/connection terminated/);
    expect((await rowOf(m.id)).status).toBe('sending');
    expect(deliveriesOf(m.id)).toHaveLength(1);

    expect(await createMailer({ db: scratch.db, transport: resend }).send(m)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(deliveriesOf(m.id)).toHaveLength(1);
  });

  it('the provider took it but the answer was lost (500 after delivery): one delivery', async () => {
    const m = mail();
    const mailer = createMailer({ db: scratch.db, transport: resend });
    fake.failNext(1, 500, { afterDelivery: true });
    await expect(mailer.send(m)).rejects.toMatchObject({ status: 500 });
    expect(deliveriesOf(m.id)).toHaveLength(1);
    const sent = await mailer.send(m);
    expect(sent.status).toBe('sent');
    expect(sent.providerId).toBe(deliveriesOf(m.id)[0].id);
    expect(deliveriesOf(m.id)).toHaveLength(1);
  });

  it('a transport that sent then threw: the retry sends the stored e-mail again under the same key, one delivery', async () => {
    const m = mail();
    const flaky: MailTransport = {
      name: 'flaky',
      async send(x) {
        await resend.send(x);
        throw new Error('socket hang up');
      },
    };
    await expect(createMailer({ db: scratch.db, transport: flaky }).send(m)).rejects.toThrow('socket hang up');
    expect((await rowOf(m.id)).status).toBe('pending');
    // The caller composes again, say with another text: the outbox sends what it stored first (same payload, same key).
    const sent = await createMailer({ db: scratch.db, transport: resend }).send({ ...m, text: 'Bonjour !' });
    expect(sent).toMatchObject({ status: 'sent', text: 'Bonjour' });
    expect(deliveriesOf(m.id)).toHaveLength(1);
  });

  it('concurrent sends of the same e-mail deliver it once', async () => {
    const m = mail();
    const mailer = createMailer({ db: scratch.db, transport: resend });
    const results = await Promise.all([mailer.send(m), mailer.send(m), mailer.send(m)]);
    expect(results.every((r) => r.status === 'sent')).toBe(true);
    expect(deliveriesOf(m.id)).toHaveLength(1);
    expect(new Set(results.map((r) => r.providerId))).toEqual(new Set([deliveriesOf(m.id)[0].id]));
  });

  it('a 422 is a refusal: failed, MailRejectedError, and never sent again', async () => {
    const m = mail();
    const mailer = createMailer({ db: scratch.db, transport: resend });
    fake.failNext(1, 422);
    const error = await mailer.send(m).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'MailRejectedError', status: 422, providerCode: 'validation_error', retryable: false });
    expect(await mailer.get(m.id)).toMatchObject({ status: 'failed', attempts: 1, sentAt: null });
    expect((await mailer.get(m.id))!.error).toMatch(/422/);

    await expect(mailer.send(m)).rejects.toMatchObject({ name: 'MailRejectedError' });
    expect(requestsOf(m.id)).toHaveLength(1);
    expect(deliveriesOf(m.id)).toHaveLength(0);
  });

  it('an address Resend will not take is a refusal of the address: failed, and said so when sent again', async () => {
    const m = mail({ to: ['pas-une-adresse'] });
    const mailer = createMailer({ db: scratch.db, transport: resend });
    await expect(mailer.send(m)).rejects.toMatchObject({ name: 'MailAddressRefusedError', status: 422 });
    expect(await rowOf(m.id)).toMatchObject({ status: 'failed', errorKind: 'address' });
    await expect(mailer.send(m)).rejects.toMatchObject({ name: 'MailAddressRefusedError' });
    expect(requestsOf(m.id)).toHaveLength(1);
  });

  it('a refusal of our own key (401/403) is retried, raised as an alert, never a refusal of the e-mail', async () => {
    const m = mail();
    const logged: string[] = [];
    const mailer = createMailer({ db: scratch.db, transport: resend, log: (message, level) => { if (level === 'error') logged.push(message); } });
    const before = (await mailer.alerts()).account;
    fake.failNext(2, 403);
    for (let i = 0; i < 2; i++) await expect(mailer.send(m)).rejects.toMatchObject({ name: 'MailAccountError', status: 403, retryable: true });
    expect(await rowOf(m.id)).toMatchObject({ status: 'pending', errorKind: 'account', attempts: 2 });
    expect((await mailer.alerts()).account).toBe(before + 1);
    expect(logged).toHaveLength(2);
    expect(logged[0]).toContain('RESEND_API_KEY');
    expect((await mailer.send(m)).status).toBe('sent');
    expect(await rowOf(m.id)).toMatchObject({ status: 'sent', errorKind: null, error: null });
    expect((await mailer.alerts()).account).toBe(before);
    expect(deliveriesOf(m.id)).toHaveLength(1);
  });

  it('without a log hook, in an activity: its lines go to the activity\'s logger (Context.current().log), a NIR masked', async () => {
    const nir = '1850369123055';
    const logs = captureLogs();
    const env = new MockActivityEnvironment({ activityType: 'sendPractitionerReply' }, { logger: temporalLogger(createLogger({ destination: logs.destination })) });
    const refusing: MailTransport = { name: 'refusing', send: async () => { throw new Error(`no mailbox for the beneficiary ${nir}`); } };
    // Ids without mail()'s timestamp: its 13 digits are shaped like a NIR, and masked too.
    const [failed, sent] = [mail({ id: 'logs:refused' }), mail({ id: 'logs:sent' })];
    await expect(env.run(() => createMailer({ db: scratch.db, transport: refusing }).send(failed))).rejects.toThrow(nir);
    await env.run(() => createMailer({ db: scratch.db, transport: resend }).send(sent));
    expect(logs.lines.join('\n')).not.toContain(nir);
    expect(logs.parsed()).toEqual([
      expect.objectContaining({ level: 30, msg: 'mail: mail logs:refused (refusing, attempt 1): failed: no mailbox for the beneficiary [NIR]', activityType: 'sendPractitionerReply', sdkComponent: 'activity' }),
      // The SDK's own line about the failed activity, its error masked the same way.
      expect.objectContaining({ level: 40, msg: 'Activity failed', sdkComponent: 'worker', error: expect.objectContaining({ message: 'no mailbox for the beneficiary [NIR]' }) }),
      expect.objectContaining({ level: 30, msg: expect.stringMatching(/^mail: mail logs:sent sent through resend /), activityType: 'sendPractitionerReply' }),
    ]);
  });

  it('a refused e-mail requeued to a fixed address is sent once, under a new idempotency key', async () => {
    const m = mail({ to: ['pas-une-adresse'] });
    const mailer = createMailer({ db: scratch.db, transport: resend });
    await expect(mailer.send(m)).rejects.toMatchObject({ name: 'MailAddressRefusedError' });
    const requeued = await mailer.requeue(m.id, { to: ['gestion@almerys.example'] });
    expect(requeued).toMatchObject({ status: 'pending', retries: 1, to: ['gestion@almerys.example'] });
    const sent = await mailer.sendStored(m.id);
    expect(sent).toMatchObject({ status: 'sent', retries: 1, to: ['gestion@almerys.example'] });
    expect(await mailer.sendStored(m.id)).toMatchObject({ status: 'sent' });
    const delivered = fake.deliveries.filter((d) => d.idempotencyKey === `${m.id}:retry-1`);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.email.to).toEqual(['gestion@almerys.example']);
    // A sent e-mail is not requeued.
    expect(await mailer.requeue(m.id)).toMatchObject({ status: 'sent', retries: 1 });
  });

  it('refuses a malformed e-mail before writing it', async () => {
    const m = mail({ to: [] });
    await expect(createMailer({ db: scratch.db, transport: resend }).send(m)).rejects.toMatchObject({ name: 'InvalidMailError' });
    expect(await rowOf(m.id)).toBeUndefined();
  });

  it('classifies answers: our account (401/403, the sender), the recipient\'s address, another refusal, or worth retrying', () => {
    expect([401, 403].map((s) => classifyProviderError(s, null, 'API key is invalid.'))).toEqual(['account', 'account']);
    expect(classifyProviderError(422, 'invalid_from_address', 'Invalid `from` field.')).toBe('account');
    expect(classifyProviderError(422, 'validation_error', 'Invalid `to` field. The email address needs to follow the `email@example.com` format.')).toBe('address');
    expect(classifyProviderError(400, 'invalid_idempotency_key', 'The key must be 1 to 256 characters long.')).toBe('rejected');
    expect([409, 429, 500, 502, 503, null].map((s) => classifyProviderError(s, null, ''))).toEqual(Array(6).fill('transport'));
  });
});

describe('file transport', () => {
  it('writes html, text and json, and is idempotent', async () => {
    const dir = join(workDir, 'outbox-1');
    const transport = createFileTransport({ dir });
    const m = mail({ id: 'ps-reply:B/1:750044778:1', html: '<p>Réponse</p>', text: 'Réponse' });
    const base = safeFileName(m.id);
    expect(base).toMatch(/^ps-reply_B_1_750044778_1-[0-9a-f]{10}$/);

    const mailer = createMailer({ db: scratch.db, transport });
    const sent = await mailer.send(m);
    expect(sent).toMatchObject({ status: 'sent', providerId: `${base}.json` });
    expect(readdirSync(dir).sort()).toEqual([`${base}.html`, `${base}.json`, `${base}.txt`]);
    expect(readFileSync(join(dir, `${base}.html`), 'utf8')).toBe('<p>Réponse</p>');
    expect(readFileSync(join(dir, `${base}.txt`), 'utf8')).toBe('Réponse');
    const metadata = JSON.parse(readFileSync(join(dir, `${base}.json`), 'utf8'));
    expect(metadata).toMatchObject({
      id: m.id, kind: 'ps_reply', to: m.to, bcc: [ALMERYS_BCC], subject: m.subject, archiveKeys: m.archiveKeys,
      html: `${base}.html`, text: `${base}.txt`,
    });

    // The same id again, straight to the transport (as after a crash before `sent`): same answer, nothing rewritten.
    const before = statSync(join(dir, `${base}.json`)).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(await transport.send({ ...m, html: '<p>Autre</p>' })).toEqual({ providerId: `${base}.json` });
    expect(statSync(join(dir, `${base}.json`)).mtimeMs).toBe(before);
    expect(readFileSync(join(dir, `${base}.html`), 'utf8')).toBe('<p>Réponse</p>');
    expect(readdirSync(dir)).toHaveLength(3);
  });

  it('a crash after the files were written: the retry keeps them and ends sent', async () => {
    const dir = join(workDir, 'outbox-2');
    const transport = createFileTransport({ dir });
    const m = mail();
    const dying = dyingAfterSend(transport);
    void createMailer({ db: scratch.db, transport: dying }).send(m);
    await dying.delivered;
    expect((await rowOf(m.id)).status).toBe('sending');
    const sent = await createMailer({ db: scratch.db, transport }).send(m);
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, providerId: `${safeFileName(m.id)}.json` });
    expect(readdirSync(dir)).toHaveLength(3);
  });

  it('keeps ids that differ only by unsafe characters apart', () => {
    expect(safeFileName('a:b')).not.toBe(safeFileName('a/b'));
    expect(safeFileName('escalation-12')).toBe('escalation-12');
    expect(safeFileName('../x')).not.toContain('/');
    expect(safeFileName('..')).not.toMatch(/^\./);
  });
});

describe('get and list', () => {
  it('reads the outbox by id, batch, PS and kind, newest first, with paging', async () => {
    const mailer = createMailer({ db: scratch.db, transport: createFileTransport({ dir: join(workDir, 'outbox-list') }) });
    const batchId = `B-list-${Date.now()}`;
    const rows = Array.from({ length: 12 }, (_, i): BordereauRow => ({
      archiveKey: String(2870044700 + i), practitionerNumber: '750044778', nir: '2670499324070',
      invoiceNumber: String(i), reply: 'Réponse.',
    }));
    const psMails = composePractitionerEmails({ practitionerNumber: '750044778', to: 'ps@x.example', rows, batchId, from: DEFAULT_MAIL_FROM });
    const other = composePractitionerEmails({
      practitionerNumber: '750011111', to: 'autre@x.example', batchId, from: DEFAULT_MAIL_FROM,
      rows: [{ ...rows[0], archiveKey: '2870099999', practitionerNumber: '750011111' }],
    });
    const escalation = composeEscalationEmail({
      task: { id: `${batchId}-task`, archiveKey: '2870044700', motif: 'a_controler', motifLabel: 'A contrôler',
        createdAt: '2024-03-11T08:30:00Z', dueAt: '2024-03-13T08:30:00Z', practitionerNumber: '750044778' },
      to: DEFAULT_MANAGERS_EMAIL, from: DEFAULT_MAIL_FROM,
    });
    for (const m of [...psMails, ...other, escalation]) await mailer.send(m);

    expect(await mailer.get('no-such-mail')).toBeNull();
    expect(await mailer.get(psMails[1].id)).toMatchObject({ status: 'sent', archiveKeys: rows.slice(10).map((r) => r.archiveKey) });

    const byBatch = await mailer.list({ batchId });
    expect(byBatch.total).toBe(3);
    expect(byBatch.items.map((m) => m.id)).toEqual([other[0].id, psMails[1].id, psMails[0].id]);

    const byPs = await mailer.list({ practitionerNumber: '750044778', kind: 'ps_reply', batchId });
    expect(byPs.items.map((m) => m.id)).toEqual([psMails[1].id, psMails[0].id]);
    const page2 = await mailer.list({ batchId, limit: 1, offset: 1 });
    expect(page2).toMatchObject({ total: 3, items: [{ id: psMails[1].id }] });

    const escalations = await mailer.list({ kind: 'escalation' });
    expect(escalations.items.map((m) => m.id)).toContain(escalation.id);
    expect(escalations.items.every((m) => m.kind === 'escalation')).toBe(true);
  });
});

describe('configuration', () => {
  it('defaults', () => {
    expect(loadConfig({}).mail).toEqual({
      from: DEFAULT_MAIL_FROM, managers: [DEFAULT_MANAGERS_EMAIL], admins: [DEFAULT_MANAGERS_EMAIL], resendApiKey: undefined,
      resendBaseUrl: undefined, outboxDir: DEFAULT_OUTBOX_DIR,
    });
    expect(DEFAULT_MAIL_FROM).toBe('Service Prestations Tiers-Payant <tiers-payant@almerys.example>');
    expect(DEFAULT_MANAGERS_EMAIL).toBe('gestionnaires@almerys.example');
    expect(loadConfig({ MAIL_FROM: 'X <x@y.example>', MANAGERS_EMAIL: 'a@y.example, b@y.example', DATA_DIR: '/srv/data' }).mail)
      .toMatchObject({ from: 'X <x@y.example>', managers: ['a@y.example', 'b@y.example'], admins: ['a@y.example', 'b@y.example'], outboxDir: '/srv/data/outbox' });
    // The admins (told of a disabled webhook endpoint) have their own address when ADMINS_EMAIL is set.
    expect(loadConfig({ MANAGERS_EMAIL: 'a@y.example', ADMINS_EMAIL: 'root@y.example' }).mail).toMatchObject({ admins: ['root@y.example'] });
  });

  it('transportFor(config.mail): files under DATA_DIR/outbox without RESEND_API_KEY', async () => {
    const dataDir = join(workDir, 'data');
    const transport = transportFor(loadConfig({ DATA_DIR: dataDir }).mail);
    expect(transport.name).toBe('file');
    const m = mail();
    const { providerId } = await transport.send(m);
    expect(readdirSync(join(dataDir, 'outbox'))).toContain(providerId);
  });

  it('transportFor(config.mail): Resend with RESEND_API_KEY, at RESEND_BASE_URL', async () => {
    const transport = transportFor(loadConfig({ RESEND_API_KEY: fake.apiKey, RESEND_BASE_URL: fake.url }).mail);
    expect(transport.name).toBe('resend');
    const m = mail();
    const { providerId } = await transport.send(m);
    expect(deliveriesOf(m.id).map((d) => d.id)).toEqual([providerId]);
  });

  it('the fake checks the key', async () => {
    const wrongKey = createResendTransport({ apiKey: 're_wrong', baseUrl: fake.url });
    await expect(wrongKey.send(mail())).rejects.toMatchObject({ status: 403 });
    const response = await fetch(`${fake.url}/emails`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
  });
});
