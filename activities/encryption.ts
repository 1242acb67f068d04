// Encrypted payloads: every payload Temporal stores (workflow inputs, activity results, signals, Updates, memo,
// failures' messages) is AES-256-GCM ciphertext, through one data converter shared by the client, the worker, the
// replayer and the history exports. The shape is Temporal's samples-typescript `encryption/`.
//
// A keyring holds every key still needed to decrypt; the active one (the first) encrypts. Each payload carries its
// key id in its metadata, so that histories written before a rotation still decrypt. Payloads that are not
// encrypted (histories recorded before encryption, test/histories/) decode as they are.
//
// Keyring sources (loadKeyring), first found wins:
//   PAYLOAD_KEYS        `id:base64key[,id:base64key…]` — the first key is the active one
//   PAYLOAD_KEYS_FILE   a file holding the same text (one entry per line or comma-separated)
//   <DATA_DIR>/payload-keys   generated with mode 0600 on the embedded default (unless `required`)
// A key is 32 random bytes (e.g. `openssl rand -base64 32`). Rotation and escrow: README « Payload encryption ».

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  METADATA_ENCODING_KEY, ValueError, type DataConverter, type LoadedDataConverter, type Payload, type PayloadCodec,
} from '@temporalio/common';
import proto from '@temporalio/proto';
import { AppError } from '../rules/errors.js';

const { temporal } = proto; // a CommonJS module: no named exports under Node's ESM loader

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
export const PAYLOAD_KEYS_FILE = 'payload-keys';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The keys able to decrypt, and the one that encrypts. */
export interface Keyring {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/** A payload that cannot be decrypted: unknown key id (a key lost or not in the keyring), or tampered with. */
export class PayloadDecryptionError extends AppError {
  readonly code = 'payload_decryption';
  override readonly name = 'PayloadDecryptionError';
}

const utf8 = (value: string) => new TextEncoder().encode(value);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** Parses `id:base64key[,id:base64key…]` (commas or new lines); the first entry is the active key. */
export function parseKeyring(source: string, origin = 'PAYLOAD_KEYS'): Keyring {
  const entries = source.split(/[,\n]/).map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
  if (entries.length === 0) throw new Error(`${origin} holds no key: expected id:base64key (32 bytes, e.g. openssl rand -base64 32)`);
  const keys = new Map<string, Buffer>();
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) throw new Error(`${origin}: each entry is id:base64key, with an id of letters, digits, . _ - (an entry has none)`);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`${origin}: key « ${id} » must be ${KEY_BYTES} bytes in base64 (it has ${key.length})`);
    if (keys.has(id)) throw new Error(`${origin}: key id « ${id} » appears twice`);
    keys.set(id, key);
  }
  return { activeKeyId: entries[0]!.slice(0, entries[0]!.indexOf(':')), keys };
}

/** The text of a keyring (the active key first), as PAYLOAD_KEYS or the payload-keys file hold it. */
export function formatKeyring(keyring: Keyring): string {
  const ids = [keyring.activeKeyId, ...[...keyring.keys.keys()].filter((id) => id !== keyring.activeKeyId)];
  return ids.map((id) => `${id}:${keyring.keys.get(id)!.toString('base64')}`).join('\n');
}

/** A new key id: `k` + the day + 4 random hex characters (ids only label keys; they are not secret). */
export function newKeyId(now = new Date()): string {
  return `k${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(2).toString('hex')}`;
}

export function newKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** A keyring of one new key, as PAYLOAD_KEYS text: for tests and benchmarks, whose histories need not outlive them. */
export function ephemeralKeyring(): string {
  const id = newKeyId();
  return formatKeyring({ activeKeyId: id, keys: new Map([[id, newKey()]]) });
}

export interface KeyringSource {
  /** PAYLOAD_KEYS' text (the Config's `payloadKeys.keys`). */
  keys?: string;
  /** PAYLOAD_KEYS_FILE (the Config's `payloadKeys.file`). */
  file?: string;
  /** Where the embedded default keeps its generated keyring. */
  dataDir?: string;
  /** Refuse to generate one (a deployment must be given its keys). */
  required?: boolean;
}

/** `keys`, else the file `file`, else the one kept in `dataDir` (generated there the first time, unless `required`). */
export function loadKeyring(source: KeyringSource = {}): Keyring {
  const { dataDir, required = false } = source;
  const { keys, file } = source;
  if (keys) return parseKeyring(keys);
  if (file) return parseKeyring(readFileSync(file, 'utf8'), file);
  if (required || !dataDir) {
    throw new Error('No payload encryption key: set PAYLOAD_KEYS (id:base64key, 32 bytes: openssl rand -base64 32) or PAYLOAD_KEYS_FILE');
  }
  const kept = join(dataDir, PAYLOAD_KEYS_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx': never overwrite a keyring another process has just written — a lost key makes every history unreadable.
    writeFileSync(kept, `${formatKeyring({ activeKeyId: 'k0', keys: new Map([['k0', newKey()]]) }).replace(/^k0/, newKeyId())}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  chmodSync(kept, 0o600);
  return parseKeyring(readFileSync(kept, 'utf8'), kept);
}

/** AES-256-GCM: iv (12 bytes) ‖ ciphertext ‖ tag (16 bytes); the key id is authenticated data. */
function encrypt(plain: Uint8Array, key: Buffer, keyId: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(keyId, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function decrypt(data: Uint8Array, key: Buffer, keyId: string): Buffer {
  const bytes = Buffer.from(data);
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload too short');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(keyId, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PayloadDecryptionError(`encrypted payload does not authenticate with key « ${keyId} » (altered, or another key under that id)`);
  }
}

export const isEncrypted = (payload: Payload): boolean => text(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;

/** The key id an encrypted payload names (undefined for a payload in clear). */
export const keyIdOf = (payload: Payload): string | undefined => (isEncrypted(payload) ? text(payload.metadata?.[METADATA_KEY_ID]) : undefined);

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {
    if (!keyring.keys.has(keyring.activeKeyId)) throw new Error(`the active key « ${keyring.activeKeyId} » is not in the keyring`);
  }

  encodeSync(payloads: Payload[]): Payload[] {
    const { activeKeyId } = this.keyring;
    const key = this.keyring.keys.get(activeKeyId)!;
    return payloads.map((payload) => ({
      metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [METADATA_KEY_ID]: utf8(activeKeyId) },
      data: encrypt(temporal.api.common.v1.Payload.encode(payload).finish(), key, activeKeyId),
    }));
  }

  decodeSync(payloads: Payload[]): Payload[] {
    return payloads.map((payload) => {
      if (!isEncrypted(payload)) return payload; // in clear: written before encryption
      const keyId = text(payload.metadata?.[METADATA_KEY_ID]);
      if (!keyId) throw new PayloadDecryptionError('encrypted payload without a key id');
      const key = this.keyring.keys.get(keyId);
      if (!key) throw new PayloadDecryptionError(`encrypted with key « ${keyId} », which is not in the keyring (PAYLOAD_KEYS)`);
      if (!payload.data) throw new ValueError('encrypted payload without data');
      return temporal.api.common.v1.Payload.decode(decrypt(payload.data, key, keyId)) as Payload;
    });
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return this.encodeSync(payloads);
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return this.decodeSync(payloads);
  }
}

/** workflows/failure-converter.ts: failures' messages and stack traces encoded as a payload (so encrypted). */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('../workflows/failure-converter.ts', import.meta.url));

/** The one data converter of the client, the worker, the workflow bundle and the replayer. */
export function dataConverterFor(keyring: Keyring): DataConverter & { payloadCodecs: [EncryptionCodec] } {
  return { payloadCodecs: [new EncryptionCodec(keyring)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

export type { LoadedDataConverter };
