// npm run seed:demo — loads the demo reference data (every examples/cases/ file's `reference`, merged) into
// DATABASE_URL (or the embedded PGlite). Idempotent. `npm start` does it on its first start.

import { openDatabase } from '../db/client.js';
import { formatCounts, seedReference } from '../db/seed.js';
import { exampleUniverse } from '../examples/universe.js';

const database = await openDatabase(process.env.DATABASE_URL);
try {
  console.log(formatCounts(await seedReference(database.db, exampleUniverse())));
} finally {
  await database.close();
}
