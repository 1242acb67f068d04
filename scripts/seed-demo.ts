// npm run seed:demo — loads the demo reference data (every examples/cases/ file's `reference`, merged) into
// DATABASE_URL (or the embedded PGlite under DATA_DIR). Idempotent. `npm start` does it on its first start.

import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { formatCounts, seedReference } from '../db/seed.js';
import { exampleUniverse } from '../examples/universe.js';

const config = loadConfig(process.env);
const database = await openDatabase(config.databaseUrl, config.database);
try {
  console.log(formatCounts(await seedReference(database.db, exampleUniverse())));
} finally {
  await database.close();
}
