// Bad text never enters, no request makes a 500: a control character or a lone surrogate in every string of a valid
// claim (and in unknown properties), infinite numbers, huge offsets, %00 and malformed percent-encoding in every
// query parameter and every path parameter of the API (routes read from its OpenAPI document), over real HTTP.

import { readFileSync } from 'node:fs';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceWorkflowId } from '../workflows/contract.js';
import { createPipeline, type Pipeline, type RunningApi } from '../test/harness.js';
import { MAX_OFFSET } from './schemas.js';

const KEY = '5100000001';
const EXAMPLE = 'erreur_contenu_facture--codes_actes_differents.json';

let p: Pipeline;
let api: RunningApi;
/** Every status answered in this file: none may be a 500. */
const statuses: { request: string; status: number }[] = [];

beforeAll(async () => {
  p = await createPipeline('input');
  api = await p.startApi();
}, 120_000);
afterAll(async () => {
  expect(statuses.filter((s) => s.status >= 500)).toEqual([]);
  await p?.close();
});

type Json = any;

/** A valid claim: an example's invoice (the one with the most strings) under a critère of this file. */
function validBody(): Json {
  const example = JSON.parse(readFileSync(new URL(`../examples/cases/${EXAMPLE}`, import.meta.url), 'utf8')).case;
  return {
    invoice: { ...example.invoice, archiveKey: KEY, taskMismatch: 'Montant différent du récapitulatif' },
    receivedOn: example.receivedOn,
    batchId: 'lot-input-1',
  };
}

/** The path of every leaf of `value` for which `keep` holds, as the API names fields (`invoice.acts[0].code`). */
function leaves(value: Json, keep: (leaf: unknown) => boolean, path: (string | number)[] = []): (string | number)[][] {
  if (keep(value)) return [path];
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, keep, [...path, Array.isArray(value) ? Number(k) : k]));
  }
  return [];
}
const fieldName = (path: (string | number)[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
function setAt(body: Json, path: (string | number)[], value: unknown): void {
  let target = body;
  for (const p of path.slice(0, -1)) target = target[p];
  target[path[path.length - 1]!] = value;
}

async function send(method: string, url: string, init: { body?: string; json?: unknown } = {}) {
  const headers = init.body !== undefined ? { 'content-type': 'application/json' } : undefined;
  const res = await api.fetch(url, { method, headers, body: init.body, json: init.json });
  statuses.push({ request: `${method} ${url}`, status: res.status });
  const text = await res.text();
  let body: Json = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: reported by the assertions on it
  }
  return { status: res.status, body };
}

async function expectRefused(method: string, url: string, field: string, init: { body?: string; json?: unknown } = {}) {
  const res = await send(method, url, init);
  expect({ request: `${method} ${url}`, status: res.status }).toEqual({ request: `${method} ${url}`, status: 400 });
  expect(res.body).toMatchObject({ code: 'invalid_request', title: 'Requête invalide', type: '/problems/invalid_request', status: res.status });
  expect(res.body.message).toMatch(/^Requête invalide : /);
  expect(res.body.errors[0].path).toBe(field);
  expect(res.body.message).toContain(field);
  return res.body;
}

describe('POST /api/invoices: a bad character in any string → 400 naming the field', () => {
  const strings = leaves(validBody(), (v) => typeof v === 'string');

  it('the example has strings everywhere: dates, codes, names, lists', () => {
    expect(strings.map(fieldName)).toEqual(expect.arrayContaining([
      'invoice.archiveKey', 'invoice.beneficiary.lastName', 'invoice.acts[0].code', 'invoice.documents[0].actCodes[0]',
      'invoice.adeliNumbers[0]', 'invoice.taskMismatch', 'receivedOn', 'batchId',
    ]));
  });

  for (const bad of ['\u0000', '\u001f', '\ud800']) {
    it(`${JSON.stringify(bad)} in each of the claim's strings`, async () => {
      for (const path of strings) {
        const body = validBody();
        const original = path.reduce((v: Json, k) => v[k], body) as string;
        setAt(body, path, `${original.slice(0, 1)}${bad}${original.slice(1)}`);
        await expectRefused('POST', '/api/invoices', fieldName(path), { json: body });
      }
    });
  }

  it('in unknown properties too, at any depth, and in their names', async () => {
    const cases: [Json, string][] = [
      [{ ...validBody(), note: 'a\u0000' }, 'note'],
      [(() => { const b = validBody(); b.invoice.internal = { list: ['ok', 'x\u001f'] }; return b; })(), 'invoice.internal.list[1]'],
      [(() => { const b = validBody(); b.invoice.beneficiary.extra = '\ud800'; return b; })(), 'invoice.beneficiary.extra'],
      [(() => { const b = validBody(); b.invoice.flags['x\u0000'] = true; return b; })(), 'invoice.flags'],
    ];
    for (const [body, field] of cases) await expectRefused('POST', '/api/invoices', field, { json: body });
  });

  it('a 900 000-character name → 400, not stored', async () => {
    const body = validBody();
    body.invoice.beneficiary.lastName = 'L'.repeat(900_000);
    const refused = await expectRefused('POST', '/api/invoices', 'invoice.beneficiary.lastName', { json: body });
    expect(refused.errors[0].message).toBe("doit être un texte d'au plus 100 caractères");
  });

  it('1e999 (Infinity once parsed) in each amount → 400 naming it', async () => {
    const numbers = leaves(validBody(), (v) => typeof v === 'number');
    expect(numbers.map(fieldName)).toEqual(expect.arrayContaining(['invoice.totalAmount', 'invoice.acts[0].amount']));
    for (const path of numbers) {
      const body = validBody();
      setAt(body, path, '__INFINITE__');
      for (const infinite of ['1e999', '-1e999']) {
        await expectRefused('POST', '/api/invoices', fieldName(path), { body: JSON.stringify(body).replace('"__INFINITE__"', infinite) });
      }
    }
  });

  it('none of them started a workflow nor left a row; the claim itself is accepted', async () => {
    await expect(p.client.workflow.getHandle(invoiceWorkflowId(KEY)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await p.invoices.get(KEY)).toBeNull();
    // The claim every request above was made from is valid (its batchId names an open batch: left out here).
    const { batchId: _batch, ...claim } = validBody();
    const res = await send('POST', '/api/invoices', { json: claim });
    expect(res.status).toBe(202);
  });
});

describe('query strings and paths of every route', () => {
  let spec: { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
  beforeAll(async () => {
    spec = await (await fetch(`${api.base}/docs/json`)).json() as typeof spec;
  });
  const listRoutes = () => Object.entries(spec.paths).flatMap(([path, methods]) => {
    const names = (methods.get?.parameters ?? []).filter((q) => q.in === 'query').map((q) => q.name);
    // Path parameters given valid values: what is checked here is the query string.
    const concrete = path.replace('{id}', '2000000001').replace('{workflowId}', 'invoice-2000000001');
    return names.length ? [{ path: concrete, names }] : [];
  });
  /** The lists paged by offset and limit. */
  const pagedRoutes = () => listRoutes().filter((r) => r.names.includes('offset'));
  const idRoutes = () => Object.entries(spec.paths).filter(([path]) => path.includes('{id}'))
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));

  it('every list route bounds offset and limit, and refuses non-finite numbers', async () => {
    expect(pagedRoutes().map((r) => r.path).sort()).toEqual(['/api/invoices', '/api/outbox', '/api/tasks']);
    for (const { path, names } of pagedRoutes()) {
      expect(names).toEqual(expect.arrayContaining(['limit', 'offset']));
      await expectRefused('GET', `${path}?offset=1e20`, 'query.offset');
      await expectRefused('GET', `${path}?offset=${MAX_OFFSET + 1}`, 'query.offset');
      await expectRefused('GET', `${path}?limit=1e999`, 'query.limit');
      await expectRefused('GET', `${path}?offset=-1e999`, 'query.offset');
      const deepest = await send('GET', `${path}?offset=${MAX_OFFSET}`);
      expect(deepest.status).toBe(200);
      expect(deepest.body.items).toEqual([]);
    }
  });

  it('%00, %1F and malformed percent-encoding in each query parameter → 400 naming it', async () => {
    expect(listRoutes().length).toBeGreaterThanOrEqual(7); // the lists, the audit log and its export, history exports
    for (const { path, names } of listRoutes()) {
      for (const name of names) {
        for (const bad of ['%00', 'a%1Fb', '%E0%A4%A', '%ZZ', '%ED%A0%80']) await expectRefused('GET', `${path}?${name}=${bad}`, `query.${name}`);
      }
      await expectRefused('GET', `${path}?%00=1`, 'query');
      await expectRefused('GET', `${path}?%E0%A4%A=1`, 'query');
    }
  });

  it('%00 and malformed percent-encoding in the id of every route that takes one → 400', async () => {
    expect(idRoutes().length).toBeGreaterThanOrEqual(10);
    for (const { method, path } of idRoutes()) {
      await expectRefused(method, path.replace('{id}', '%00'), 'params.id');
      await expectRefused(method, path.replace('{id}', '2000000001%00'), 'params.id');
      await expectRefused(method, path.replace('{id}', '%E0%A4%A'), 'params');
    }
    await expectRefused('GET', '/console/taches/%00', 'params.*');
    await expectRefused('GET', '/console/%E0%A4%A', 'params');
  });

  it('anywhere else, %00 or malformed percent-encoding is never a 500', async () => {
    for (const url of [
      '/%00', '/api/%00', '/api/invoices/%00/nothing', '/docs/%00', '/docs/static/%00', '/docs/static/%E0%A4%A',
      '/console/%00.js', '/health?x=%00', '/api/motifs?x=%E0%A4%A', '/api/session?%00',
    ]) {
      expect((await send('GET', url)).status, url).toBeLessThan(500);
    }
  });

  it('the resolve comment: tab and line breaks are text, a control character is not', async () => {
    // No such task: a 404 means the body was accepted.
    const accepted = await send('POST', '/api/tasks/5100000009-1/resolve', { json: { action: 'close', comment: 'contrôle fait\tle 05/01\r\nvoir pièce\n' } });
    expect(accepted.status).toBe(404);
    for (const bad of ['\u0000', '\u0007', '\u001b[31m', '\ud800']) {
      await expectRefused('POST', '/api/tasks/5100000009-1/resolve', 'comment', { json: { action: 'close', comment: `contrôle${bad}` } });
    }
  });
});
