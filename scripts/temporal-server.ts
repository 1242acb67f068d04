// Finds (or builds) the production Temporal server, its schema tool and the Temporal UI server, for
// `npm run cluster`, `npm run test:cluster` and `npm run bench:cluster`.
//
// The server's go.mod asks for a newer Go than this machine's: GOTOOLCHAIN=go1.27.3 makes the go command take that
// toolchain from the module proxy. The build takes minutes the first time; the binaries are kept under
// .tools/temporal-server-<version>/ (TEMPORAL_SERVER_DIR chooses another folder holding bin/{server,sql,ui}).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ToolsConfig } from '../config.js';
import { findGo, goInstall, isExecutable, REPO_ROOT, type Log } from './temporal-cli.js';

export const TEMPORAL_SERVER_VERSION = '1.30.9';
/** The UI server the Temporal CLI v1.5.1 embeds: the same UI as `npm start`'s. */
export const TEMPORAL_UI_VERSION = '2.42.1';
export const GO_TOOLCHAIN = 'go1.27.3';

const MODULES = {
  server: `go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
  sql: `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
  ui: `github.com/temporalio/ui-server/v2/cmd/server@v${TEMPORAL_UI_VERSION}`,
};

export interface TemporalServerBinaries {
  /** `temporal-server`: start, render-config, validate-dynamic-config. */
  server: string;
  /** `temporal-sql-tool`: create-database, setup-schema, update-schema (schemas embedded: --schema-name). */
  sql: string;
  /** The Temporal UI server (`ui-server`), configured by environment (TEMPORAL_ADDRESS, TEMPORAL_CODEC_ENDPOINT…). */
  ui: string;
}

export function temporalServerDir(tools: Pick<ToolsConfig, 'temporalServerDir'>): string {
  return tools.temporalServerDir || join(REPO_ROOT, '.tools', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

/** The three binaries, built with Go when missing (minutes the first time, seconds from Go's build cache). */
export async function ensureTemporalServer(tools: ToolsConfig, log: Log = console.error): Promise<TemporalServerBinaries> {
  const dir = temporalServerDir(tools);
  const bins: TemporalServerBinaries = { server: join(dir, 'bin', 'server'), sql: join(dir, 'bin', 'sql'), ui: join(dir, 'ui', 'server') };
  const missingServer = !isExecutable(bins.server) || !isExecutable(bins.sql);
  const missingUi = !isExecutable(bins.ui);
  if (!missingServer && !missingUi) return bins;

  const go = findGo(tools.searchPath, tools.goRoots);
  if (!go) {
    throw new Error(
      `No Temporal server in ${dir} and no Go toolchain to build it: install Go (https://go.dev/dl/), ` +
        `or set TEMPORAL_SERVER_DIR to a folder holding bin/server, bin/sql and ui/server.`,
    );
  }
  const started = Date.now();
  if (missingServer) {
    log(`Building the Temporal server v${TEMPORAL_SERVER_VERSION} and its schema tool with ${GO_TOOLCHAIN} (several minutes the first time)…`);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    await goInstall(go, join(dir, 'bin'), log, [MODULES.server, MODULES.sql], { GOTOOLCHAIN: GO_TOOLCHAIN }, tools.environment);
  }
  if (missingUi) {
    // Its binary is also called `server`: a folder of its own.
    log(`Building the Temporal UI server v${TEMPORAL_UI_VERSION}…`);
    mkdirSync(join(dir, 'ui'), { recursive: true });
    await goInstall(go, join(dir, 'ui'), log, [MODULES.ui], { GOTOOLCHAIN: GO_TOOLCHAIN }, tools.environment);
  }
  for (const path of Object.values(bins)) if (!isExecutable(path)) throw new Error(`go install succeeded but ${path} is missing`);
  log(`Temporal server ready in ${Math.round((Date.now() - started) / 1000)} s: ${dir}`);
  return bins;
}
