// Configuration by environment, with the documented defaults (README « Configuration »).

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
}

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
  };
}

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
