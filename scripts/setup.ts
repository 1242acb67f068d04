// `npm run setup`: makes sure a Temporal CLI is available (building it with Go if need be).

import { loadConfig } from '../config.js';
import { ensureTemporalCli } from './temporal-cli.js';

const binary = await ensureTemporalCli(console.error, loadConfig(process.env).tools);
if (binary) {
  console.log(`Temporal CLI: ${binary}`);
} else {
  console.log('Temporal CLI: none (no Go toolchain); tests will let the SDK download a dev server.');
}
