// A real API process whose Temporal starts wait a while after the claim's rows are written, so that a test can kill
// it (SIGKILL) between the rows and the workflow. Environment: TEMPORAL_ADDRESS, DATABASE_URL, TASK_QUEUE,
// START_DELAY_MS. Prints `listening <url>`, then `starting <workflowId>` before each start.

import { Connection } from '@temporalio/client';
import { dataConverterOf, temporalClient } from '../temporal.js';
import { buildApp } from '../api/app.js';
import { appDependencies } from '../api/server.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';

const delay = Number(process.env.START_DELAY_MS ?? 5000);
const config = loadConfig(process.env);
const database = await openDatabase(config.databaseUrl, config.database);
const client = temporalClient(await Connection.connect({ address: config.temporalAddress! }), { dataConverter: dataConverterOf(config) });
const start = client.workflow.start.bind(client.workflow);
client.workflow.start = (async (type: never, options: { workflowId: string }) => {
  process.stdout.write(`starting ${options.workflowId}\n`);
  await new Promise((r) => setTimeout(r, delay));
  return start(type, options as never);
}) as typeof client.workflow.start;
const app = await buildApp(appDependencies({ client, database, config }));
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${url}\n`);
