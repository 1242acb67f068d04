// `npm run temporal:dev`: a local Temporal dev server with its Web UI, state kept in <DATA_DIR>/temporal.db.
// Environment (config.ts): TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233), DATA_DIR (.data), TEMPORAL_CLI.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { ensureTemporalCli, startDevServer } from './temporal-cli.js';

const config = loadConfig(process.env);
const binary = await ensureTemporalCli(console.error, config.tools);
if (!binary) {
  console.error('No Temporal CLI and no Go toolchain to build one: install Go or set TEMPORAL_CLI.');
  process.exit(1);
}
const dataDir = config.dataDir;
mkdirSync(dataDir, { recursive: true });
const server = await startDevServer({
  binary,
  port: config.temporalPort,
  uiPort: config.temporalUiPort,
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
