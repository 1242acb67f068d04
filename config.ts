// The product's configuration: every environment variable it reads, described once as a TypeBox schema over the
// environment (README « Configuration » lists them with their defaults). `loadConfig(env)` checks them all at start
// (one clear error per variable, all reported at once: name, value, what is expected) and returns one typed `Config`:
// durations and sizes parsed, lists split, booleans read. It is the one place that reads `process.env`; everything
// else receives the Config, or the part of it it needs.
//
// Left where they are: the test and benchmark knobs (TEST_*, CLUSTER_TEST_*, BENCH_*, START_DELAY_MS,
// LOOKUP_DELAY_MS, AFTER_TASK_OPENED_MS, CHROMIUM_PATH, CI, DOCKER_CONFIG, COMPOSE_VALIDATOR_REQUIRED), read by the
// test and bench files that use them.

import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatRegistry, Type, type StaticDecode, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** An environment: `process.env`, or an object standing for one (tests, child processes). */
export type Environment = Readonly<Record<string, string | undefined>>;

const REPO_ROOT = fileURLToPath(new URL('.', import.meta.url));

/** The embedded default's data folder: `<repo>/.data`. */
export const DEFAULT_DATA_DIR = join(REPO_ROOT, '.data');
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_MAX_CACHED_WORKFLOWS = 400;
export const DEFAULT_WORKER_METRICS_HOST = '127.0.0.1';
/** Sender of every e-mail (PS replies and escalations). */
export const DEFAULT_MAIL_FROM = 'Service Prestations Tiers-Payant <tiers-payant@almerys.example>';
/** Where escalations of overdue manager tasks go. */
export const DEFAULT_MANAGERS_EMAIL = 'gestionnaires@almerys.example';
export const DEFAULT_OPERATOR_NAME = 'traitement automatique';
export const DEFAULT_WORKER_CONNECT_TIMEOUT_MS = 60_000;

/** pino's levels, most verbose first; `silent` writes nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** `48h`, `30m`, `2s`, `500ms`, `3650d` or a number of milliseconds. */
export function parseDuration(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!m) throw new Error(`not a duration: « ${value} » (e.g. 48h, 30m, 2s, 500ms)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return Math.round(Number(m[1]) * unit);
}

/** DATA_DIR (absolute, or relative to the working directory), else `<repo>/.data`. */
export function dataDirOf(env: Environment): string {
  const dir = env.DATA_DIR?.trim();
  return dir ? (isAbsolute(dir) ? dir : resolve(dir)) : DEFAULT_DATA_DIR;
}

// ---------------------------------------------------------------------------------------------------------------
// The kinds of values, each a string schema (what the environment holds) decoded into what the code uses. `expected`
// is what an error says when a value is not of its kind.

const splitList = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s !== '');
const isUrl = (value: string) => {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
};
const isInteger = (value: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  /^\d+$/.test(value) && Number.isSafeInteger(Number(value)) && Number(value) >= min && Number(value) <= max;

function format(name: string, check: (value: string) => boolean): string {
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check);
  return name;
}

const kind = <T>(options: { format?: string; pattern?: string; expected: string }, decode: (value: string) => T) =>
  Type.Optional(Type.Transform(Type.String({ ...options, minLength: 1 })).Decode(decode).Encode((value) => String(value)));

const text = (expected = 'a text') => kind({ expected }, (value) => value);
const integer = (min: number, max?: number) => kind({
  format: format(`env-integer-${min}-${max ?? 'max'}`, (v) => isInteger(v, min, max)),
  expected: max === undefined ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`,
}, Number);
const port = (min = 0) => kind({ format: format(`env-port-${min}`, (v) => isInteger(v, min, 65535)), expected: `a port number (${min} to 65535)` }, Number);
const duration = () => kind({
  format: format('env-duration', (v) => /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.test(v)),
  expected: 'a duration: a number of milliseconds, or followed by ms, s, m, h or d (e.g. 48h, 30m, 2s, 500ms)',
}, parseDuration);
const seconds = () => kind({
  format: format('env-seconds', (v) => /^\d+(\.\d+)?$/.test(v)), expected: 'a number of seconds (e.g. 2 or 0.5)',
}, Number);
const boolean = () => kind({ pattern: '^(true|false)$', expected: 'true or false' }, (v) => v === 'true');
const url = (example: string) => kind({ format: format('env-url', isUrl), expected: `a URL (e.g. ${example})` }, (v) => v);
const origins = () => kind({
  format: format('env-origins', (v) => splitList(v).every(isUrl)),
  expected: 'origins separated by commas (e.g. http://127.0.0.1:8233)',
}, (v) => splitList(v).map((o) => new URL(o).origin));
const ports = () => kind({
  format: format('env-ports', (v) => splitList(v).length > 0 && splitList(v).every((p) => isInteger(p, 1, 65535))),
  expected: 'port numbers separated by commas (e.g. 3000,3001)',
}, (v) => splitList(v).map(Number));
const addresses = () => kind({
  format: format('env-addresses', (v) => splitList(v).every((a) => a.includes('@'))),
  expected: 'e-mail addresses separated by commas (e.g. a@example.org, b@example.org)',
}, splitList);

/** Every variable the product reads, by name. */
export const EnvironmentSchema = Type.Object({
  // Every process
  LOG_LEVEL: kind({ pattern: `^(${LOG_LEVELS.join('|')})$`, expected: `one of ${LOG_LEVELS.join(', ')}` }, (v) => v as LogLevel),
  // HTTP API and console
  PORT: port(),
  HOST: text('a host name or address to listen on'),
  PUBLIC_URL: url('https://rejets.example.org'),
  SECURE_COOKIES: boolean(),
  SESSION_SECRET: text('a secret of at least 32 characters'),
  AUTH_FAILURES_MAX: integer(1),
  AUTH_FAILURES_WINDOW: integer(1),
  METRICS_TOKEN: text(),
  TEMPORAL_UI_URL: url('http://127.0.0.1:8233'),
  TEMPORAL_UI_ORIGIN: origins(),
  OPERATOR_NAME: text(),
  TRAME_MAX_UPLOAD_BYTES: integer(1),
  TRAME_MAX_UNCOMPRESSED_BYTES: integer(1),
  TRAME_MAX_ROWS: integer(1),
  TRAME_MAX_CONCURRENT_IMPORTS: integer(1),
  // Data
  DATA_DIR: text('a folder'),
  DATABASE_URL: url('postgres://user@host:5432/db'),
  DATABASE_POOL_MAX: integer(1),
  PGCONNECT_TIMEOUT: seconds(),
  // Temporal
  TEMPORAL_ADDRESS: kind({ pattern: '^[^\\s]+:\\d+$', expected: 'host:port (e.g. 127.0.0.1:7233)' }, (v) => v),
  TEMPORAL_NAMESPACE: text(),
  TASK_QUEUE: text(),
  TEMPORAL_PORT: port(1),
  TEMPORAL_UI_PORT: port(1),
  // Worker
  WORKER_CONNECT_TIMEOUT: duration(),
  WORKER_MAX_CACHED_WORKFLOWS: integer(2),
  WORKER_WORKFLOW_THREADS: integer(1, 16),
  WORKER_MAX_LOCAL_ACTIVITIES: integer(1),
  WORKER_MAX_WORKFLOW_TASKS: integer(2),
  WORKER_METRICS_PORT: port(),
  WORKER_METRICS_HOST: text('a host name or address to listen on'),
  TASK_SLA: duration(),
  ARCHIVE_RETENTION: duration(),
  ARCHIVE_TASK_QUEUE: text(),
  // Payload encryption
  PAYLOAD_KEYS: text('id:base64key[,id:base64key…]'),
  PAYLOAD_KEYS_FILE: text('a file'),
  PAYLOAD_KEYS_REQUIRED: boolean(),
  // E-mail
  MAIL_FROM: text(),
  MANAGERS_EMAIL: addresses(),
  RESEND_API_KEY: text(),
  ADMINS_EMAIL: addresses(),
  // Webhooks
  WEBHOOK_TIMEOUT: duration(),
  WEBHOOK_RETRY_INITIAL: duration(),
  WEBHOOK_RETRY_MAX_INTERVAL: duration(),
  WEBHOOK_RETRY_FOR: duration(),
  WEBHOOK_DISABLE_AFTER_FAILURES: integer(1),
  WEBHOOK_DISABLE_AFTER: duration(),
  WEBHOOK_SWEEP_INTERVAL: duration(),
  RESEND_BASE_URL: url('https://api.resend.com'),
  // Tools (npm run setup, npm start, npm run cluster, the tests)
  TEMPORAL_CLI: text('a path to the temporal binary'),
  TEMPORAL_SERVER_DIR: text('a folder holding bin/server, bin/sql and ui/server'),
  PATH: text(),
  GOROOT: text('a folder'),
  // npm run cluster
  TEMPORAL_DATABASE_URL: url('postgres://postgres@127.0.0.1:5432/postgres'),
  TEMPORAL_DB: kind({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', expected: 'a database name (letters, digits, _)' }, (v) => v),
  TEMPORAL_RETENTION_DAYS: integer(1),
  TEMPORAL_LOG_LEVEL: kind({ pattern: '^(debug|info|warn|error|fatal)$', expected: 'debug, info, warn, error or fatal' }, (v) => v),
  SQL_MAX_CONNS: integer(1),
  SQL_MAX_IDLE_CONNS: integer(1),
  SQL_VIS_MAX_CONNS: integer(1),
  CLUSTER_API_PORTS: ports(),
  CLUSTER_TEMPORAL_PORT: integer(1, 65535),
  CLUSTER_WORKERS: integer(1),
  CLUSTER_APIS: integer(1),
  // npm run submit
  API_URL: url('http://127.0.0.1:3000'),
  API_KEY: text(),
});

type Variables = StaticDecode<typeof EnvironmentSchema>;
export type VariableName = keyof Variables;
export const VARIABLES = Object.keys(EnvironmentSchema.properties) as VariableName[];
/** Taken as they are (a secret's spaces are part of it); every other value is trimmed. */
const UNTRIMMED = new Set<string>(['SESSION_SECRET', 'PAYLOAD_KEYS']);
/**
 * A value as an error repeats it: a URL's password hidden (`postgres://user:•••@host/db`). Secrets (SESSION_SECRET,
 * PAYLOAD_KEYS, the API keys) are texts the schema takes as they are: no error ever repeats them.
 */
function shown(value: string): string {
  return value.replace(/(\/\/[^/:@\s]*:)[^/\s]*@/g, '$1•••@');
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Bounds on a Trame SSTT upload (POST /api/trames), so that no file, and no number of them at once, can exhaust the
 * server: the upload's size (TRAME_MAX_UPLOAD_BYTES), what its parts inflate to, counted as they are inflated
 * (TRAME_MAX_UNCOMPRESSED_BYTES), its rows (TRAME_MAX_ROWS) and the imports running at once
 * (TRAME_MAX_CONCURRENT_IMPORTS; others are answered 503 with Retry-After).
 */
export interface TrameLimits {
  maxUploadBytes: number;
  maxUncompressedBytes: number;
  maxRows: number;
  maxConcurrentImports: number;
}

/**
 * A 20 000-row Trame as written here is a 3.6 MB file whose parts inflate to 33 MB (29 MB once re-saved by Excel):
 * the defaults leave room for 50 000 rows and long replies.
 */
export const DEFAULT_TRAME_LIMITS: TrameLimits = {
  maxUploadBytes: 20 * 1024 * 1024,
  maxUncompressedBytes: 128 * 1024 * 1024,
  maxRows: 50_000,
  maxConcurrentImports: 2,
};

export interface MailConfig {
  from: string;
  /** MANAGERS_EMAIL, split on commas. */
  managers: string[];
  /** ADMINS_EMAIL (unset: MANAGERS_EMAIL): told when a webhook endpoint is disabled. */
  admins: string[];
  /** Set: e-mails go through Resend; unset: they are written under `outboxDir`. */
  resendApiKey: string | undefined;
  resendBaseUrl: string | undefined;
  /** `<DATA_DIR>/outbox`. */
  outboxDir: string;
}

/**
 * Webhook deliveries (activities/webhooks.ts): the receiver's time to answer, the retries' backoff (doubling from
 * `initialIntervalMs` up to `maxIntervalMs`, for `retryForMs` in all), when an endpoint that keeps failing is
 * disabled (that many failed attempts in a row, the first at least `disableAfterMs` ago), how often the worker's
 * dispatcher looks for events it was not told about.
 */
export interface WebhookConfig {
  timeoutMs: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
  retryForMs: number;
  disableAfterFailures: number;
  disableAfterMs: number;
  sweepMs: number;
}

export const DEFAULT_WEBHOOK_CONFIG: WebhookConfig = {
  timeoutMs: 10_000,
  initialIntervalMs: 5_000,
  maxIntervalMs: 3_600_000,
  retryForMs: 24 * 3_600_000,
  disableAfterFailures: 20,
  disableAfterMs: 12 * 3_600_000,
  sweepMs: 5_000,
};

export interface WorkerMetricsConfig {
  port: number;
  host: string;
  /** METRICS_TOKEN: required as `Authorization: Bearer <token>` when set. */
  token?: string;
}

/** How a process opens its database (db/client.ts openDatabase's options). */
export interface DatabaseConfig {
  /** PGlite's folder when DATABASE_URL is unset: `<DATA_DIR>/pglite`. */
  pgliteDir: string;
  /** PGCONNECT_TIMEOUT (seconds; unset or 0: the default, 2). */
  connectTimeoutSeconds?: number;
  /** DATABASE_POOL_MAX (unset: postgres.js's default, 10). */
  poolMax?: number;
}

/** Where the Temporal CLI and server come from (scripts/temporal-cli.ts, scripts/temporal-server.ts). */
export interface ToolsConfig {
  /** TEMPORAL_CLI. */
  temporalCli?: string;
  /** PATH, searched for `temporal`, `go` and `haproxy`. */
  searchPath: string;
  /** Go installations tried when `go` is not on the path: GOROOT, /usr/local/go. */
  goRoots: (string | undefined)[];
  /** TEMPORAL_SERVER_DIR (unset: `.tools/temporal-server-<version>`). */
  temporalServerDir?: string;
  /** The environment child processes (go install) are started with. */
  environment: Environment;
}

/** `npm run cluster` (scripts/cluster-start.ts, scripts/cluster.ts). */
export interface ClusterConfig {
  /** DATA_DIR, else `<repo>/.data/cluster`. */
  dataDir: string;
  /** TEMPORAL_DATABASE_URL: admin connection to the PostgreSQL holding Temporal's databases. */
  temporalDatabaseUrl: string;
  /** TEMPORAL_DB: `<temporalDb>` and `<temporalDb>_visibility`. */
  temporalDb: string;
  temporalRetentionDays: number;
  temporalLogLevel: string;
  /** Each Temporal service's pools: SQL_MAX_CONNS, SQL_MAX_IDLE_CONNS, SQL_VIS_MAX_CONNS. */
  sqlMaxConns: number;
  sqlMaxIdleConns: number;
  sqlVisMaxConns: number;
  apiPorts: number[];
  temporalPort: number;
  workers: number;
  apis: number;
}

/** Worker options set from the environment; the SDK's defaults for what is not set. */
export interface WorkerTuning {
  workflowThreadPoolSize?: number;
  maxConcurrentLocalActivityExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
}

export interface Config {
  /** LOG_LEVEL: what the processes' loggers write (logging.ts), from this level up. */
  logLevel: LogLevel;
  /** HTTP port of the API and console. */
  port: number;
  host: string;
  /** DATA_DIR, resolved (dataDirOf): PGlite, the Temporal dev server's state, e-mail files, keys, session secret. */
  dataDir: string;
  /** PostgreSQL URL; unset: embedded PGlite under `<dataDir>/pglite`. */
  databaseUrl: string | undefined;
  database: DatabaseConfig;
  /** Temporal frontend `host:port`; unset: the embedded dev server on 127.0.0.1:7233. */
  temporalAddress: string | undefined;
  temporalNamespace: string;
  taskQueue: string;
  /** The embedded dev server's ports (npm start, npm run temporal:dev): TEMPORAL_PORT, TEMPORAL_UI_PORT. */
  temporalPort: number;
  temporalUiPort: number;
  /**
   * Workflows a worker keeps in memory between their tasks (WORKER_MAX_CACHED_WORKFLOWS, default 400): its memory's
   * bound. A workflow evicted (waiting days for its manager, or for its batch's e-mail) is replayed from its history
   * when its next task comes, a few milliseconds for the claims' short histories.
   */
  maxCachedWorkflows: number;
  /**
   * The worker's other sizes, each the SDK's default when unset (bench/README.md « Sizing the worker »):
   * WORKER_WORKFLOW_THREADS (workflow threads, 1), WORKER_MAX_LOCAL_ACTIVITIES (local activities at once, 100),
   * WORKER_MAX_WORKFLOW_TASKS (workflow tasks at once, 40).
   */
  workerTuning: WorkerTuning;
  /** WORKER_CONNECT_TIMEOUT: how long a starting worker waits for Temporal before giving up (exit 1). */
  workerConnectTimeoutMs: number;
  /** WORKER_METRICS_PORT (unset: null, no endpoint), WORKER_METRICS_HOST, METRICS_TOKEN. */
  workerMetrics: WorkerMetricsConfig | null;
  /** TASK_SLA (unset: the activities' default, 48 h: activities/index.ts DEFAULT_TASK_SLA_MS). */
  taskSlaMs: number | undefined;
  /** ARCHIVE_RETENTION (unset: activities/archive.ts DEFAULT_ARCHIVE_RETENTION_MS, 3650 days). */
  archiveRetentionMs: number | undefined;
  /** ARCHIVE_TASK_QUEUE: archive only this task queue's workflows (unset: the whole namespace's). */
  archiveTaskQueue: string | undefined;
  /** PAYLOAD_KEYS / PAYLOAD_KEYS_FILE (unset: a keyring generated in `<dataDir>/payload-keys`, unless required). */
  payloadKeys: { keys: string | undefined; file: string | undefined; required: boolean };
  mail: MailConfig;
  /** WEBHOOK_*. */
  webhooks: WebhookConfig;
  /** SESSION_SECRET (unset: generated in `<dataDir>/session-secret`). */
  sessionSecret: string | undefined;
  /** PUBLIC_URL. */
  publicUrl: string | undefined;
  secureCookies: boolean;
  temporalUiUrl: string | undefined;
  /** TEMPORAL_UI_ORIGIN, each an origin. */
  temporalUiOrigins: string[];
  /** AUTH_FAILURES_MAX failed authentications per client within AUTH_FAILURES_WINDOW seconds. */
  authFailureLimit: { max: number; windowMs: number };
  metricsToken: string | undefined;
  operatorName: string;
  trameLimits: TrameLimits;
  tools: ToolsConfig;
  cluster: ClusterConfig;
  /** npm run submit: API_URL (without its trailing slash), API_KEY. */
  submit: { apiUrl: string; apiKey: string | undefined };
}

/** Every variable that is wrong, each with its value (a URL's password hidden) and what is expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: { variable: string; value: string; expected: string }[]) {
    super(`invalid configuration (README « Configuration »):\n${problems.map((p) => `  ${p.variable}=« ${p.value} »: expected ${p.expected}`).join('\n')}`);
  }
}

/** The environment's variables as the schema sees them: known ones only, trimmed, an empty one as unset. */
function variablesOf(env: Environment): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of VARIABLES) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    values[name] = UNTRIMMED.has(name) ? raw : raw.trim();
  }
  return values;
}

/** Checks every variable of `env` (all errors at once: ConfigError) and returns the configuration. */
export function loadConfig(env: Environment = process.env): Config {
  const values = variablesOf(env);
  const problems = new Map<string, { variable: string; value: string; expected: string }>();
  for (const error of Value.Errors(EnvironmentSchema, values)) {
    const variable = error.path.replace(/^\//, '');
    if (problems.has(variable)) continue;
    problems.set(variable, { variable, value: shown(String(error.value)), expected: (error.schema as TSchema & { expected?: string }).expected ?? error.message });
  }
  if (problems.size > 0) throw new ConfigError([...problems.values()]);
  const v: Variables = Value.Decode(EnvironmentSchema, values);

  const dataDir = dataDirOf(values);
  const temporalPort = v.TEMPORAL_PORT ?? 7233;
  return {
    logLevel: v.LOG_LEVEL ?? DEFAULT_LOG_LEVEL,
    port: v.PORT ?? 3000,
    host: v.HOST ?? '127.0.0.1',
    dataDir,
    databaseUrl: v.DATABASE_URL,
    database: {
      pgliteDir: join(dataDir, 'pglite'),
      ...(v.PGCONNECT_TIMEOUT ? { connectTimeoutSeconds: v.PGCONNECT_TIMEOUT } : {}),
      ...(v.DATABASE_POOL_MAX ? { poolMax: v.DATABASE_POOL_MAX } : {}),
    },
    temporalAddress: v.TEMPORAL_ADDRESS,
    temporalNamespace: v.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: v.TASK_QUEUE ?? 'tp-rejects',
    temporalPort,
    temporalUiPort: v.TEMPORAL_UI_PORT ?? temporalPort + 1000,
    maxCachedWorkflows: v.WORKER_MAX_CACHED_WORKFLOWS ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    workerTuning: {
      ...(v.WORKER_WORKFLOW_THREADS ? { workflowThreadPoolSize: v.WORKER_WORKFLOW_THREADS } : {}),
      ...(v.WORKER_MAX_LOCAL_ACTIVITIES ? { maxConcurrentLocalActivityExecutions: v.WORKER_MAX_LOCAL_ACTIVITIES } : {}),
      ...(v.WORKER_MAX_WORKFLOW_TASKS ? { maxConcurrentWorkflowTaskExecutions: v.WORKER_MAX_WORKFLOW_TASKS } : {}),
    },
    workerConnectTimeoutMs: v.WORKER_CONNECT_TIMEOUT ?? DEFAULT_WORKER_CONNECT_TIMEOUT_MS,
    workerMetrics: v.WORKER_METRICS_PORT === undefined ? null : {
      port: v.WORKER_METRICS_PORT, host: v.WORKER_METRICS_HOST ?? DEFAULT_WORKER_METRICS_HOST, token: v.METRICS_TOKEN,
    },
    taskSlaMs: v.TASK_SLA,
    archiveRetentionMs: v.ARCHIVE_RETENTION,
    archiveTaskQueue: v.ARCHIVE_TASK_QUEUE,
    payloadKeys: { keys: v.PAYLOAD_KEYS, file: v.PAYLOAD_KEYS_FILE, required: v.PAYLOAD_KEYS_REQUIRED ?? false },
    mail: {
      from: v.MAIL_FROM ?? DEFAULT_MAIL_FROM,
      managers: v.MANAGERS_EMAIL?.length ? v.MANAGERS_EMAIL : [DEFAULT_MANAGERS_EMAIL],
      admins: v.ADMINS_EMAIL?.length ? v.ADMINS_EMAIL : v.MANAGERS_EMAIL?.length ? v.MANAGERS_EMAIL : [DEFAULT_MANAGERS_EMAIL],
      resendApiKey: v.RESEND_API_KEY,
      resendBaseUrl: v.RESEND_BASE_URL,
      outboxDir: join(dataDir, 'outbox'),
    },
    webhooks: {
      timeoutMs: v.WEBHOOK_TIMEOUT ?? DEFAULT_WEBHOOK_CONFIG.timeoutMs,
      initialIntervalMs: v.WEBHOOK_RETRY_INITIAL ?? DEFAULT_WEBHOOK_CONFIG.initialIntervalMs,
      maxIntervalMs: v.WEBHOOK_RETRY_MAX_INTERVAL ?? DEFAULT_WEBHOOK_CONFIG.maxIntervalMs,
      retryForMs: v.WEBHOOK_RETRY_FOR ?? DEFAULT_WEBHOOK_CONFIG.retryForMs,
      disableAfterFailures: v.WEBHOOK_DISABLE_AFTER_FAILURES ?? DEFAULT_WEBHOOK_CONFIG.disableAfterFailures,
      disableAfterMs: v.WEBHOOK_DISABLE_AFTER ?? DEFAULT_WEBHOOK_CONFIG.disableAfterMs,
      sweepMs: v.WEBHOOK_SWEEP_INTERVAL ?? DEFAULT_WEBHOOK_CONFIG.sweepMs,
    },
    sessionSecret: v.SESSION_SECRET,
    publicUrl: v.PUBLIC_URL,
    secureCookies: v.SECURE_COOKIES ?? false,
    temporalUiUrl: v.TEMPORAL_UI_URL,
    temporalUiOrigins: v.TEMPORAL_UI_ORIGIN ?? [],
    authFailureLimit: { max: v.AUTH_FAILURES_MAX ?? 20, windowMs: (v.AUTH_FAILURES_WINDOW ?? 60) * 1000 },
    metricsToken: v.METRICS_TOKEN,
    operatorName: v.OPERATOR_NAME ?? DEFAULT_OPERATOR_NAME,
    trameLimits: {
      maxUploadBytes: v.TRAME_MAX_UPLOAD_BYTES ?? DEFAULT_TRAME_LIMITS.maxUploadBytes,
      maxUncompressedBytes: v.TRAME_MAX_UNCOMPRESSED_BYTES ?? DEFAULT_TRAME_LIMITS.maxUncompressedBytes,
      maxRows: v.TRAME_MAX_ROWS ?? DEFAULT_TRAME_LIMITS.maxRows,
      maxConcurrentImports: v.TRAME_MAX_CONCURRENT_IMPORTS ?? DEFAULT_TRAME_LIMITS.maxConcurrentImports,
    },
    tools: {
      temporalCli: v.TEMPORAL_CLI,
      searchPath: v.PATH ?? '',
      goRoots: [v.GOROOT, '/usr/local/go'],
      temporalServerDir: v.TEMPORAL_SERVER_DIR,
      environment: env,
    },
    cluster: {
      dataDir: values.DATA_DIR ? dataDir : join(DEFAULT_DATA_DIR, 'cluster'),
      temporalDatabaseUrl: v.TEMPORAL_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      temporalDb: v.TEMPORAL_DB ?? 'temporal',
      temporalRetentionDays: v.TEMPORAL_RETENTION_DAYS ?? 30,
      temporalLogLevel: v.TEMPORAL_LOG_LEVEL ?? 'warn',
      sqlMaxConns: v.SQL_MAX_CONNS ?? 4,
      sqlMaxIdleConns: v.SQL_MAX_IDLE_CONNS ?? 4,
      sqlVisMaxConns: v.SQL_VIS_MAX_CONNS ?? 2,
      apiPorts: v.CLUSTER_API_PORTS ?? [3000, 3001],
      temporalPort: v.CLUSTER_TEMPORAL_PORT ?? 7233,
      workers: v.CLUSTER_WORKERS ?? 2,
      apis: v.CLUSTER_APIS ?? 2,
    },
    submit: { apiUrl: (v.API_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, ''), apiKey: v.API_KEY },
  };
}

/** The Trame upload bounds of an environment (the API's default when its dependencies give none). */
export function loadTrameLimits(env: Environment = process.env): TrameLimits {
  return loadConfig(env).trameLimits;
}
