// npm run replay -- <workflowId> [more…]        history fetched from the Temporal server (TEMPORAL_ADDRESS), else
//                                                from the archive (DATABASE_URL) once Temporal has dropped it
// npm run replay -- --file <history.json> [more…]  history exported by GET /api/invoices/:id/history or the Temporal UI
// Replays each history with the current workflow code. Exit 0 when all replay; 1 on non-determinism (or any
// replay failure); 2 on bad usage or an unreadable history.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Connection } from '@temporalio/client';
import { loadHistory } from '../api/histories.js';
import { createArchiveRepository } from '../db/archive.js';
import { openDatabase, type OpenDatabase } from '../db/client.js';
import { dataConverterOf, temporalClient } from '../temporal.js';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DEFAULT_TEMPORAL_ADDRESS, loadConfig } from '../config.js';
import { workflowBundle } from '../worker.js';

/** A history fetched from the server may be long: more time than an API request's deadline. */
const FETCH_TIMEOUT_MS = 60_000;

interface Target { label: string; workflowId: string; load(): Promise<unknown> }

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write('usage: npm run replay -- <workflowId> [more…]\n       npm run replay -- --file <history.json> [more…]\n');
  process.exit(2);
}

const args = process.argv.slice(2).filter((a) => a !== '--');
if (args.length === 0) usage();
const fromFiles = args[0] === '--file';
const names = fromFiles ? args.slice(1) : args;
if (names.length === 0) usage('--file needs at least one history file');

let connection: Connection | undefined;
let database: OpenDatabase | undefined;
const config = loadConfig(process.env);
// Encrypted payloads are decrypted with the keyring (PAYLOAD_KEYS, PAYLOAD_KEYS_FILE, or DATA_DIR's): a history
// encrypted with a key not in it fails to replay, naming the key.
const dataConverter = dataConverterOf(config);
const targets: Target[] = names.map((name) => fromFiles
  ? {
    label: name,
    // Histories are saved as `<workflowId>[.<label>].json`: the id is what comes before the first dot.
    workflowId: basename(name).replace(/\.json$/, '').split('.')[0],
    async load() {
      const text = await readFile(name, 'utf8').catch((err) => usage(`${name}: ${(err as Error).message}`));
      try {
        return historyFromJSON(JSON.parse(text));
      } catch (err) {
        return usage(`${name}: not a Temporal history (${(err as Error).message})`);
      }
    },
  }
  : {
    label: name,
    workflowId: name,
    async load() {
      connection ??= await Connection.connect({ address: config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS });
      const client = temporalClient(connection, { namespace: config.temporalNamespace, dataConverter });
      // Dropped by Temporal (retention, deletion): the archived copy, as the server had it. The database is opened
      // only then.
      const archive = {
        async history(workflowId: string, runId?: string) {
          database ??= await openDatabase(config.databaseUrl, config.database);
          return createArchiveRepository(database.db).history(workflowId, runId);
        },
      };
      const loaded = await loadHistory({ client, archive }, FETCH_TIMEOUT_MS, name);
      if (!loaded) return usage(`${name}: neither the Temporal server nor the archive has this workflow`);
      if (loaded.source === 'archive') process.stdout.write(`      ${name}: from the archive (run ${loaded.runId}, closed ${loaded.closedAt})\n`);
      return loaded.history;
    },
  });

Runtime.install({ logger: new DefaultLogger('WARN') });
const bundle = await workflowBundle();
let failures = 0;
for (const target of targets) {
  const history = await target.load();
  try {
    await Worker.runReplayHistory({ workflowBundle: bundle, replayName: 'audit', dataConverter }, history, target.workflowId);
    process.stdout.write(`ok    ${target.label}: replays with the current workflow code\n`);
  } catch (err) {
    failures++;
    const e = err as Error;
    const kind = e.name === 'DeterminismViolationError' ? 'NON-DETERMINISTIC' : `failed (${e.name})`;
    process.stdout.write(`FAIL  ${target.label}: ${kind}: ${e.message.split('\n')[0]}\n`);
  }
}
await connection?.close();
await database?.close();
process.stdout.write(`${targets.length - failures} replayed, ${failures} failed\n`);
process.exit(failures ? 1 : 0);
