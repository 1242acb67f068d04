// A workflow on its own, for the workflows' tests (workflows/*.workflow.test.ts): a Temporal dev server of its own,
// the project's workflow bundle and failure converter, and the activities the test gives (stubs in memory: no
// PostgreSQL, no HTTP, no e-mail provider). The dev server cannot skip time (the SDK's time-skipping server is a
// download this machine cannot make): durations are shortened by the stubs instead (a task's SLA, say).

import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import { FAILURE_CONVERTER_PATH } from '../activities/encryption.js';
import { ensureTemporalCli, freePort, startDevServer } from '../scripts/temporal-cli.js';
import { workflowBundle } from '../worker.js';

export interface WorkflowEnv {
  client: Client;
  /** The task queue the worker polls: start the workflows on it. */
  taskQueue: string;
  stop(): Promise<void>;
}

export const WORKFLOW_ENV_TIMEOUT_MS = 120_000;

export async function startWorkflowEnv(activities: object, name: string): Promise<WorkflowEnv> {
  const binary = await ensureTemporalCli();
  if (!binary) throw new Error('these tests need the Temporal CLI (TEMPORAL_CLI, or Go to build it)');
  const server = await startDevServer({ binary, port: await freePort(), uiPort: false, log: () => undefined });
  const dataConverter = { failureConverterPath: FAILURE_CONVERTER_PATH };
  const taskQueue = `${name}-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities, dataConverter,
  });
  const running = worker.run().finally(() => nativeConnection.close());
  const connection = await Connection.connect({ address: server.address });
  return {
    client: new Client({ connection, dataConverter }),
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await server.stop();
    },
  };
}

/** The environment of a test file: started before its tests, stopped after them. Read it inside a test. */
export function workflowEnvFor(activities: object, name: string): () => WorkflowEnv {
  let env: WorkflowEnv | undefined;
  beforeAll(async () => {
    env = await startWorkflowEnv(activities, name);
  }, WORKFLOW_ENV_TIMEOUT_MS);
  afterAll(() => env?.stop(), 60_000);
  return () => {
    if (!env) throw new Error('the workflow environment is not started');
    return env;
  };
}
