// The Trame printed by a real spreadsheet: LibreOffice (Debian libreoffice-calc-nogui) turns a written Trame into a
// PDF, read back with poppler-utils (pdfinfo, pdftotext, pdffonts). What a manager gets on paper: A4 landscape pages,
// every column on each page of « Motifs externalisés » (fit to width), the header rows printed again on every page,
// each row as tall as its wrapped reply (the whole reply printed, not cut nor drawn over the next row), one font.
// CI installs both packages (.ci/run); elsewhere the file is skipped with a warning when they are missing.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleRow, trameBuffer } from './testing.js';
import { REPLY_TITLE, TRAME_COLUMNS } from './write.js';

const run = promisify(execFile);
const TOOLS = ['/usr/bin/soffice', '/usr/bin/pdftotext', '/usr/bin/pdfinfo', '/usr/bin/pdffonts'];
const available = TOOLS.every((tool) => existsSync(tool));
if (!available && process.env.CI) throw new Error('LibreOffice and poppler-utils are required in CI: apt-get install -y libreoffice-calc-nogui poppler-utils');
if (!available) console.warn('Trame print tests skipped: apt-get install -y libreoffice-calc-nogui poppler-utils');

/** Rows whose replies grow from one line to about a dozen, each ending with its own marker. */
const ROWS = 36;
const marker = (i: number) => `finligne${i}`;
const reply = (i: number) => `${Array.from({ length: 5 + (i % 8) * 22 }, (_, w) => `mot${w % 10}`).join(' ')} ${marker(i)}`;
const FIRST_HEADER = TRAME_COLUMNS[0]!.header;
const LAST_HEADER = TRAME_COLUMNS.at(-1)!.header;

let dir: string;
let pages: string[] = [];
let sizes: string[] = [];
let fonts: string[] = [];

beforeAll(async () => {
  if (!available) return;
  dir = await mkdtemp(join(tmpdir(), 'trame-print-'));
  const rows = Array.from({ length: ROWS }, (_, i) => sampleRow({ archiveKey: String(2870044700 + i), reply: reply(i) }));
  await writeFile(join(dir, 'trame.xlsx'), await trameBuffer(rows));
  // Its own profile: no lock shared with another LibreOffice of the machine.
  await run('/usr/bin/soffice', [`-env:UserInstallation=file://${join(dir, 'profile')}`, '--headless', '--norestore',
    '--convert-to', 'pdf', '--outdir', dir, join(dir, 'trame.xlsx')], { timeout: 170_000 });
  const pdf = join(dir, 'trame.pdf');
  const info = (await run('/usr/bin/pdfinfo', ['-f', '1', '-l', '999', pdf])).stdout;
  sizes = [...info.matchAll(/^Page\s+\d+ size:\s+(.*)$/gm)].map((m) => m[1]!);
  pages = (await run('/usr/bin/pdftotext', ['-layout', pdf, '-'])).stdout.split('\f').filter((page) => page.trim());
  fonts = (await run('/usr/bin/pdffonts', [pdf])).stdout.split('\n').slice(2).filter(Boolean).map((line) => line.split(/\s+/)[0]!);
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const mainPages = () => pages.filter((page) => !page.includes(REPLY_TITLE));
const replyPages = () => pages.filter((page) => page.includes(REPLY_TITLE));

describe.skipIf(!available)('the Trame printed by LibreOffice', () => {
  it('is A4 landscape, every page', () => {
    expect(sizes.length).toBe(pages.length);
    for (const size of sizes) expect(size).toMatch(/^841\.\d+ x 595\.\d+ pts \(A4\)$/);
  });

  it('« Motifs externalisés »: every column on each page, the header row printed again on each', () => {
    expect(mainPages().length).toBeGreaterThanOrEqual(2);
    for (const page of mainPages()) {
      expect(page).toContain(FIRST_HEADER);
      expect(page).toContain(LAST_HEADER);
    }
  });

  it('« Réponse au PS »: its title and headers on each page', () => {
    expect(replyPages().length).toBeGreaterThanOrEqual(2);
    for (const page of replyPages()) expect(page).toContain('REPONSE A VOTRE RECLAMATION');
  });

  it('prints each reply whole, once per sheet: the rows are as tall as their wrapped text', () => {
    const count = (text: string, i: number) => text.match(new RegExp(`\\b${marker(i)}\\b`, 'g'))?.length ?? 0;
    const main = mainPages().join('\n');
    const replies = replyPages().join('\n');
    const missing = Array.from({ length: ROWS }, (_, i) => i).filter((i) => count(main, i) !== 1 || count(replies, i) !== 1);
    expect(missing).toEqual([]);
  });

  it('uses one font family, headers and data alike', () => {
    const families = new Set(fonts.map((name) => name.replace(/^[A-Z]{6}\+/, '').replace(/[-,](Bold|Italic|BoldItalic|Regular)$/i, '')));
    expect(families.size).toBe(1);
  });
});
