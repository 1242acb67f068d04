import { writeFile } from 'node:fs/promises';
import { sampleRow, trameBuffer } from './activities/trame/testing.ts';
const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `mot${i % 10}`).join(' ') + ` fin${tag}`;
const rows = Array.from({ length: 40 }, (_, i) => sampleRow({ archiveKey: String(2870044700 + i), reply: words(5 + (i % 8) * 25, String(i)) }));
await writeFile('/tmp/lo/trame.xlsx', await trameBuffer(rows));
