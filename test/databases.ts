// A private PostgreSQL database for a test file that rewrites reference data, so that it cannot disturb other
// files sharing the run's database (`inject('databaseUrl')`). Created beside it, migrated, dropped after.

import postgres from 'postgres';
import { openDatabase, type OpenDatabase } from '../db/client.js';

export interface ScratchDatabase extends OpenDatabase {
  url: string;
  /** Closes the connection and drops the database. */
  drop(): Promise<void>;
}

export async function createScratchDatabase(runDatabaseUrl: string, label: string): Promise<ScratchDatabase> {
  const base = new URL(runDatabaseUrl);
  const name = `${base.pathname.slice(1)}_${label}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
  if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`bad scratch database name ${name}`);
  const admin = postgres(runDatabaseUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(runDatabaseUrl);
  url.pathname = `/${name}`;
  try {
    const database = await openDatabase(url.toString());
    return {
      ...database,
      url: url.toString(),
      async drop() {
        try {
          await database.close();
          await admin.unsafe(`drop database if exists "${name}" with (force)`);
        } finally {
          await admin.end();
        }
      },
    };
  } catch (error) {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
    throw error;
  }
}
