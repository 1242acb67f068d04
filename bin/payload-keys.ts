// The payload encryption keys (activities/encryption.ts). A lost key makes every history it encrypted unreadable:
// escrow each new key before it encrypts anything (README « Payload encryption »).
//   npm run payload-keys -- list      ids of the keyring in use, the active one first (never the keys)
//   npm run payload-keys -- new       a new entry id:base64key, printed once: add it FIRST to PAYLOAD_KEYS, keep the old
//                                     ones after it for as long as histories they encrypted must be read
//   npm run payload-keys -- rotate    the embedded default (DATA_DIR/payload-keys): a new active key, the old ones kept
// Exit 2 on bad usage.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { formatKeyring, loadKeyring, newKey, newKeyId, PAYLOAD_KEYS_FILE } from '../activities/encryption.js';

const [command] = process.argv.slice(2).filter((a) => a !== '--');
const config = loadConfig(process.env);

function usage(): never {
  process.stderr.write('usage: npm run payload-keys -- list | new | rotate\n');
  process.exit(2);
}

switch (command) {
  case 'list': {
    const keyring = loadKeyring({ ...config.payloadKeys, required: false, dataDir: config.dataDir });
    for (const id of keyring.keys.keys()) process.stdout.write(`${id}${id === keyring.activeKeyId ? '  (active: encrypts)' : ''}\n`);
    break;
  }
  case 'new': {
    const id = newKeyId();
    process.stdout.write(`${id}:${newKey().toString('base64')}\n`);
    process.stderr.write('Escrow this entry now, then put it first in PAYLOAD_KEYS (comma-separated), the old keys after it.\n');
    break;
  }
  case 'rotate': {
    if (config.payloadKeys.keys || config.payloadKeys.file) {
      process.stderr.write('PAYLOAD_KEYS / PAYLOAD_KEYS_FILE are set: rotate there (npm run payload-keys -- new gives the entry to add first).\n');
      process.exit(2);
    }
    const dir = config.dataDir;
    const current = loadKeyring({ dataDir: dir });
    const id = newKeyId();
    const keys = new Map([[id, newKey()], ...current.keys]);
    writeFileSync(join(dir, PAYLOAD_KEYS_FILE), `${formatKeyring({ activeKeyId: id, keys })}\n`, { mode: 0o600 });
    process.stdout.write(`${id} now encrypts; ${current.keys.size} older key(s) kept to decrypt. Escrow ${join(dir, PAYLOAD_KEYS_FILE)} again, then restart.\n`);
    break;
  }
  default:
    usage();
}
