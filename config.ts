// Configuration by environment, with the documented defaults (README « Configuration »).

import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Config {
  /** HTTP port of the API and console. */
  port: number;
  host: string;
  /** PostgreSQL URL; unset: embedded PGlite under .data/pglite. */
  databaseUrl: string | undefined;
  /** Temporal frontend `host:port`; unset: the embedded dev server on 127.0.0.1:7233. */
  temporalAddress: string | undefined;
  temporalNamespace: string;
  taskQueue: string;
  /**
   * Workflows a worker keeps in memory between their tasks (WORKER_MAX_CACHED_WORKFLOWS, default 400): its memory's
   * bound. A workflow evicted (waiting days for its manager, or for its batch's e-mail) is replayed from its history
   * when its next task comes, a few milliseconds for the claims' short histories.
   */
  maxCachedWorkflows: number;
}

export const DEFAULT_MAX_CACHED_WORKFLOWS = 400;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not « ${env.PORT} »`);
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    temporalNamespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.TASK_QUEUE ?? 'tp-rejects',
    maxCachedWorkflows: positiveInteger(env, 'WORKER_MAX_CACHED_WORKFLOWS', DEFAULT_MAX_CACHED_WORKFLOWS),
  };
}

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

/** The embedded default's data folder: `<repo>/.data`. */
export const DEFAULT_DATA_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '.data');

/** DATA_DIR (absolute, or relative to the working directory), else `<repo>/.data`. */
export function dataDirOf(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DATA_DIR;
  return dir ? (isAbsolute(dir) ? dir : resolve(dir)) : DEFAULT_DATA_DIR;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 2) throw new Error(`${name} must be an integer ≥ 2, not « ${raw} »`);
  return value;
}

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

export function loadTrameLimits(env: NodeJS.ProcessEnv = process.env): TrameLimits {
  const limit = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be an integer ≥ 1, not « ${raw} »`);
    return value;
  };
  return {
    maxUploadBytes: limit('TRAME_MAX_UPLOAD_BYTES', DEFAULT_TRAME_LIMITS.maxUploadBytes),
    maxUncompressedBytes: limit('TRAME_MAX_UNCOMPRESSED_BYTES', DEFAULT_TRAME_LIMITS.maxUncompressedBytes),
    maxRows: limit('TRAME_MAX_ROWS', DEFAULT_TRAME_LIMITS.maxRows),
    maxConcurrentImports: limit('TRAME_MAX_CONCURRENT_IMPORTS', DEFAULT_TRAME_LIMITS.maxConcurrentImports),
  };
}
