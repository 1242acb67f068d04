// Every example submitted through the API, against the demo database (all examples' reference data together),
// is decided exactly as `npm run analyze` decides it from its own file.

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { analyzeCase } from '../rules/testing/cases.js';
import { createPipeline, type Pipeline } from '../test/harness.js';
import { exampleUniverse, loadExampleCases } from './universe.js';

const cases = loadExampleCases();
let p: Pipeline;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  p = await createPipeline('examples', exampleUniverse());
  app = await buildApp({ client: p.client, database: p.database, invoices: p.invoices, service: p.service });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await p?.close();
});

describe('examples/cases through the API', () => {
  it(`all ${cases.length} are decided as npm run analyze decides them`, async () => {
    for (const { caseFile } of cases) {
      const res = await fetch(`${base}/api/invoices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invoice: caseFile.invoice, receivedOn: caseFile.receivedOn }),
      });
      expect(res.status).toBe(202);
    }
    for (const { file, caseFile } of cases) {
      const id = caseFile.invoice.archiveKey;
      let body: { status: string; decision: unknown } | undefined;
      for (let i = 0; i < 300; i++) {
        body = (await (await fetch(`${base}/api/invoices/${id}`)).json()) as typeof body;
        if (body!.status !== 'analyzing') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect({ file, decision: body!.decision }).toEqual({ file, decision: await analyzeCase(caseFile) });
    }
  }, 180_000);
});
