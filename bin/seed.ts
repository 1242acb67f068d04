// `npm run seed -- <file.json> [more.json]`: loads reference data into DATABASE_URL (else the embedded PGlite under DATA_DIR).
// Each file is a bare `reference` object, a case file `{ receivedOn, invoice, reference }`, or a spec example
// `{ case: { …, reference } }`. All files are checked before anything is written, then loaded in one transaction.
// Exit 0: loaded; 2: invalid input; 1: database error.

import { readFile } from 'node:fs/promises';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import {
  formatCounts, referenceOf, ReferenceValidationError, seedReferences, validateReference,
} from '../db/seed.js';

async function main(files: string[]): Promise<number> {
  if (files.length === 0) {
    console.error('usage: npm run seed -- <file.json> [more.json …]');
    return 2;
  }
  const problems: string[] = [];
  const references: unknown[] = [];
  for (const file of files) {
    try {
      const reference = referenceOf(JSON.parse(await readFile(file, 'utf8')));
      validateReference(reference);
      references.push(reference);
    } catch (error) {
      if (error instanceof ReferenceValidationError) problems.push(...error.issues.map((issue) => `${file}: ${issue}`));
      // V8 may quote the text around the error: drop the quote, it could hold a NIR.
      else if (error instanceof SyntaxError) problems.push(`${file}: not JSON (${error.message.replace(/"[\s\S]*"/, '…')})`);
      else problems.push(`${file}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) {
    console.error(`Nothing loaded: invalid input.\n  ${problems.join('\n  ')}`);
    return 2;
  }

  let database;
  try {
    const config = loadConfig(process.env);
    database = await openDatabase(config.databaseUrl, config.database);
    const counts = await seedReferences(database.db, references);
    console.log(`Seeded ${database.kind} from ${files.length} file(s), rows upserted: ${formatCounts(counts)}`);
    return 0;
  } catch (error) {
    // The message only: a driver's `detail` may quote key values, NIRs included.
    console.error(`Database error: ${(error as Error).message}`);
    return 1;
  } finally {
    await database?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
