// npm start — the whole product on embedded defaults, in one process:
//   the Temporal dev server (SQLite under .data/, Web UI), PGlite under .data/ unless DATABASE_URL is set,
//   the demo data (examples/cases/) on first start, a worker, the API and its OpenAPI page.
// With TEMPORAL_ADDRESS set, no dev server is started: the worker and API use that server.
// Environment (config.ts): PORT (3000), DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233),
// DATA_DIR (.data), and the others of README « Configuration ».

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { ensureArchiveSchedules } from '../activities/archive.js';
import { dataConverterOf, ensureSearchAttributes, temporalClient } from '../temporal.js';
import { startApi } from '../api/server.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logging.js';
import { openDatabase } from '../db/client.js';
import { formatCounts, seedReference } from '../db/seed.js';
import { practitioners } from '../db/schema.js';
import { createApiKeyRepository } from '../db/api-keys.js';
import { exampleUniverse } from '../examples/universe.js';
import { createWorker, dependenciesFrom, runtimeOptions, startWebhookDispatcher } from '../worker.js';
import { restrictDataDir, stopOnSignals } from './data-dir.js';
import { ensureTemporalCli, SEARCH_ATTRIBUTES, startDevServer, type DevServer } from './temporal-cli.js';

const say = (message: string) => console.error(message);
let config = loadConfig(process.env);
const { dataDir } = config;
// Health data lives here (PGlite, temporal.db, e-mail files, keys): the folder is the user's alone, and so is every
// file this process and its children (the Temporal dev server) create in it.
process.umask(0o077);
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
restrictDataDir(dataDir);
const dataConverter = dataConverterOf(config);
// The worker's logger (JSON lines on stderr at LOG_LEVEL, NIR masked: logging.ts) as the SDK runtime's, before anything
// starts it: the SDK's, the workflows' and the activities' lines. The API logs through its own (api/logging.ts).
Runtime.install(runtimeOptions(createLogger({ name: 'worker', level: config.logLevel })));

let devServer: DevServer | undefined;
let temporalAddress = config.temporalAddress;
let uiUrl: string | null = null;
let stopTemporal: (() => Promise<void>) | undefined;
if (!temporalAddress) {
  const port = config.temporalPort;
  const uiPort = config.temporalUiPort;
  const dbFile = join(dataDir, 'temporal.db');
  const binary = await ensureTemporalCli(say, config.tools);
  if (binary) {
    say(`Starting the Temporal dev server on 127.0.0.1:${port} (state in ${dbFile})…`);
    // Its Web UI is served by the API under /temporal/ (same origin as the console: the codec server gets the
    // session cookie, so logged-in managers, auditors and admins read decoded payloads; anyone else, ciphertext).
    const apiBase = (config.publicUrl || `http://127.0.0.1:${config.port}`).replace(/\/$/, '');
    devServer = await startDevServer({
      binary, port, uiPort, dbFile, log: say, uiPublicPath: '/temporal', uiCodecEndpoint: `${apiBase}/codec`,
    });
    config = {
      ...config,
      temporalUiUrl: devServer.uiUrl ?? undefined,
      temporalUiOrigins: config.temporalUiOrigins.length > 0 ? config.temporalUiOrigins : [`http://127.0.0.1:${uiPort}`],
    };
    temporalAddress = devServer.address;
    uiUrl = devServer.uiUrl;
    stopTemporal = () => devServer!.stop();
  } else {
    // No CLI and no Go: the SDK downloads the dev server (needs internet).
    say('No Temporal CLI and no Go toolchain: downloading the Temporal dev server through the SDK…');
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1', port, ui: true, uiPort, dbFilename: dbFile,
        extraArgs: Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
      },
    });
    temporalAddress = env.address;
    uiUrl = `http://127.0.0.1:${uiPort}`;
    stopTemporal = () => env.teardown();
  }
}

say(config.databaseUrl ? 'Opening PostgreSQL (DATABASE_URL)…' : `Opening the embedded database (PGlite, ${join(dataDir, 'pglite')})…`);
const database = await openDatabase(config.databaseUrl, config.database);
// PGlite sets its own files' modes (0666, whatever the umask): taken back now, and again at stop. In between, a file
// it creates is still behind the folders' 0700.
restrictDataDir(dataDir);
if ((await database.db.select({ n: practitioners.number }).from(practitioners).limit(1)).length === 0) {
  const counts = await seedReference(database.db, exampleUniverse());
  say(`Loaded the demo reference data (examples/cases/): ${formatCounts(counts)}`);
}

// First start on these defaults: one key per role, printed once (they are stored hashed).
const devKeys = await createApiKeyRepository(database.db).ensureDevKeys();

const connection = await Connection.connect({ address: temporalAddress });
await ensureSearchAttributes(connection, config.temporalNamespace);

const native = await NativeConnection.connect({ address: temporalAddress });
const worker = await createWorker({
  connection: native, namespace: config.temporalNamespace, taskQueue: config.taskQueue, dataConverter,
  deps: dependenciesFrom(database, temporalClient(connection, { namespace: config.temporalNamespace, dataConverter }), config),
  maxCachedWorkflows: config.maxCachedWorkflows, tuning: config.workerTuning,
});
const workerRun = worker.run();
await ensureArchiveSchedules(temporalClient(connection, { namespace: config.temporalNamespace, dataConverter }), config.taskQueue);
const webhooks = await startWebhookDispatcher(database, temporalClient(connection, { namespace: config.temporalNamespace, dataConverter }), config, {
  warn: (message: string) => say(message), info: (message: string) => say(message),
});
const api = await startApi({ ...config, temporalAddress }, database, { dataConverter, logger: true });
// The dev keys are shown once on a terminal and never written into a log: when stdout is not a terminal (redirected
// to a file, a service's journal), they go into <DATA_DIR>/dev-keys.txt (mode 0600) and only its path is printed.
const devKeyList = devKeys?.map((k) => `    ${k.role.padEnd(10)} ${k.key}`).join('\n');
let keyLines = '\n  API keys: already created (npm run keys -- list / create <role>)\n';
if (devKeyList && process.stdout.isTTY) {
  keyLines = `\n  API keys (shown once; create more with npm run keys -- create <role>):\n${devKeyList}\n`;
} else if (devKeyList) {
  const file = join(dataDir, 'dev-keys.txt');
  writeFileSync(file, `${devKeyList}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an older file keeps its mode otherwise
  keyLines = `\n  API keys: written to ${file} (mode 0600; delete it once read). Create more with npm run keys -- create <role>\n`;
}

console.log(`
  Rejets TP Simple is running.
    Console      ${api.address}/console/
    API          ${api.address}/api/invoices
    OpenAPI      ${api.address}/docs
    Health       ${api.address}/health
    Temporal UI  ${config.temporalUiUrl ? `${api.address}/temporal/ (payloads decoded for managers, auditors and admins logged into the console)` : uiUrl ?? `(external server ${temporalAddress})`}
${keyLines}
  Try:  API_KEY=<submitter key> npm run submit -- examples/cases/a_controler.json
  Ctrl-C to stop.
`);

stopOnSignals(dataDir, async (signal) => {
  say(`${signal}: stopping…`);
  await api.close();
  // The SDK's worker stops itself on SIGINT/SIGTERM too (its default shutdownSignals).
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await workerRun.catch(() => undefined);
  await webhooks.stop();
  await native.close();
  await connection.close();
  await database.close();
  await stopTemporal?.();
});
