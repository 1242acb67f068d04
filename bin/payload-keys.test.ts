import { execFile } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { EncryptionCodec, loadKeyring } from '../activities/encryption.js';

const run = (dataDir: string, ...args: string[]) => promisify(execFile)('npx', ['tsx', 'bin/payload-keys.ts', ...args], {
  cwd: join(import.meta.dirname, '..'), env: { ...process.env, DATA_DIR: dataDir, PAYLOAD_KEYS: '', PAYLOAD_KEYS_FILE: '' },
});

describe('npm run payload-keys', () => {
  it('rotate: a new active key, the old one kept, so that what it encrypted still decrypts', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pk-')), 'data');
    const before = loadKeyring({ dataDir: dir });
    const [old] = new EncryptionCodec(before).encodeSync([defaultPayloadConverter.toPayload({ nir: '1850369123045' }) as Payload]);
    const { stdout } = await run(dir, 'rotate');
    const after = loadKeyring({ dataDir: dir });
    expect(after.activeKeyId).not.toBe(before.activeKeyId);
    expect(stdout).toContain(`${after.activeKeyId} now encrypts`);
    expect([...after.keys.keys()]).toEqual([after.activeKeyId, before.activeKeyId]);
    expect(statSync(join(dir, 'payload-keys')).mode & 0o777).toBe(0o600);
    expect(defaultPayloadConverter.fromPayload(new EncryptionCodec(after).decodeSync([old!])[0]!)).toEqual({ nir: '1850369123045' });
    const listed = (await run(dir, 'list')).stdout;
    expect(listed).toMatch(new RegExp(`^${after.activeKeyId}  \\(active: encrypts\\)\\n${before.activeKeyId}\\n$`));
    expect(listed).not.toMatch(/[A-Za-z0-9+/]{40,}/); // never the key material
  }, 60_000);
});
