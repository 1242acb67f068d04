// A real worker process whose reference lookups are slowed down, so that a test can kill it (SIGKILL) in the
// middle of an analysis. Environment: TEMPORAL_ADDRESS, DATABASE_URL, TASK_QUEUE, LOOKUP_DELAY_MS.

import { Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import type { Ports } from '../rules/ports.js';
import { createWorker, dependenciesFrom } from '../worker.js';
import { dataConverterOf, temporalClient } from '../temporal.js';

const delay = Number(process.env.LOOKUP_DELAY_MS ?? 500);
/** A pause after a manager task's row is written, before the workflow task that wrote it completes. */
const afterTaskOpened = Number(process.env.AFTER_TASK_OPENED_MS ?? 0);

function slow<T extends object>(port: T): T {
  return new Proxy(port, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await new Promise((r) => setTimeout(r, delay));
        return value.apply(target, args);
      };
    },
  });
}

Runtime.install({ logger: new DefaultLogger('WARN') });
const config = loadConfig(process.env);
const database = await openDatabase(config.databaseUrl, config.database);
const dataConverter = dataConverterOf(config);
const client = temporalClient(await Connection.connect({ address: config.temporalAddress! }), { dataConverter });
const deps = dependenciesFrom(database, client, config);
const ports: Ports = { agica: slow(deps.ports.agica), protips: slow(deps.ports.protips), valerys: slow(deps.ports.valerys), agaps: slow(deps.ports.agaps) };
const connection = await NativeConnection.connect({ address: config.temporalAddress! });
const tasks = {
  ...deps.tasks,
  async open(input: Parameters<typeof deps.tasks.open>[0]) {
    const opened = await deps.tasks.open(input);
    if (afterTaskOpened) {
      process.stdout.write(`task-opened ${opened.taskId}\n`);
      await new Promise((r) => setTimeout(r, afterTaskOpened));
    }
    return opened;
  },
};
const worker = await createWorker({ connection, taskQueue: config.taskQueue, deps: { ...deps, ports, tasks }, dataConverter });
process.stdout.write('ready\n');
await worker.run();
