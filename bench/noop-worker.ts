// A worker process running only the benchmarks' baseline (bench/noop-workflow.ts): one no-op activity per workflow,
// with the product's data converter (payloads encrypted), so that both sides of a comparison pay the same.
// Environment: TEMPORAL_ADDRESS, TASK_QUEUE (bench-noop), PAYLOAD_KEYS / PAYLOAD_KEYS_FILE. Prints « ready ».

import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../activities/encryption.js';
import { dataConverterFromEnv } from '../temporal.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
const worker = await Worker.create({
  connection,
  taskQueue: process.env.TASK_QUEUE ?? 'bench-noop',
  workflowBundle: await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./noop-workflow.ts', import.meta.url)),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  }),
  activities: { async noop() {} },
  dataConverter: dataConverterFromEnv(process.env),
});
console.log('ready');
await worker.run();
await connection.close();
