// vitest global setup: one Temporal dev server and one fresh PostgreSQL database per test run, shared by
// every `*.integration.test.ts` file through `inject('temporalAddress')` / `inject('databaseUrl')`.
// Nothing is started when the run selects no integration test file.
// Environment: TEST_DATABASE_URL (admin connection, default postgres://postgres@127.0.0.1:5432/postgres),
// TEST_TEMPORAL_ADDRESS (use a running server instead of starting one), TEMPORAL_CLI.

import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../db/client.js';
import { ensureTemporalCli, freePort, SEARCH_ATTRIBUTES, startDevServer } from '../scripts/temporal-cli.js';
import { loadConfig } from '../config.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** `host:port` of the run's Temporal server (namespace `default`). */
    temporalAddress: string;
    /** URL of the run's PostgreSQL database, migrations applied. */
    databaseUrl: string;
  }
}

const INTEGRATION = /\.integration\.test\.ts$/;

/** False only when vitest tells us which files run and none is an integration test. */
function needsServers(project: TestProject): boolean {
  if (project.config.watch) return true;
  let paths: string[];
  try {
    paths = project.vitest.state.getPaths(); // experimental API: fall back to "yes" if it changes
  } catch {
    return true;
  }
  return paths.length === 0 || paths.some((path) => INTEGRATION.test(path));
}

type Teardown = () => Promise<void>;

async function startTemporal(): Promise<{ address: string; teardown: Teardown }> {
  const existing = process.env.TEST_TEMPORAL_ADDRESS;
  if (existing) return { address: existing, teardown: async () => undefined };

  const binary = await ensureTemporalCli(undefined, loadConfig(process.env).tools);
  if (binary) {
    const server = await startDevServer({ binary, port: await freePort(), uiPort: false });
    return { address: server.address, teardown: server.stop };
  }
  // No CLI and no Go: the SDK downloads a dev server (needs internet).
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      extraArgs: Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    },
  });
  return { address: env.address, teardown: () => env.teardown() };
}

async function createDatabase(): Promise<{ url: string; teardown: Teardown }> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `tprejects_test_${process.pid}_${Date.now()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database "${name}"`);
  } catch (error) {
    await admin.end();
    throw new Error(`cannot create the test database on ${new URL(adminUrl).host}: ${(error as Error).message}`, { cause: error });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const teardown = async () => {
    try {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
    } finally {
      await admin.end();
    }
  };
  try {
    const database = await openDatabase(url.toString()); // applies the migrations once for the whole run
    await database.close();
  } catch (error) {
    await teardown();
    throw error;
  }
  return { url: url.toString(), teardown };
}

export default async function setup(project: TestProject): Promise<Teardown | undefined> {
  if (!needsServers(project)) return undefined;

  const [temporal, database] = await Promise.allSettled([startTemporal(), createDatabase()]);
  if (temporal.status === 'rejected' || database.status === 'rejected') {
    if (temporal.status === 'fulfilled') await temporal.value.teardown();
    if (database.status === 'fulfilled') await database.value.teardown();
    throw temporal.status === 'rejected' ? temporal.reason : (database as PromiseRejectedResult).reason;
  }
  project.provide('temporalAddress', temporal.value.address);
  project.provide('databaseUrl', database.value.url);

  return async () => {
    await Promise.allSettled([temporal.value.teardown(), database.value.teardown()]);
  };
}
