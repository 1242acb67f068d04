// `npm run temporal:dev`: a local Temporal dev server with its Web UI, state kept in .data/temporal.db.
// Environment: TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTemporalCli, REPO_ROOT, startDevServer } from './temporal-cli.js';

const binary = await ensureTemporalCli();
if (!binary) {
  console.error('No Temporal CLI and no Go toolchain to build one: install Go or set TEMPORAL_CLI.');
  process.exit(1);
}
const dataDir = join(REPO_ROOT, '.data');
mkdirSync(dataDir, { recursive: true });
const port = Number(process.env.TEMPORAL_PORT ?? 7233);
const server = await startDevServer({
  binary,
  port,
  uiPort: Number(process.env.TEMPORAL_UI_PORT ?? port + 1000),
  dbFile: join(dataDir, 'temporal.db'),
});
console.log(`Temporal dev server: ${server.address} (namespace ${server.namespace}), Web UI: ${server.uiUrl}`);
console.log('Ctrl-C to stop.');

const shutdown = async () => {
  await server.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
