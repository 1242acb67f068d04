import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { deflated, zipOf } from '../../test/crafted-xlsx.js';
import { BoundedZip, ZipTooLarge, ZipUnreadable } from './zip.js';

const parts = [deflated('a.xml', 'é'.repeat(50_000)), deflated('b.xml', '<b/>')];

describe('BoundedZip', () => {
  it('reads each part as text through the central directory, counting what it inflates', async () => {
    const zip = new BoundedZip(zipOf(parts), 1e6);
    expect(await zip.measure(['a.xml', 'b.xml', 'absent.xml'])).toBe(100_004);
    expect(await text(zip.open('b.xml'))).toBe('<b/>');
    expect(await text(zip.open('a.xml'))).toBe('é'.repeat(50_000));
    expect(zip.inflated).toBe(100_004);
  });

  it('refuses at once what the sizes declare past the bound; past it when they lie, as it inflates', async () => {
    expect(() => new BoundedZip(zipOf(parts), 100_000)).toThrow(ZipTooLarge);
    const lying = new BoundedZip(zipOf(parts, () => 10), 100_000);
    await expect(lying.measure(['a.xml', 'b.xml'])).rejects.toBeInstanceOf(ZipTooLarge);
    await expect(text(lying.open('a.xml'))).resolves.toHaveLength(50_000);
    await expect(text(lying.open('b.xml'))).rejects.toBeInstanceOf(ZipTooLarge);
    // A part's own bound.
    await expect(text(new BoundedZip(zipOf(parts), 1e6).open('a.xml', 1000))).rejects.toBeInstanceOf(ZipTooLarge);
  });

  it('refuses what is not a zip, encrypted parts, and a part whose deflate stream is cut', async () => {
    expect(() => new BoundedZip(Buffer.from('not a zip at all, not even close'), 1e6)).toThrow(ZipUnreadable);
    const encrypted = zipOf(parts);
    const central = encrypted.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    encrypted.writeUInt16LE(0x0801, central + 8);
    expect(() => new BoundedZip(encrypted, 1e6)).toThrow('part a.xml is encrypted');
    const [a] = parts;
    const cut = new BoundedZip(zipOf([{ ...a, compressed: a.compressed.subarray(0, a.compressed.length - 20) }]), 1e6);
    await expect(text(cut.open('a.xml'))).rejects.toThrow();
  });
});
