import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError, DEFAULT_DATA_DIR, DEFAULT_MAIL_FROM, DEFAULT_MANAGERS_EMAIL, DEFAULT_TRAME_LIMITS, dataDirOf, loadConfig, parseDuration,
} from './config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('no error');
};

describe('loadConfig', () => {
  it('sizes the worker from the environment, leaving the SDK its defaults for what is unset', () => {
    expect(loadConfig({ WORKER_WORKFLOW_THREADS: '2', WORKER_MAX_LOCAL_ACTIVITIES: '20', WORKER_MAX_WORKFLOW_TASKS: '80' }).workerTuning).toEqual({
      workflowThreadPoolSize: 2, maxConcurrentLocalActivityExecutions: 20, maxConcurrentWorkflowTaskExecutions: 80,
    });
    expect(loadConfig({ WORKER_MAX_LOCAL_ACTIVITIES: '8' }).workerTuning).toEqual({ maxConcurrentLocalActivityExecutions: 8 });
  });

  it('the documented defaults, from an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      logLevel: 'info', port: 3000, host: '127.0.0.1', dataDir: DEFAULT_DATA_DIR, databaseUrl: undefined,
      database: { pgliteDir: join(DEFAULT_DATA_DIR, 'pglite') },
      temporalAddress: undefined, temporalNamespace: 'default', taskQueue: 'tp-rejects', temporalPort: 7233, temporalUiPort: 8233,
      maxCachedWorkflows: 400, workerTuning: {}, workerConnectTimeoutMs: 60_000, workerMetrics: null,
      taskSlaMs: undefined, archiveRetentionMs: undefined, archiveTaskQueue: undefined,
      payloadKeys: { keys: undefined, file: undefined, required: false },
      mail: { from: DEFAULT_MAIL_FROM, managers: [DEFAULT_MANAGERS_EMAIL], resendApiKey: undefined, resendBaseUrl: undefined, outboxDir: join(DEFAULT_DATA_DIR, 'outbox') },
      sessionSecret: undefined, publicUrl: undefined, secureCookies: false, temporalUiUrl: undefined, temporalUiOrigins: [],
      authFailureLimit: { max: 20, windowMs: 60_000 }, metricsToken: undefined, operatorName: 'traitement automatique',
      trameLimits: DEFAULT_TRAME_LIMITS,
      cluster: {
        dataDir: join(DEFAULT_DATA_DIR, 'cluster'), temporalDatabaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres', temporalDb: 'temporal',
        apiPorts: [3000, 3001], temporalPort: 7233, workers: 2, apis: 2, sqlMaxConns: 4, sqlMaxIdleConns: 4, sqlVisMaxConns: 2,
      },
      submit: { apiUrl: 'http://127.0.0.1:3000', apiKey: undefined },
    });
    expect(config.database.poolMax).toBeUndefined();
    expect(config.database.connectTimeoutSeconds).toBeUndefined();
  });

  it('values parsed: durations, sizes, lists, booleans, ports; empty means unset', () => {
    const config = loadConfig({
      PORT: '8080', TASK_SLA: '1500ms', ARCHIVE_RETENTION: '30d', WORKER_CONNECT_TIMEOUT: '2m', TRAME_MAX_UPLOAD_BYTES: '1000000',
      TEMPORAL_UI_ORIGIN: 'http://127.0.0.1:8233/, https://ui.example.org/x', SECURE_COOKIES: 'true', PAYLOAD_KEYS_REQUIRED: 'true',
      MANAGERS_EMAIL: ' a@x.example , b@x.example ', WORKER_METRICS_PORT: '9464', METRICS_TOKEN: 't', DATABASE_POOL_MAX: '5',
      PGCONNECT_TIMEOUT: '0.5', CLUSTER_API_PORTS: '4000, 4001,4002', TEMPORAL_PORT: '7300', RESEND_API_KEY: '', HOST: '  ',
      DATA_DIR: 'some/dir', LOG_LEVEL: ' debug ',
    });
    expect(config).toMatchObject({
      logLevel: 'debug', port: 8080, host: '127.0.0.1', taskSlaMs: 1500, archiveRetentionMs: 30 * 86_400_000, workerConnectTimeoutMs: 120_000,
      temporalUiOrigins: ['http://127.0.0.1:8233', 'https://ui.example.org'], secureCookies: true, temporalPort: 7300, temporalUiPort: 8300,
      workerMetrics: { port: 9464, host: '127.0.0.1', token: 't' }, database: { poolMax: 5, connectTimeoutSeconds: 0.5 },
      dataDir: resolve('some/dir'),
      mail: { managers: ['a@x.example', 'b@x.example'], resendApiKey: undefined, outboxDir: join(resolve('some/dir'), 'outbox') },
      payloadKeys: { required: true },
      cluster: { apiPorts: [4000, 4001, 4002], dataDir: resolve('some/dir') },
    });
    expect(config.trameLimits.maxUploadBytes).toBe(1_000_000);
  });

  it('each kind of bad value: an error naming the variable, its value and what is expected', () => {
    const cases: [string, string, RegExp][] = [
      ['PORT', '70000', /a port number/],
      ['PORT', 'http', /a port number/],
      ['TASK_SLA', 'soon', /a duration/],
      ['WORKER_MAX_CACHED_WORKFLOWS', '1', /an integer ≥ 2/],
      ['WORKER_WORKFLOW_THREADS', '0', /an integer from 1 to 16/],
      ['WORKER_MAX_LOCAL_ACTIVITIES', 'many', /an integer ≥ 1/],
      ['DATABASE_POOL_MAX', '2.5', /an integer ≥ 1/],
      ['PGCONNECT_TIMEOUT', '-1', /a number of seconds/],
      ['SECURE_COOKIES', 'yes', /true or false/],
      ['TEMPORAL_UI_ORIGIN', 'http://ok:1,not an origin', /origins separated by commas/],
      ['PUBLIC_URL', 'tp.example.org', /a URL/],
      ['MANAGERS_EMAIL', 'chefs', /e-mail addresses/],
      ['CLUSTER_API_PORTS', '3000,0', /port numbers separated by commas/],
      ['TEMPORAL_ADDRESS', 'localhost', /host:port/],
      ['LOG_LEVEL', 'verbose', /one of trace, debug, info, warn, error, fatal, silent/],
    ];
    for (const [variable, value, expected] of cases) {
      const error = problemsOf({ [variable]: value });
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatchObject({ variable, value });
      expect(error.problems[0]!.expected).toMatch(expected);
      expect(error.message).toContain(`${variable}=« ${value} »: expected `);
    }
  });

  it('never repeats a URL\'s password in its error', () => {
    const error = problemsOf({ DATABASE_URL: 'postgres://tp:s3cr3t@db:99999/tp', TEMPORAL_DATABASE_URL: 'postgres://admin:p@ss@db:70000/x' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'TEMPORAL_DATABASE_URL']);
    expect(error.message).not.toMatch(/s3cr3t|p@ss/);
    expect(error.message).toContain('DATABASE_URL=« postgres://tp:•••@db:99999/tp »: expected ');
    expect(error.message).toContain('TEMPORAL_DATABASE_URL=« postgres://admin:•••@db:70000/x »: expected ');
  });

  it('every bad variable at once', () => {
    const error = problemsOf({ PORT: '-3', TASK_SLA: '2 weeks', AUTH_FAILURES_MAX: '0', WORKER_METRICS_PORT: 'x', TRAME_MAX_ROWS: '1e6', PATH: '/bin' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['AUTH_FAILURES_MAX', 'PORT', 'TASK_SLA', 'TRAME_MAX_ROWS', 'WORKER_METRICS_PORT']);
    expect(error.message.split('\n')).toHaveLength(6);
  });

  it('leaves unknown variables and secrets alone', () => {
    const config = loadConfig({ SOMETHING_ELSE: '§', SESSION_SECRET: ' spaces count ' });
    expect(config.sessionSecret).toBe(' spaces count ');
  });
});

describe('dataDirOf and parseDuration', () => {
  it('DATA_DIR absolute, relative to the working directory, or <repo>/.data', () => {
    expect(dataDirOf({ DATA_DIR: '/srv/data' })).toBe('/srv/data');
    expect(dataDirOf({ DATA_DIR: 'rel' })).toBe(resolve('rel'));
    expect(dataDirOf({})).toBe(DEFAULT_DATA_DIR);
  });

  it('durations', () => {
    expect([parseDuration('48h'), parseDuration('30m'), parseDuration('2s'), parseDuration('500ms'), parseDuration('250'), parseDuration('1.5d')])
      .toEqual([172_800_000, 1_800_000, 2000, 500, 250, 129_600_000]);
    expect(() => parseDuration('tomorrow')).toThrow(/not a duration/);
  });
});
