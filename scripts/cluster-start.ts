// npm run cluster — the production topology on this machine (scripts/cluster.ts): two Temporal server nodes on
// PostgreSQL behind HAProxy, the Temporal UI, two workers and two API replicas. Ctrl-C stops everything.
// Environment: TEMPORAL_DATABASE_URL (admin connection to the PostgreSQL holding Temporal's databases, default
// postgres://postgres@127.0.0.1:5432/postgres), TEMPORAL_DB (temporal → temporal + temporal_visibility),
// DATABASE_URL (the product's; default database tprejects_cluster there), CLUSTER_API_PORTS (3000,3001),
// CLUSTER_TEMPORAL_PORT (7233, HAProxy: what `temporal --address` and other tools use), CLUSTER_WORKERS (2),
// CLUSTER_APIS (2), DATA_DIR (.data/cluster), plus the product's own (README « Configuration »), all read by config.ts.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { createApiKeyRepository } from '../db/api-keys.js';
import { formatCounts, seedReference } from '../db/seed.js';
import { practitioners } from '../db/schema.js';
import { exampleUniverse } from '../examples/universe.js';
import { startCluster } from './cluster.js';
import { restrictDataDir, stopOnSignals } from './data-dir.js';

const say = (message: string) => console.error(message);
process.umask(0o077);
const config = loadConfig(process.env);
const { dataDir } = config.cluster;
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
restrictDataDir(dataDir);

const cluster = await startCluster({
  config,
  dataDir,
  temporalDb: config.cluster.temporalDb,
  databaseUrl: config.databaseUrl,
  workers: config.cluster.workers,
  apis: config.cluster.apis,
  apiPorts: [...config.cluster.apiPorts],
  temporalPort: config.cluster.temporalPort,
  log: say,
});

// Demo reference data on first start, and one API key per role, written once to a 0600 file.
const database = await openDatabase(cluster.databaseUrl, config.database);
if ((await database.db.select({ n: practitioners.number }).from(practitioners).limit(1)).length === 0) {
  say(`Loaded the demo reference data (examples/cases/): ${formatCounts(await seedReference(database.db, exampleUniverse()))}`);
}
const devKeys = await createApiKeyRepository(database.db).ensureDevKeys();
await database.close();
let keys = '  API keys: already created (npm run keys -- list / create <role>, with DATABASE_URL set)';
if (devKeys) {
  const file = join(dataDir, 'dev-keys.txt');
  writeFileSync(file, `${devKeys.map((k) => `    ${k.role.padEnd(10)} ${k.key}`).join('\n')}\n`, { mode: 0o600 });
  keys = `  API keys: written to ${file} (mode 0600; delete it once read)`;
}

const line = (label: string, value: string) => `    ${label.padEnd(22)} ${value}`;
console.log(`
  Rejets TP Simple — production topology is running.
${cluster.apis.map((api, i) => line(`API replica ${i + 1}`, `${api.url}/console/  (OpenAPI ${api.url}/docs, metrics ${api.url}/metrics)`)).join('\n')}
${line('Temporal (HAProxy)', `${cluster.temporalAddress}  (stats ${cluster.haproxyStats})`)}
${cluster.nodes.map((n) => line(`Temporal node ${n.name}`, `${n.frontend}  (metrics http://${n.metrics}/metrics, pid ${n.service.pid})`)).join('\n')}
${cluster.uiUrl ? line('Temporal UI', `${cluster.apis[0]!.url}/temporal/  (through the API: console login, payloads decoded)`) : ''}
${cluster.workers.map((w) => line(w.name, `metrics ${w.metricsUrl}  (pid ${w.pid})`)).join('\n')}
${line('PostgreSQL', `${new URL(cluster.databaseUrl).host}: ${cluster.temporalDatabases.join(', ')}, ${new URL(cluster.databaseUrl).pathname.slice(1)}`)}
${line('Logs', join(dataDir, 'logs'))}
${keys}

  Ctrl-C to stop.
`);

stopOnSignals(dataDir, async (signal) => {
  say(`${signal}: stopping the topology…`);
  await cluster.stop();
});
