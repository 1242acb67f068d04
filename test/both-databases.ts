// A test file's two databases: a scratch PostgreSQL database of its own and an in-memory PGlite, opened before its
// tests and closed after, for the suites that run the same tests on both (`describe.each(databases.each)`).

import { afterAll, beforeAll, inject } from 'vitest';
import { openDatabase, type OpenDatabase } from '../db/client.js';
import { createScratchDatabase, type ScratchDatabase } from './databases.js';

export function bothDatabases(label: string) {
  let postgres: ScratchDatabase | undefined;
  let pglite: OpenDatabase | undefined;
  beforeAll(async () => {
    postgres = await createScratchDatabase(inject('databaseUrl'), label);
    pglite = await openDatabase(undefined, { pgliteDir: 'memory://' });
  }, 60_000);
  afterAll(async () => {
    await postgres?.drop();
    await pglite?.close();
  });
  const opened = <T>(database: T | undefined): T => {
    if (!database) throw new Error('the databases are opened by beforeAll');
    return database;
  };
  return {
    postgres: () => opened(postgres),
    pglite: () => opened(pglite),
    /** Each database with its name, for `describe.each`. */
    each: [['PostgreSQL', () => opened(postgres)], ['PGlite', () => opened(pglite)]] as [string, () => OpenDatabase][],
  };
}
