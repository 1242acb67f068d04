// npm run histories:record — runs a few claims through the real pipeline (a private Temporal dev server, an
// in-memory PGlite database, a local stand-in for the Resend API) and saves their event histories under
// test/histories/, where the test suite replays them with the current workflow code. Run it when a workflow change is
// meant to ship with new histories; keep the old files: running invoices still have them.
//   npm run histories:record -- [version]      (default v5: the files are named <workflowId>.<version>-<path>.json)

import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { decodePayloadsInPlace } from '../activities/history-codec.js';
import { createInvoiceService } from '../api/invoice-service.js';
import { openDatabase } from '../db/client.js';
import { seedReference } from '../db/seed.js';
import { caseWith } from '../rules/testing/cases.js';
import type { MotifCode } from '../rules/types.js';
import { startFakeResend } from '../test/fake-resend.js';
import { beforeAgicaLookup } from '../test/faulty-ports.js';
import { invoiceStartOptions, resolveTaskUpdate, statusQuery, type TaskAction } from '../workflows/contract.js';
import { invoiceWorkflow } from '../workflows/invoice.js';
import { invoices as invoicesTable } from '../db/schema.js';
import { createWorker, dependenciesFrom } from '../worker.js';
import { dataConverterOf, temporalClient } from '../temporal.js';
import { loadConfig } from '../config.js';
import { ensureTemporalCli, freePort, REPO_ROOT, startDevServer } from './temporal-cli.js';

const OUT = join(REPO_ROOT, 'test', 'histories');
const version = process.argv[2] ?? 'v5';
/**
 * Critères d'archivage of their own per version (v3: 30000003xx and 30000004xx for the batch; v4: 30000005xx,
 * 30000006xx; v5: 30000007xx, 30000008xx).
 */
const series = version === 'v3' ? 3 : version === 'v4' ? 5 : 7;
const key = (offset: number, i: number) => `3000000${series + offset}${String(i).padStart(2, '0')}`;

type Case = ReturnType<typeof caseWith>;
type Resolve = (workflowId: string, what: string, afterEscalation?: boolean) => Promise<void>;

/** The PS address the stand-in refuses, and an invoice number AGICA fails on every time. */
const REFUSED_ADDRESS = 'retour-ps@bellecour.example.org';
const BROKEN_INVOICE = 'F-BROKEN';
const toCentre = (c: Case) => { c.invoice.practitionerNumber = '690012345'; c.invoice.adeliNumbers = ['690012345']; };

/** One claim per kind of path through the workflows. */
const claims: { name: string; change: (c: Case) => void; manager?: (resolve: Resolve, workflowId: string) => Promise<void> }[] = [
  { name: 'paid', change: () => undefined },
  { name: 'practitioner-reply', change: (c) => { c.invoice.flags!.addressedToInsured = true; } },
  {
    name: 'task-paid', change: (c) => { c.invoice.adeliNumbers = ['691234567', '750044778']; },
    manager: (resolve, id) => resolve(id, 'pay'),
  },
  {
    name: 'task-reply-then-email', change: (c) => { c.invoice.acts![0].roRate = null; },
    manager: (resolve, id) => resolve(id, 'reply:beneficiaire_non_couvert'),
  },
  {
    name: 'task-escalated-then-closed', change: (c) => { c.invoice.adeliNumbers = ['691234567', '750044778']; },
    manager: (resolve, id) => resolve(id, 'close', true),
  },
  {
    name: 'address-refused-then-closed', change: (c) => { c.invoice.flags!.addressedToInsured = true; toCentre(c); },
    manager: (resolve, id) => resolve(id, 'close'),
  },
  {
    name: 'analysis-failed-then-closed', change: (c) => { c.invoice.invoiceNumber = BROKEN_INVOICE; },
    manager: (resolve, id) => resolve(id, 'close'),
  },
];

Runtime.install({ logger: new DefaultLogger('ERROR') });
const binary = await ensureTemporalCli(console.error, loadConfig(process.env).tools);
if (!binary) throw new Error('the Temporal CLI is needed: npm run setup');
const server = await startDevServer({ binary, port: await freePort(), uiPort: false });
const resend = await startFakeResend();
resend.refuse(REFUSED_ADDRESS);
const database = await openDatabase('', { pgliteDir: 'memory://' });
try {
  await seedReference(database.db, caseWith(() => undefined).reference);
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = 'record-histories';
  const dataDir = mkdtempSync(join(tmpdir(), 'histories-'));
  const env = { ...process.env, DATA_DIR: dataDir, RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url, TASK_SLA: '2s' };
  const connection = await Connection.connect({ address: server.address });
  const config = loadConfig(env);
  const dataConverter = dataConverterOf(config);
  const client = temporalClient(connection, { dataConverter });
  const deps = dependenciesFrom(database, client, config);
  // AGICA fails the same way every time for one invoice number: the analysis ends as a manager task.
  const worker = await createWorker({
    connection: native, taskQueue, dataConverter,
    deps: beforeAgicaLookup((invoiceNumber) => {
      if (invoiceNumber === BROKEN_INVOICE) throw new TypeError("Cannot read properties of undefined (reading 'state')");
    })(deps),
  });
  const service = createInvoiceService({ client, db: database.db, taskQueue });
  const resolve = async (workflowId: string, what: string, afterEscalation = false) => {
    const handle = client.workflow.getHandle(workflowId);
    let state = await handle.query(statusQuery);
    while (!state.task || (afterEscalation && !state.task.escalated)) {
      await new Promise((r) => setTimeout(r, 100));
      state = await handle.query(statusQuery);
    }
    // After an escalation, once its notice went (the workflow records nothing more about it).
    if (afterEscalation) await new Promise((r) => setTimeout(r, 1000));
    const [action, motif] = what.split(':') as [TaskAction, MotifCode | undefined];
    await handle.executeUpdate(resolveTaskUpdate, { args: [{ taskId: state.task.id, action, motif: motif ?? null, comment: null, by: 'histories' }] });
  };
  const save = async (workflowId: string, name: string) => {
    const handle = client.workflow.getHandle(workflowId);
    await handle.result();
    const file = join(OUT, `${workflowId}.${version}-${name}.json`);
    // Saved decoded: the claims are the synthetic test cases, and the replay reads clear payloads with any keyring
    // (the workers' keys of this run are thrown away with it).
    const history = await handle.fetchHistory();
    await decodePayloadsInPlace(history, client.options.loadedDataConverter.payloadCodecs);
    await writeFile(file, `${historyToJSON(history)}\n`);
    console.log(`saved ${file}`);
  };
  await worker.runUntil(async () => {
    for (const [i, claim] of claims.entries()) {
      const c = caseWith((x) => { x.invoice.archiveKey = key(0, i); claim.change(x); });
      const { workflowId } = await service.submit({ invoice: c.invoice, receivedOn: c.receivedOn });
      if (claim.manager) await claim.manager(resolve, workflowId);
      await save(workflowId, claim.name);
    }
    // A claim started by an API of the release before (no `gates` in its input): its path found by the patches.
    if (version !== 'v3') {
      const c = caseWith((x) => { x.invoice.archiveKey = key(0, claims.length); });
      const { args: [input], ...options } = invoiceStartOptions({ invoice: c.invoice, receivedOn: c.receivedOn }, taskQueue);
      const { gates: _gates, ...withoutGates } = input;
      await database.db.insert(invoicesTable).values({
        id: c.invoice.archiveKey, archiveKey: c.invoice.archiveKey, workflowId: options.workflowId, status: 'analyzing',
        invoice: c.invoice, receivedOn: c.receivedOn,
      });
      await client.workflow.start(invoiceWorkflow, { ...options, args: [withoutGates] });
      await save(options.workflowId, 'paid-started-without-gates');
    }
    // A small batch: one reply e-mailed with the batch, one PS whose address is refused (a manager closes it), one
    // for a manager; its workflow and two of its invoices.
    const batchKeys = [key(1, 0), key(1, 1), key(1, 2)];
    const batch = batchKeys.map((k, i) => caseWith((x) => {
      x.invoice.archiveKey = k;
      x.invoice.invoiceNumber = `H-${k}`;
      if (i === 0) x.invoice.flags!.carePathRespected = false;
      if (i === 1) { x.invoice.flags!.addressedToInsured = true; toCentre(x); }
      if (i === 2) x.invoice.adeliNumbers = ['691234567', '750044778'];
    }).invoice);
    await service.submitBatch({ batchId: `histories-${version}`, receivedOn: '2016-02-23', invoices: batch });
    await client.workflow.getHandle(`batch-histories-${version}`).result();
    await resolve(`invoice-${batchKeys[1]}`, 'close');
    await resolve(`invoice-${batchKeys[2]}`, 'close');
    await save(`batch-histories-${version}`, 'batch-refused-ps');
    await save(`invoice-${batchKeys[0]}`, 'batch-invoice-reply');
    await save(`invoice-${batchKeys[1]}`, 'batch-invoice-refused-then-closed');
  });
  await connection.close();
  await native.close();
} finally {
  await database.close();
  await resend.close();
  await server.stop();
}
