// The parts of an uploaded .xlsx (a zip), read with a bound on what they inflate to.
//
// An .xlsx of 1 MB can inflate to gigabytes (a « zip bomb »), and a crafted zip can declare small sizes in its
// central directory while its deflate streams say otherwise. So the sizes the zip declares are only a first, quick
// refusal; the bound that holds is on the bytes actually inflated, counted as they come out of zlib, across every
// part read: past `maxUncompressedBytes` the reading fails with a `ZipTooLarge`, having held at most one chunk.
//
// Parts are found through the central directory (at the end of the file), so their order in the file does not
// matter: Excel, LibreOffice and exceljs each write them in their own order.

import { PassThrough, Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

/** The parts inflated past the bound (or declared so). */
export class ZipTooLarge extends Error {
  override readonly name = 'ZipTooLarge';
  constructor(readonly maxBytes: number, readonly declared: boolean) {
    super(`the workbook inflates to more than ${maxBytes} bytes${declared ? ' (declared sizes)' : ''}`);
  }
}

/** Not a zip this reader accepts (truncated, encrypted, an unknown compression, a part inflating with an error). */
export class ZipUnreadable extends Error {
  override readonly name = 'ZipUnreadable';
}

interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
/** An .xlsx has a few dozen parts; a zip with more is not a Trame. */
const MAX_ENTRIES = 10_000;
const CHUNK = 64 * 1024;

/** The parts a zip's central directory lists, in its order (zip64 included). Throws `ZipUnreadable`. */
export function zipEntries(zip: Buffer): Map<string, Entry> {
  if (zip.length < 22) throw new ZipUnreadable('not a zip file');
  let end = zip.length - 22;
  const lowest = Math.max(0, zip.length - 22 - 0xffff);
  while (end >= lowest && zip.readUInt32LE(end) !== END_OF_CENTRAL_DIRECTORY) end--;
  if (end < lowest) throw new ZipUnreadable('not a zip file (no end of central directory)');
  let count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  if ((count === 0xffff || at === 0xffffffff) && end >= 20 && zip.readUInt32LE(end - 20) === ZIP64_END_LOCATOR) {
    const zip64 = Number(zip.readBigUInt64LE(end - 20 + 8));
    if (zip64 + 56 > zip.length || zip.readUInt32LE(zip64) !== ZIP64_END) throw new ZipUnreadable('bad zip64 end of central directory');
    count = Number(zip.readBigUInt64LE(zip64 + 32));
    at = Number(zip.readBigUInt64LE(zip64 + 48));
  }
  if (count > MAX_ENTRIES) throw new ZipUnreadable(`more than ${MAX_ENTRIES} parts`);
  const found = new Map<string, Entry>();
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL_HEADER) throw new ZipUnreadable('truncated central directory');
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    let compressedSize = zip.readUInt32LE(at + 20);
    let uncompressedSize = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    let localOffset = zip.readUInt32LE(at + 42);
    if (at + 46 + nameLength + extraLength > zip.length) throw new ZipUnreadable('truncated central directory');
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength).replace(/^\//, '');
    // Zip64: the real sizes and offset in the extra field, in this order, for the fields set to 0xffffffff.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = zip.readUInt16LE(extra);
      const size = zip.readUInt16LE(extra + 2);
      if (id === 0x0001) {
        let field = extra + 4;
        const next = () => {
          if (field + 8 > extra + 4 + size) throw new ZipUnreadable('bad zip64 extra field');
          const value = Number(zip.readBigUInt64LE(field));
          field += 8;
          return value;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      extra += 4 + size;
    }
    if (flags & 0x1) throw new ZipUnreadable(`part ${name} is encrypted`);
    if (method !== 0 && method !== 8) throw new ZipUnreadable(`part ${name} uses compression method ${method}`);
    found.set(name, { name, method, compressedSize, uncompressedSize, localOffset });
    at = extraEnd + commentLength;
  }
  return found;
}

/** Counts the bytes going through against the archive's bound (and the part's own, when it has one). */
class Counter extends Transform {
  private read_ = 0;
  constructor(private readonly zip: BoundedZip, private readonly partMax: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.read_ += chunk.length;
    if (!this.zip.count(chunk.length) || this.read_ > this.partMax) {
      callback(new ZipTooLarge(Math.min(this.zip.maxBytes, this.partMax), false));
      return;
    }
    callback(null, chunk);
  }
}

/**
 * A part's bytes as stored (compressed with `part.method`), found through its local header. The compressed size
 * declared may lie too: the deflate stream says where it ends (a short one fails to inflate).
 */
export function storedData(zip: Buffer, part: Entry): Buffer {
  const local = part.localOffset;
  if (local + 30 > zip.length || zip.readUInt32LE(local) !== LOCAL_HEADER) throw new ZipUnreadable(`bad local header of ${part.name}`);
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  return zip.subarray(start, Math.min(zip.length, start + part.compressedSize));
}

/** The parts of a zip held in memory, each readable once as a stream of text, all of them within one bound. */
export class BoundedZip {
  private readonly parts: Map<string, Entry>;
  private inflatedBytes = 0;

  /** Throws `ZipUnreadable` (not a zip) or `ZipTooLarge` (its parts declare more than the bound). */
  constructor(private readonly zip: Buffer, readonly maxBytes: number) {
    this.parts = zipEntries(zip);
    let declared = 0;
    for (const part of this.parts.values()) declared += part.uncompressedSize;
    if (declared > maxBytes) throw new ZipTooLarge(maxBytes, true);
  }

  /** Bytes inflated so far, by every part read. */
  get inflated(): number {
    return this.inflatedBytes;
  }

  /** False once the bound is passed. */
  count(bytes: number): boolean {
    this.inflatedBytes += bytes;
    return this.inflatedBytes <= this.maxBytes;
  }

  has(name: string): boolean {
    return this.parts.has(name);
  }

  /**
   * Inflates these parts (those present) and counts their bytes, keeping none: past the bound it stops at once and
   * throws `ZipTooLarge`. zlib runs off the event loop; a legit Trame's parts take a fraction of a second.
   */
  async measure(names: string[]): Promise<number> {
    let total = 0;
    for (const name of names) {
      if (!this.parts.has(name)) continue;
      const stream = this.inflate(name);
      try {
        for await (const chunk of stream) {
          total += (chunk as Buffer).length;
          if (total > this.maxBytes) throw new ZipTooLarge(this.maxBytes, false);
        }
      } finally {
        stream.destroy();
      }
    }
    return total;
  }

  /**
   * The part's content as UTF-8 text (decoded across chunk boundaries), inflated as it is read. The stream fails with
   * `ZipTooLarge` past the bound (or past `maxBytes` for this part alone), with zlib's error when the part is corrupt.
   */
  open(name: string, maxBytes = Number.POSITIVE_INFINITY): Readable {
    const text = new PassThrough();
    text.setEncoding('utf8');
    // Any failure (the bound, a corrupt deflate stream) or the reader giving up destroys every stage: zlib stops.
    pipeline(this.inflate(name), new Counter(this, maxBytes), text, () => undefined);
    return text;
  }

  /** The part's bytes, inflated. */
  private inflate(name: string): Readable {
    const part = this.parts.get(name);
    if (!part) throw new ZipUnreadable(`no part ${name}`);
    const data = storedData(this.zip, part);
    const source = Readable.from((function* chunks() {
      for (let i = 0; i < data.length; i += CHUNK) yield data.subarray(i, i + CHUNK);
    })(), { objectMode: false });
    if (part.method === 0) return source;
    const inflate = createInflateRaw();
    pipeline(source, inflate, () => undefined);
    return inflate;
  }
}
