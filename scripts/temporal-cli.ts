// Finds (or builds) the Temporal CLI and runs its development server.
// Used by `npm run setup`, `npm run temporal:dev` and vitest's global setup.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import type { Environment } from '../config.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const LOCAL_BIN = join(REPO_ROOT, '.tools', 'bin');

/** Newer releases carry a `replace` directive that `go install …@version` refuses (stack notes). */
export const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** Custom search attributes of the invoice workflows. Never a NIR. */
export const SEARCH_ATTRIBUTES = {
  InvoiceStatus: 'Keyword',
  Motif: 'Keyword',
  PractitionerNumber: 'Keyword',
  BatchId: 'Keyword',
} as const;

export type Log = (message: string) => void;

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on `path` (PATH: the Config's `tools.searchPath`), or null. */
export function findOnPath(name: string, path: string): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/** `go` on `searchPath`, else in one of `goRoots` (the Config's `tools`: PATH, GOROOT, /usr/local/go). */
export function findGo(searchPath: string, goRoots: (string | undefined)[]): string | null {
  const onPath = findOnPath('go', searchPath);
  if (onPath) return onPath;
  for (const root of goRoots) {
    if (root && isExecutable(join(root, 'bin', 'go'))) return join(root, 'bin', 'go');
  }
  return null;
}

/** Streams a child's output to `log`, line by line. */
export function pipeLines(stream: NodeJS.ReadableStream | null, log: Log, prefix = ''): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) log(prefix + line);
  });
  stream.on('end', () => {
    if (pending.trim()) log(prefix + pending);
  });
}

/**
 * `go install <modules…>` into `gobin`, in the environment `base` (the Config's `tools.environment`) plus `env` (e.g.
 * GOTOOLCHAIN).
 */
export async function goInstall(
  go: string, gobin: string, log: Log, modules: string[] = [CLI_MODULE], env: Environment = {}, base: Environment = {},
): Promise<void> {
  const child = spawn(go, ['install', ...modules], {
    env: { ...base, ...env, GOBIN: gobin },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeLines(child.stdout, log, '  go: ');
  pipeLines(child.stderr, log, '  ');
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`go install ${modules.join(' ')} failed (exit ${code})`);
}

/** Where to look: the Config's `tools` (TEMPORAL_CLI, PATH, GOROOT), and where to build. */
export interface EnsureOptions {
  /** TEMPORAL_CLI: this binary, nothing else. */
  temporalCli?: string;
  /** Where the CLI is built (default `<repo>/.tools/bin`). */
  binDir?: string;
  /** PATH (default: none). */
  searchPath?: string;
  /** Go installations tried when `go` is not on the path (default: /usr/local/go). */
  goRoots?: (string | undefined)[];
  /** The environment `go install` runs in (default: none but GOBIN). */
  environment?: Environment;
}

/**
 * A path to a `temporal` binary: `TEMPORAL_CLI`, else `temporal` on PATH, else `.tools/bin/temporal`,
 * else built there with Go. Null when there is no Go either: callers then let the SDK download its
 * own dev server (machines with internet access).
 */
export async function ensureTemporalCli(log: Log = console.error, options: EnsureOptions = {}): Promise<string | null> {
  const fromEnv = options.temporalCli;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const searchPath = options.searchPath ?? '';
  const onPath = findOnPath('temporal', searchPath);
  if (onPath) return onPath;
  const binDir = options.binDir ?? LOCAL_BIN;
  const local = join(binDir, 'temporal');
  if (isExecutable(local)) return local;

  const go = findGo(searchPath, options.goRoots ?? ['/usr/local/go']);
  if (!go) {
    log('No Temporal CLI and no Go toolchain: falling back to the SDK\'s download of the dev server.');
    return null;
  }
  log(`Building the Temporal CLI, this takes a few minutes the first time (go install ${CLI_MODULE} → ${local})`);
  const started = Date.now();
  await goInstall(go, binDir, log, [CLI_MODULE], {}, options.environment);
  if (!isExecutable(local)) throw new Error(`go install succeeded but ${local} is missing`);
  log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s: ${local}`);
  return local;
}

export interface DevServerOptions {
  binary: string;
  /** SQLite file for persistent state; in memory when absent. */
  dbFile?: string;
  /** gRPC port (default 7233). */
  port?: number;
  /** Web UI port (default port + 1000); `false` for no UI (`--headless`). */
  uiPort?: number | false;
  /** The Web UI served under this path (e.g. `/temporal`, so that the API can serve it from its own origin). */
  uiPublicPath?: string;
  /** The Web UI's remote codec endpoint (the API's `/codec`): payloads decoded in the browser for those allowed. */
  uiCodecEndpoint?: string;
  /** A namespace to create besides `default`. */
  namespace?: string;
  /** Dynamic configuration values (default DEV_DYNAMIC_CONFIG; `{}`: the server's own defaults). */
  dynamicConfig?: Record<string, unknown>;
  /** Give up when the server does not answer within this delay (default 60 s). */
  startTimeoutMs?: number;
  log?: Log;
}

export interface DevServer {
  /** `host:port` of the gRPC front end. */
  address: string;
  uiUrl: string | null;
  namespace: string;
  /** Kills the server's process group and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills it without warning (SIGKILL), as a crash would. */
  kill(): Promise<void>;
}

function devServerArgs(options: DevServerOptions, port: number): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  if (options.uiPort === false) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort ?? port + 1000));
  if (options.uiPort !== false && options.uiPublicPath) args.push('--ui-public-path', options.uiPublicPath);
  if (options.uiPort !== false && options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? DEV_DYNAMIC_CONFIG)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  return args;
}

/**
 * The dev server's dynamic configuration (bench/README.md has the measurements):
 * - an activity scheduled by a workflow task goes back in that task's answer to the worker that has a free slot
 *   (eager dispatch) rather than through a poll — as on the production server (deploy/temporal/dynamicconfig.yaml);
 * - one partition per task queue: one node, a few workers; four partitions (the default) only add hops between them;
 * - the history's transfer queue (what hands a new workflow task to matching) read up to 1 000 times a second rather
 *   than 20 (it is read when told of new tasks): each workflow task waited 0–50 ms (25 on average) for the next read,
 *   twice per claim — the p50 went from ~148 to ~80 ms.
 */
export const DEV_DYNAMIC_CONFIG: Record<string, unknown> = {
  'system.enableActivityEagerExecution': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  'history.transferProcessorMaxPollRPS': 1000,
};

/** A TCP port free on 127.0.0.1 right now (`port` itself, or any when absent). */
export function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The ports `lowFreePort` gave in this process. */
const lowPortsHandedOut = new Set<number>();

/**
 * A free port between 20000 and 32000, outside Linux's ephemeral range (32768+): no outgoing connection takes it
 * between this check and a server's bind, as one can with `freePort()`'s ports on a busy machine. Temporal also keeps
 * membership ports in a smallint column (cluster_membership.rpc_port), which refuses ports above 32767.
 */
export async function lowFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    // Free now, but maybe handed out already to a server not started yet (a cluster's twenty ports are picked
    // before its nodes bind them): never twice from this process.
    if (lowPortsHandedOut.has(port)) continue;
    try {
      lowPortsHandedOut.add(await freePort(port));
      return port;
    } catch {
      // taken: another
    }
  }
  throw new Error('no free port between 20000 and 32000');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid == null || child.exitCode != null || child.signalCode != null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Starts `temporal server start-dev` and resolves once the namespace answers over gRPC. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const log = options.log ?? console.error;
  const port = options.port ?? 7233;
  const namespace = options.namespace ?? 'default';
  const address = `127.0.0.1:${port}`;
  const uiUrl = options.uiPort === false ? null : `http://127.0.0.1:${options.uiPort ?? port + 1000}${options.uiPublicPath ?? ''}`;

  // Otherwise the readiness check below could succeed against whatever already listens there.
  await freePort(port).catch((error: Error) => {
    throw new Error(`cannot start the Temporal dev server on ${address}: ${error.message}`);
  });

  // Own process group, so that stop() also reaches anything the CLI spawns.
  const child = spawn(options.binary, devServerArgs(options, port), {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (line: string) => {
    output.push(line);
    if (output.length > 40) output.shift();
  };
  pipeLines(child.stdout, keep);
  pipeLines(child.stderr, (line) => {
    keep(line);
    if (/\b(ERROR|FATAL|panic)\b/.test(line)) log(`temporal: ${line}`);
  });

  let spawnError: Error | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    killGroup(child, 'SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
    if (timedOut) {
      killGroup(child, 'SIGKILL');
      await exited;
    }
  };

  await new Promise((resolve) => setImmediate(resolve)); // a spawn error (ENOENT) is reported by now
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    if (spawnError) break;
    if (child.exitCode != null || child.signalCode != null) {
      await stop();
      throw new Error(`temporal server start-dev exited (${child.exitCode ?? child.signalCode}):\n${output.join('\n')}`);
    }
    let connection: Connection | null = null;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.describeNamespace({ namespace });
      return { address, uiUrl, namespace, stop, kill: async () => { process.removeListener('exit', killOnExit); killGroup(child, 'SIGKILL'); await exited; } };
    } catch (error) {
      lastError = error;
      await sleep(250);
    } finally {
      await connection?.close().catch(() => undefined);
    }
  }
  await stop();
  if (spawnError) throw new Error(`cannot run ${options.binary}: ${(spawnError as Error).message}`);
  throw new Error(
    `Temporal dev server not ready on ${address} after ${options.startTimeoutMs ?? 60_000} ms ` +
      `(${lastError instanceof Error ? lastError.message : String(lastError)}):\n${output.join('\n')}`,
  );
}
