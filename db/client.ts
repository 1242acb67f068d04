// Opens the project's database: PostgreSQL when a URL is given, else an embedded PGlite (`<DATA_DIR>/pglite`: the
// Config's `database.pgliteDir`). Migrations (db/migrations/) are applied on every open; they are no-ops once applied.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTableName, sql, type Column, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { DEFAULT_DATA_DIR } from '../config.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Row = Record<string, unknown>;

export interface OpenDatabase {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Runs raw SQL; always resolves to the rows, whatever the driver. */
  execute(query: SQLWrapper | string): Promise<Row[]>;
  /**
   * Whether the database answers, on a connection of its own (never queued behind the pool's queries): resolves,
   * or rejects within `timeoutMs` (default: the connect timeout).
   */
  ping(timeoutMs?: number): Promise<void>;
  /**
   * LISTENs on `channel` (PostgreSQL NOTIFY, on a connection of its own that postgres.js re-opens when lost; PGlite in
   * process): `onNotify` gets each payload, `onListen` is called each time the LISTEN is (re-)established. Resolves
   * once listening, to the function that stops it.
   */
  listen(channel: string, onNotify: (payload: string) => void, onListen?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PGlite data directory when no URL is given (default `<repo>/.data/pglite`; `memory://` for none). */
  pgliteDir?: string;
  /**
   * Seconds to wait for PostgreSQL to accept a connection and answer its start-up, so that a request fails fast
   * (503) when it is down or hung. Default: the URL's `?connect_timeout=`, else 2 (PGCONNECT_TIMEOUT: config.ts).
   */
  connectTimeoutSeconds?: number;
  /**
   * Connections a process keeps at most (DATABASE_POOL_MAX; postgres.js's default, 10, when unset). Every replica
   * counts against the server's max_connections, with Temporal's own pools (deploy/README.md « Connections »).
   */
  poolMax?: number;
  /** Called with each statement's text as it is sent to PostgreSQL (not PGlite): `npm run bench:pipeline` counts them. */
  onQuery?: (statement: string) => void;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));
export const DEFAULT_PGLITE_DIR = join(DEFAULT_DATA_DIR, 'pglite');

/** Any constant: serialises concurrent migrators (API and worker replicas starting together). */
const MIGRATION_LOCK = 7_346_110_512;

/** A JSON value of a row: parsed by the driver (postgres.js, PGlite), or its text when a driver leaves it as is. */
export function fromJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/**
 * A column named with its table (`"invoices"."archive_key"`), for a correlated subquery. Drizzle names a column of a
 * one-table select without its table, which a subquery on a table with a column of that name reads as its own.
 */
export function qualified(column: Column): SQL {
  return sql`${sql.identifier(getTableName(column.table))}.${sql.identifier(column.name)}`;
}

/** The rows of a raw query's result, whatever the driver (postgres.js: an array; PGlite: `{ rows }`). */
export function rowsOf(result: unknown): Row[] {
  if (Array.isArray(result)) return [...result] as Row[];
  return ((result as { rows?: Row[] }).rows ?? []) as Row[];
}

function toSql(query: SQLWrapper | string): SQLWrapper {
  return typeof query === 'string' ? sql.raw(query) : query;
}

export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 2;

/** postgres.js options shared by every connection: the connect timeout (unless the URL sets it), no notices. */
function connectionOptions(url: string, options: OpenOptions) {
  const connectTimeout = options.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS;
  const poolMax = options.poolMax;
  return {
    onnotice: () => undefined,
    ...(/[?&]connect_timeout=/.test(url) ? {} : { connect_timeout: connectTimeout }),
    ...(poolMax ? { max: poolMax } : {}),
    ...(options.onQuery ? { debug: (_connection: number, statement: string) => options.onQuery!(statement) } : {}),
  };
}

async function migratePostgres(url: string, options: OpenOptions): Promise<void> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  // One session, so that the advisory lock covers the whole migration.
  const client = postgres(url, { ...connectionOptions(url, options), max: 1 });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
  } finally {
    await client.end();
  }
}

/**
 * A pool over PostgreSQL at `url`, without applying the migrations (openDatabase does). Nothing is connected until
 * the first query.
 */
export async function connectPostgres(url: string, options: OpenOptions = {}): Promise<OpenDatabase> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const connection = connectionOptions(url, options);
  const client = postgres(url, connection);
  const db = drizzle(client, { schema });
  return {
    db,
    kind: 'postgres',
    execute: async (query) => rowsOf(await db.execute(toSql(query))),
    async ping(timeoutMs = (connection.connect_timeout ?? DEFAULT_CONNECT_TIMEOUT_SECONDS) * 1000) {
      // A connection of its own, closed after: a probe never waits behind the pool's queries, nor keeps a slot.
      const probe = postgres(url, { ...connection, max: 1 });
      const timer = setTimeout(() => void probe.end({ timeout: 0 }), timeoutMs);
      try {
        await probe`select 1`;
      } finally {
        clearTimeout(timer);
        await probe.end({ timeout: 0 });
      }
    },
    async listen(channel, onNotify, onListen) {
      const { unlisten } = await client.listen(channel, onNotify, onListen);
      return unlisten;
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/** PostgreSQL at `url` (DATABASE_URL), else PGlite in `options.pgliteDir`. */
export async function openDatabase(url: string | undefined, options: OpenOptions = {}): Promise<OpenDatabase> {
  if (url) {
    await migratePostgres(url, options);
    return connectPostgres(url, options);
  }

  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const dir = options.pgliteDir ?? DEFAULT_PGLITE_DIR;
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const client = new PGlite(dir);
  const close = async () => {
    if (!client.closed) await client.close();
  };
  try {
    const db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    return {
      db,
      kind: 'pglite',
      execute: async (query) => rowsOf(await db.execute(toSql(query))),
      // In process: nothing to reach.
      ping: async () => {
        await client.query('select 1');
      },
      async listen(channel, onNotify, onListen) {
        const unlisten = await client.listen(channel, onNotify);
        onListen?.();
        return async () => {
          if (!client.closed) await unlisten();
        };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
