// The production topology on one machine, with real processes: two Temporal server nodes on PostgreSQL
// (persistence and SQL visibility), HAProxy in front of their frontends, the Temporal UI, two workers and two API
// replicas sharing the session secret and the payload keys. Used by `npm run cluster`, `npm run test:cluster`
// and `npm run bench:cluster`; deploy/README.md describes the same topology for compose and Kubernetes.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import postgres from 'postgres';
import { loadKeyring, PAYLOAD_KEYS_FILE } from '../activities/encryption.js';
import { ensureSearchAttributes } from '../temporal.js';
import { loadSessionSecret } from '../api/session-secret.js';
import type { Config, Environment } from '../config.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/contract.js';
import { ensureTemporalServer, TEMPORAL_SERVER_VERSION, type TemporalServerBinaries } from './temporal-server.js';
import { findOnPath, freePort, lowFreePort, REPO_ROOT, type Log } from './temporal-cli.js';

export const SERVER_CONFIG = join(REPO_ROOT, 'deploy', 'temporal', 'server.yaml');
export const DYNAMIC_CONFIG = join(REPO_ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml');
export const HAPROXY_CONFIG = join(REPO_ROOT, 'deploy', 'haproxy', 'temporal-frontend.cfg');
const UI_CONFIG_ROOT = join(REPO_ROOT, 'deploy', 'temporal');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A child process of the topology, which can be killed (-9) and started again with the same arguments. */
export class Service {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly out: string[] = [];
  private readonly killOnExit = () => this.signal('SIGKILL');

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
    /** Resolves once the service answers; throws when it cannot. */
    private readonly ready: (service: Service) => Promise<void>,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode == null && this.child.signalCode == null;
  }

  /** The last lines it wrote (stdout and stderr), for error messages. */
  tail(lines = 30): string {
    return this.out.slice(-lines).join('\n');
  }

  output(): string {
    return this.out.join('\n');
  }

  async start(): Promise<void> {
    if (this.running) return;
    const log = openSync(this.logFile, 'a', 0o600);
    // Its own process group: a kill reaches whatever it spawned (npx → node).
    const child = spawn(this.command, this.args, { env: this.env, cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        writeFileSync(log, chunk);
        for (const line of chunk.split('\n')) if (line.trim()) this.out.push(line);
        if (this.out.length > 400) this.out.splice(0, this.out.length - 400);
      });
    }
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (error) => {
        this.out.push(`cannot start: ${error.message}`);
        resolve();
      });
    });
    process.once('exit', this.killOnExit);
    try {
      await this.ready(this);
    } catch (error) {
      await this.kill();
      throw new Error(`${this.name} did not start: ${(error as Error).message}\n${this.tail()}`, { cause: error });
    }
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid == null || !this.running) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGKILL to the whole process group, as a crash would. */
  async kill(): Promise<void> {
    process.removeListener('exit', this.killOnExit);
    this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    process.removeListener('exit', this.killOnExit);
    this.signal('SIGTERM');
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) await this.kill();
  }

  /** Resolves when `pattern` appears in its output (or rejects when it exits first). */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.out.some((line) => pattern.test(line))) return;
      if (!this.running) throw new Error(`exited (${this.child?.exitCode ?? this.child?.signalCode})`);
      await sleep(100);
    }
    throw new Error(`no « ${pattern.source} » within ${timeoutMs} ms`);
  }
}

export interface ClusterOptions {
  /**
   * The configuration (config.ts): TEMPORAL_DATABASE_URL, TEMPORAL_NAMESPACE, the Temporal nodes' SQL_* pools and
   * TEMPORAL_LOG_LEVEL, TEMPORAL_RETENTION_DAYS, PAYLOAD_KEYS*, SESSION_SECRET, DATABASE_POOL_MAX, PATH; its
   * environment is passed on to the workers and API replicas.
   */
  config: Config;
  /** Admin connection to the PostgreSQL that holds every database (default: TEMPORAL_DATABASE_URL). */
  adminUrl?: string;
  /** Temporal's databases: `<temporalDb>` and `<temporalDb>_visibility` (default temporal / temporal_visibility). */
  temporalDb?: string;
  /** The product's database URL (default: database `tprejects_cluster` on the same PostgreSQL, created). */
  databaseUrl?: string;
  /** Logs, e-mail files, keys. */
  dataDir: string;
  workers?: number;
  apis?: number;
  /** Serve the Temporal UI (through the API under /temporal/). Default true. */
  ui?: boolean;
  /** History shards: fixed when the cluster is created (default 8 here; production sizes it up front). */
  historyShards?: number;
  /** Environment added to every worker and API (TASK_SLA, RESEND_BASE_URL, …). */
  env?: NodeJS.ProcessEnv;
  /** Fixed API ports (default: free ports). */
  apiPorts?: number[];
  /** The load balancer's port, what clients use (default: a free port). */
  temporalPort?: number;
  log?: Log;
}

export interface TemporalNode {
  name: string;
  /** Its own frontend (`127.0.0.1:port`), bypassing the load balancer. */
  frontend: string;
  metrics: string;
  service: Service;
}

export interface Cluster {
  /** The load balancer's address: what every client uses. */
  temporalAddress: string;
  nodes: TemporalNode[];
  haproxy: Service;
  haproxyStats: string;
  ui: Service | null;
  uiUrl: string | null;
  workers: (Service & { metricsUrl: string })[];
  apis: (Service & { url: string })[];
  databaseUrl: string;
  temporalDatabases: string[];
  /** Environment shared by the workers and APIs (DATABASE_URL, TEMPORAL_ADDRESS, PAYLOAD_KEYS, SESSION_SECRET…). */
  env: NodeJS.ProcessEnv;
  /** Stops everything (APIs, workers, UI, nodes, HAProxy). */
  stop(): Promise<void>;
  /** Drops the databases created for it (tests). */
  dropDatabases(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function ensureDatabase(adminUrl: string, name: string): Promise<boolean> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    const [row] = await admin`select 1 as present from pg_database where datname = ${name}`;
    if (row) return false;
    await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
    return true;
  } finally {
    await admin.end();
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

/**
 * Creates (when missing) and migrates Temporal's two databases with the schema tool and its embedded PostgreSQL
 * schemas: `setup-schema -v 0.0` on a new database, then `update-schema` to the server's version.
 */
export async function migrateTemporalDatabases(
  sqlTool: string, adminUrl: string, names: { default: string; visibility: string }, log: Log, environment: Environment = {},
): Promise<void> {
  const url = new URL(adminUrl);
  const base = [
    '--plugin', 'postgres12', '--ep', url.hostname, '-p', url.port || '5432',
    '-u', decodeURIComponent(url.username || 'postgres'),
  ];
  const env = { ...environment, SQL_PASSWORD: decodeURIComponent(url.password) };
  for (const [db, schema] of [[names.default, 'postgresql/v12/temporal'], [names.visibility, 'postgresql/v12/visibility']] as const) {
    const created = await ensureDatabase(adminUrl, db);
    if (created) {
      log(`  ${db}: created, setting up the schema`);
      await run(sqlTool, [...base, '--db', db, 'setup-schema', '-v', '0.0'], env);
    }
    await run(sqlTool, [...base, '--db', db, 'update-schema', '--schema-name', schema], env);
  }
}

async function connectable(address: string): Promise<Connection> {
  return Connection.connect({ address, connectTimeout: 2_000 });
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ''}`);
    await sleep(250);
  }
}

/** Registers the namespace (retention in days) unless it exists. */
async function ensureNamespace(connection: Connection, namespace: string, retentionDays: number): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return;
  } catch {
    // not there yet
  }
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(retentionDays * 86_400_000),
      description: 'Rejets factures Tiers Payant Simple',
    });
  } catch (error) {
    if (!/already (exists|registered)/i.test((error as Error).message)) throw error;
  }
}

/** Brings the topology up; on failure, stops what it started. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? console.error;
  const { config } = options;
  const { tools } = config;
  const adminUrl = options.adminUrl ?? config.cluster.temporalDatabaseUrl;
  const temporalDb = options.temporalDb ?? 'temporal';
  const names = { default: temporalDb, visibility: `${temporalDb}_visibility` };
  const workers = options.workers ?? 2;
  const apis = options.apis ?? 2;
  const logs = join(options.dataDir, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });

  const haproxyBin = findOnPath('haproxy', `${tools.searchPath}:/usr/sbin:/usr/local/sbin`);
  if (!haproxyBin) throw new Error('HAProxy is not installed (Debian: apt-get install -y haproxy)');
  const bins: TemporalServerBinaries = await ensureTemporalServer(tools, log);

  log(`PostgreSQL ${new URL(adminUrl).host}: Temporal's databases ${names.default}, ${names.visibility}`);
  await migrateTemporalDatabases(bins.sql, adminUrl, names, log, tools.environment);
  let databaseUrl = options.databaseUrl;
  let productDb: string | null = null;
  if (!databaseUrl) {
    productDb = `tprejects_${temporalDb.replace(/^temporal_?/, '') || 'cluster'}`;
    await ensureDatabase(adminUrl, productDb);
    databaseUrl = withDatabase(adminUrl, productDb);
  }

  const started: Service[] = [];
  const stopAll = async () => {
    for (const service of [...started].reverse()) await service.stop().catch(() => undefined);
  };

  try {
    // Temporal nodes: each runs frontend, history, matching and worker, with ports of its own.
    const lbPort = await freePort(options.temporalPort ?? 0).catch((error: Error) => {
      throw new Error(`the Temporal load balancer's port ${options.temporalPort} is taken (${error.message}): set CLUSTER_TEMPORAL_PORT`);
    });
    const lbStatsPort = await freePort();
    const temporalAddress = `127.0.0.1:${lbPort}`;
    const pg = new URL(adminUrl);
    const nodes: TemporalNode[] = [];
    for (const name of ['a', 'b']) {
      const ports: Record<string, number> = {};
      for (const key of ['FRONTEND_GRPC_PORT', 'FRONTEND_HTTP_PORT', 'FRONTEND_MEMBERSHIP_PORT', 'HISTORY_GRPC_PORT',
        'HISTORY_MEMBERSHIP_PORT', 'MATCHING_GRPC_PORT', 'MATCHING_MEMBERSHIP_PORT', 'WORKER_GRPC_PORT',
        'WORKER_MEMBERSHIP_PORT', 'PROMETHEUS_PORT']) ports[key] = await lowFreePort();
      const frontend = `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`;
      const metrics = `127.0.0.1:${ports.PROMETHEUS_PORT}`;
      const env: NodeJS.ProcessEnv = {
        PATH: tools.searchPath || undefined,
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
        PROMETHEUS_ENDPOINT: metrics,
        POSTGRES_SEEDS: pg.hostname, DB_PORT: pg.port || '5432',
        POSTGRES_USER: decodeURIComponent(pg.username || 'postgres'), POSTGRES_PWD: decodeURIComponent(pg.password),
        DBNAME: names.default, VISIBILITY_DBNAME: names.visibility,
        NUM_HISTORY_SHARDS: String(options.historyShards ?? 8),
        BIND_ON_IP: '127.0.0.1', TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
        TEMPORAL_FRONTEND_ADDRESS: temporalAddress,
        DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG,
        // Each of a node's four services keeps its own pools: 4 × (4 + 2) connections a node at most, so that two
        // nodes, the workers and the APIs stay well within PostgreSQL's default max_connections (100).
        SQL_MAX_CONNS: String(config.cluster.sqlMaxConns),
        SQL_MAX_IDLE_CONNS: String(config.cluster.sqlMaxIdleConns),
        SQL_VIS_MAX_CONNS: String(config.cluster.sqlVisMaxConns),
        LOG_LEVEL: config.cluster.temporalLogLevel,
      };
      const service = new Service(`temporal-${name}`, bins.server, ['--allow-no-auth', '--config-file', SERVER_CONFIG, 'start'], env,
        join(logs, `temporal-${name}.log`), async () => {
          await until(`node ${name}'s frontend on ${frontend}`, async () => {
            if (!service.running) throw new Error('exited');
            const connection = await connectable(frontend);
            try {
              await connection.workflowService.getSystemInfo({});
              return true;
            } finally {
              await connection.close();
            }
          }, 90_000);
        });
      nodes.push({ name, frontend, metrics, service });
    }
    // Both at once: the first node waits for its peers to join (maxJoinDuration). On a fresh database both may write
    // the cluster's metadata at the same moment, and the second insert stops its node (duplicate key on
    // cluster_metadata_info): that node is started again, and finds the row written.
    log(`Starting two Temporal server nodes (v${TEMPORAL_SERVER_VERSION})…`);
    started.push(...nodes.map((n) => n.service));
    await Promise.all(nodes.map(async (n) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await n.service.start();
        } catch (error) {
          if (attempt >= 3 || !/cluster_metadata_info_pkey|failed to initialize current cluster metadata/.test(n.service.output())) throw error;
          log(`  node ${n.name}: the cluster's metadata was written by the other node at the same moment; starting it again`);
        }
      }
    }));

    const haproxy = new Service('haproxy', haproxyBin, ['-db', '-f', HAPROXY_CONFIG], {
      PATH: tools.searchPath || undefined,
      TEMPORAL_LB_BIND: temporalAddress,
      TEMPORAL_LB_STATS_BIND: `127.0.0.1:${lbStatsPort}`,
      TEMPORAL_NODE_A: nodes[0]!.frontend,
      TEMPORAL_NODE_B: nodes[1]!.frontend,
    }, join(logs, 'haproxy.log'), async (service) => {
      await until('HAProxy', async () => {
        if (!service.running) throw new Error('exited');
        const response = await fetch(`http://127.0.0.1:${lbStatsPort}/stats;csv`);
        return response.ok && (await response.text()).includes('node-b');
      }, 20_000);
    });
    started.push(haproxy);
    await haproxy.start();

    // The namespace and the invoice workflows' search attributes, seen by both nodes before anything uses them.
    const namespace = config.temporalNamespace;
    const admin = await connectable(temporalAddress);
    try {
      await ensureNamespace(admin, namespace, config.cluster.temporalRetentionDays);
      await until('the namespace', async () => (await admin.workflowService.describeNamespace({ namespace }), true), 60_000);
      await until('the search attributes', async () => (await ensureSearchAttributes(admin, namespace), true), 60_000);
    } finally {
      await admin.close();
    }
    for (const node of nodes) {
      const connection = await connectable(node.frontend);
      try {
        await until(`node ${node.name} to see the namespace and search attributes`, async () => {
          await connection.workflowService.describeNamespace({ namespace });
          const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
          return SEARCH_ATTRIBUTE_KEYS.every((k) => customAttributes && k.name in customAttributes);
        }, 60_000);
      } finally {
        await connection.close();
      }
    }

    // Shared by every worker and API replica: one session secret, one payload keyring.
    const apiPorts = options.apiPorts ?? [];
    for (let i = apiPorts.length; i < apis; i++) apiPorts.push(await freePort());
    const uiPort = await freePort();
    const apiOrigins = apiPorts.map((p) => `http://127.0.0.1:${p}`);
    const shared: NodeJS.ProcessEnv = {
      ...tools.environment,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: namespace,
      // PAYLOAD_KEYS or PAYLOAD_KEYS_FILE when given, else a keyring generated once under the data folder (0600) —
      // kept across restarts: a lost key makes every history written with it unreadable.
      ...(config.payloadKeys.keys || config.payloadKeys.file
        ? {}
        : (loadKeyring({ dataDir: options.dataDir }), { PAYLOAD_KEYS_FILE: join(options.dataDir, PAYLOAD_KEYS_FILE) })),
      PAYLOAD_KEYS_REQUIRED: 'true',
      SESSION_SECRET: loadSessionSecret({ secret: config.sessionSecret, dataDir: options.dataDir }),
      DATABASE_POOL_MAX: String(config.database.poolMax ?? 5),
      DATA_DIR: options.dataDir,
      ...options.env,
    };

    // The UI server, behind the API's /temporal/ (the API checks the console session).
    let ui: Service | null = null;
    let uiUrl: string | null = null;
    if (options.ui !== false) {
      uiUrl = `http://127.0.0.1:${uiPort}/temporal`;
      ui = new Service('temporal-ui', bins.ui, ['--root', UI_CONFIG_ROOT, '--config', 'ui', '--env', 'temporal-ui', 'start'], {
        PATH: tools.searchPath || undefined,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_UI_PORT: String(uiPort),
        TEMPORAL_UI_PUBLIC_PATH: '/temporal',
        TEMPORAL_CODEC_ENDPOINT: `${apiOrigins[0]}/codec`,
        TEMPORAL_CORS_ORIGINS: apiOrigins.join(','),
      }, join(logs, 'temporal-ui.log'), async (service) => {
        await until('the Temporal UI', async () => {
          if (!service.running) throw new Error('exited');
          return (await fetch(`${uiUrl}/`)).status < 500;
        }, 30_000);
      });
      started.push(ui);
      await ui.start();
    }

    const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const workerServices: (Service & { metricsUrl: string })[] = [];
    for (let i = 0; i < workers; i++) {
      const metricsPort = await freePort();
      const service = Object.assign(new Service(`worker-${i + 1}`, tsx, [join(REPO_ROOT, 'worker.ts')],
        { ...shared, WORKER_METRICS_PORT: String(metricsPort) }, join(logs, `worker-${i + 1}.log`),
        (s) => s.waitForOutput(/worker: polling task queue/, 120_000)), { metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` });
      workerServices.push(service);
    }
    log(`Starting ${workers} workers…`);
    started.push(...workerServices);
    // One after the other: the first applies the product's migrations, and each bundles the workflows (CPU-bound).
    for (const service of workerServices) await service.start();

    const apiServices: (Service & { url: string })[] = [];
    for (let i = 0; i < apis; i++) {
      const service = Object.assign(new Service(`api-${i + 1}`, tsx, [join(REPO_ROOT, 'api', 'server.ts')], {
        ...shared, PORT: String(apiPorts[i]), HOST: '127.0.0.1', PUBLIC_URL: apiOrigins[i],
        ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl } : {}),
      }, join(logs, `api-${i + 1}.log`), (s) => s.waitForOutput(/api: listening on/, 60_000)), { url: apiOrigins[i]! });
      apiServices.push(service);
    }
    log(`Starting ${apis} API replicas…`);
    started.push(...apiServices);
    await Promise.all(apiServices.map((s) => s.start()));

    return {
      temporalAddress, nodes, haproxy, haproxyStats: `http://127.0.0.1:${lbStatsPort}/stats`, ui, uiUrl,
      workers: workerServices, apis: apiServices, databaseUrl, temporalDatabases: [names.default, names.visibility], env: shared,
      stop: stopAll,
      async dropDatabases() {
        const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
        try {
          for (const db of [names.default, names.visibility, ...(productDb ? [productDb] : [])]) {
            await admin.unsafe(`drop database if exists "${db}" with (force)`);
          }
        } finally {
          await admin.end();
        }
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
