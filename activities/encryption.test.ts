import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import {
  EncryptionCodec, formatKeyring, isEncrypted, keyIdOf, loadKeyring, newKey, parseKeyring, PayloadDecryptionError,
  type Keyring,
} from './encryption.js';

const ring = (...ids: string[]): Keyring => ({ activeKeyId: ids[0]!, keys: new Map(ids.map((id) => [id, newKey()])) });
const invoice = { nir: '185057800608436', lastName: 'MARTIN', firstName: 'Émilie', birthDate: '1985-05-12' };
const toPayload = (value: unknown) => defaultPayloadConverter.toPayload(value) as Payload;
const bytesOf = (payload: Payload) => Buffer.concat([
  ...Object.values(payload.metadata ?? {}).map((v) => Buffer.from(v)), Buffer.from(payload.data ?? new Uint8Array()),
]);

describe('EncryptionCodec', () => {
  it('round-trips payloads, with nothing of the value in clear, under the active key id', () => {
    const codec = new EncryptionCodec(ring('k1'));
    const [encoded] = codec.encodeSync([toPayload(invoice)]);
    expect(isEncrypted(encoded!)).toBe(true);
    expect(keyIdOf(encoded!)).toBe('k1');
    const raw = bytesOf(encoded!);
    for (const secret of Object.values(invoice)) {
      for (const form of [secret, Buffer.from(secret).toString('base64'), JSON.stringify(secret)]) expect(raw.includes(form)).toBe(false);
    }
    expect(defaultPayloadConverter.fromPayload(codec.decodeSync([encoded!])[0]!)).toEqual(invoice);
  });

  it('uses a new IV each time: the same value never gives the same ciphertext', () => {
    const codec = new EncryptionCodec(ring('k1'));
    const [a, b] = codec.encodeSync([toPayload('x'), toPayload('x')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('after a rotation, payloads of the old key still decrypt; new ones use the new key', () => {
    const old = ring('k1');
    const [before] = new EncryptionCodec(old).encodeSync([toPayload(invoice)]);
    const rotated: Keyring = { activeKeyId: 'k2', keys: new Map([['k2', newKey()], ['k1', old.keys.get('k1')!]]) };
    const codec = new EncryptionCodec(rotated);
    expect(defaultPayloadConverter.fromPayload(codec.decodeSync([before!])[0]!)).toEqual(invoice);
    expect(keyIdOf(codec.encodeSync([toPayload(1)])[0]!)).toBe('k2');
  });

  it('decodes payloads in clear as they are (histories recorded before encryption)', () => {
    const plain = toPayload(invoice);
    expect(new EncryptionCodec(ring('k1')).decodeSync([plain])[0]).toBe(plain);
  });

  it('refuses a payload of an unknown key, or altered, or relabelled with another key id', () => {
    const codec = new EncryptionCodec(ring('k1'));
    const [encoded] = codec.encodeSync([toPayload(invoice)]);
    expect(() => new EncryptionCodec(ring('k9')).decodeSync([encoded!])).toThrow(/k1.*not in the keyring/);
    const altered = { ...encoded!, data: Buffer.from(encoded!.data!) };
    altered.data[20]! ^= 1;
    expect(() => codec.decodeSync([altered])).toThrow(PayloadDecryptionError);
    expect(() => new EncryptionCodec({ activeKeyId: 'k1', keys: new Map([['k1', Buffer.alloc(32)]]) }).decodeSync([encoded!])).toThrow(PayloadDecryptionError);
    const two = ring('k1', 'k2');
    const [mine] = new EncryptionCodec(two).encodeSync([toPayload(invoice)]);
    const relabelled = { ...mine!, metadata: { ...mine!.metadata, 'encryption-key-id': new TextEncoder().encode('k2') } };
    expect(() => new EncryptionCodec(two).decodeSync([relabelled])).toThrow(/does not authenticate/);
  });
});

describe('keyrings', () => {
  it('parses id:base64 entries, the first one active, and formats them back', () => {
    const k = parseKeyring(formatKeyring(ring('new', 'old')));
    expect(k.activeKeyId).toBe('new');
    expect([...k.keys.keys()]).toEqual(['new', 'old']);
  });

  it('says what is wrong with a bad PAYLOAD_KEYS', () => {
    expect(() => parseKeyring('')).toThrow(/no key/);
    expect(() => parseKeyring('k1:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseKeyring(`k1:${newKey().toString('base64')},k1:${newKey().toString('base64')}`)).toThrow(/twice/);
    expect(() => parseKeyring(newKey().toString('base64'))).toThrow(/id:base64key/);
  });

  it('generates the embedded default once, mode 0600, and refuses to generate when a key is required', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'keys-')), 'data');
    const first = loadKeyring({ dataDir: dir });
    expect(statSync(join(dir, 'payload-keys')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(loadKeyring({ dataDir: dir }).keys.get(first.activeKeyId)).toEqual(first.keys.get(first.activeKeyId));
    expect(() => loadKeyring({ dataDir: dir, required: true })).toThrow(/PAYLOAD_KEYS/);
    const file = join(dir, 'other');
    writeFileSync(file, `# escrowed 2026-12-01\n${formatKeyring(ring('a', 'b'))}\n`);
    expect(loadKeyring(loadConfig({ PAYLOAD_KEYS_FILE: file }).payloadKeys).activeKeyId).toBe('a');
  });
});
