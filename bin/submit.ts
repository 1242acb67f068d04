// npm run submit -- <case.json> [more.json …]
// Posts each case file's invoice (and receivedOn) to the running API (API_URL, default http://127.0.0.1:3000),
// waits for the decisions and prints one line per invoice. Exit 0 when all were decided, 1 otherwise.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadConfig } from '../config.js';
import { unwrapCaseFile } from '../rules/case-file.js';

const { apiUrl: api, apiKey } = loadConfig(process.env).submit;
const files = process.argv.slice(2).filter((a) => a !== '--');
if (files.length === 0) {
  console.error('usage: npm run submit -- <case.json> [more.json …]   (API_URL, default http://127.0.0.1:3000)');
  process.exit(2);
}
const headers: Record<string, string> = { 'content-type': 'application/json' };
if (apiKey) headers.authorization = `Bearer ${apiKey}`;

let failed = 0;
for (const file of files) {
  const c = unwrapCaseFile(JSON.parse(await readFile(file, 'utf8'))) as { invoice: { archiveKey: string }; receivedOn?: string };
  const res = await fetch(`${api}/api/invoices`, { method: 'POST', headers, body: JSON.stringify({ invoice: c.invoice, receivedOn: c.receivedOn }) });
  const receipt = (await res.json()) as { id?: string; message?: string };
  if (res.status !== 202) {
    failed++;
    console.log(`${basename(file)}: HTTP ${res.status} ${receipt.message ?? ''}`);
    continue;
  }
  let view: { status: string; motif: string | null; route: string | null } | undefined;
  for (let i = 0; i < 100; i++) {
    view = (await (await fetch(`${api}/api/invoices/${receipt.id}`, { headers })).json()) as typeof view;
    if (view!.status !== 'analyzing') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!view || view.status === 'analyzing') failed++;
  console.log(`${basename(file)}: ${receipt.id} → ${view?.status}${view?.motif ? ` · ${view.motif}` : ''}${view?.route ? ` · ${view.route}` : ''}`);
}
process.exit(failed ? 1 : 0);
