// `npm run keys -- create <role> [--name <name>]`: provisions an API key and prints it as the last word of its output.
// `npm run keys -- list`: every key (never the key itself). `npm run keys -- revoke <id>`.
// Uses DATABASE_URL, else the embedded PGlite under DATA_DIR (which only one process can open: stop `npm start` first).
// Exit 0: done; 2: bad arguments (usage printed); 1: unknown key id (revoke) or database error.
// Creations and revocations are in the audit log (actor « cli »); a revocation ends the key's console sessions.

import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { createAuditLog, SYSTEM_ACTOR } from '../db/audit.js';
import { createApiKeyRepository, isRole, ROLES, type ApiKeyInfo, type Role } from '../db/api-keys.js';

const USAGE = `usage: npm run keys -- create <role> [--name <name>]   prints the new key as the last word
       npm run keys -- list
       npm run keys -- revoke <id>
roles: ${ROLES.join(', ')}`;

type Command = { kind: 'create'; role: Role; name: string } | { kind: 'list' } | { kind: 'revoke'; id: string };

class UsageError extends Error {}

function parse(argv: string[]): Command {
  // node:util's parser, not strict, so that each problem is named in the usage's own words.
  const { positionals, tokens } = parseArgs({ args: argv, options: { name: { type: 'string' } }, allowPositionals: true, strict: false, tokens: true });
  const [command, ...positional] = positionals;
  let name: string | undefined;
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (token.name !== 'name') throw new UsageError(`unknown option ${token.rawName}`);
    if (command !== 'create') throw new UsageError('--name only goes with create');
    if (token.value === undefined || token.value.trim() === '') throw new UsageError('--name needs a value');
    name = token.value.trim();
  }
  switch (command) {
    case 'create': {
      if (positional.length !== 1) throw new UsageError('create needs exactly one role');
      const role = positional[0]!;
      if (!isRole(role)) throw new UsageError(`unknown role « ${role} »: one of ${ROLES.join(', ')}`);
      if (name !== undefined && name.length > 100) throw new UsageError('--name is limited to 100 characters');
      return { kind: 'create', role, name: name ?? `${role}-${new Date().toISOString().slice(0, 10)}` };
    }
    case 'list':
      if (positional.length) throw new UsageError('list takes no argument');
      return { kind: 'list' };
    case 'revoke':
      if (positional.length !== 1) throw new UsageError('revoke needs exactly one key id');
      return { kind: 'revoke', id: positional[0]! };
    case undefined:
      throw new UsageError('no command');
    default:
      throw new UsageError(`unknown command « ${command} »`);
  }
}

function table(keys: ApiKeyInfo[]): string {
  if (keys.length === 0) return 'No API key. Create one: npm run keys -- create admin --name <name>';
  const rows = [
    ['ID', 'ROLE', 'NAME', 'CREATED', 'LAST USED', 'STATUS'],
    ...keys.map((k) => [
      k.id, k.role, k.name, k.createdAt.slice(0, 16).replace('T', ' '),
      k.lastUsedAt ? k.lastUsedAt.slice(0, 16).replace('T', ' ') : '-',
      k.revokedAt ? `revoked ${k.revokedAt.slice(0, 10)}` : 'active',
    ]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd()).join('\n');
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(USAGE);
    return 0;
  }
  let command: Command;
  try {
    command = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`keys: ${error.message}\n${USAGE}`);
    return 2;
  }

  let database;
  try {
    const config = loadConfig(process.env);
    database = await openDatabase(config.databaseUrl, config.database);
    const keys = createApiKeyRepository(database.db);
    const audit = createAuditLog(database.db);
    const actor = { ...SYSTEM_ACTOR, name: 'cli' };
    switch (command.kind) {
      case 'create': {
        const created = await keys.create({ role: command.role, name: command.name });
        await audit.record({ actor, action: 'key.create', target: created.id, details: { role: created.role, name: created.name } });
        console.log(`created ${created.role} key « ${created.name} » (id ${created.id}): ${created.key}`);
        return 0;
      }
      case 'list':
        console.log(table(await keys.list()));
        return 0;
      default:
        if (!(await keys.revoke(command.id))) {
          console.error(`keys: no API key with id ${command.id} (npm run keys -- list)`);
          return 1;
        }
        await audit.record({ actor, action: 'key.revoke', target: command.id });
        console.log(`revoked key ${command.id}`);
        return 0;
    }
  } catch (error) {
    console.error(`keys: database error: ${(error as Error).message}`);
    return 1;
  } finally {
    await database?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
