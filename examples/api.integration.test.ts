// Every example submitted through the API, against the demo database (all examples' reference data together),
// is decided exactly as `npm run analyze` decides it from its own file.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rulesVersion } from '../activities/rules-version.js';
import { analyzeCase } from '../rules/testing/cases.js';
import { createPipeline, type Pipeline, type RunningApi } from '../test/harness.js';
import { exampleUniverse, loadExampleCases } from './universe.js';

const cases = loadExampleCases();
let p: Pipeline;
let api: RunningApi;

beforeAll(async () => {
  p = await createPipeline('examples', exampleUniverse());
  api = await p.startApi();
}, 120_000);
afterAll(async () => {
  await p?.close();
});

describe('examples/cases through the API', () => {
  it(`all ${cases.length} are decided as npm run analyze decides them`, async () => {
    for (const { caseFile } of cases) {
      const res = await api.fetch('/api/invoices', { method: 'POST', role: 'submitter', json: { invoice: caseFile.invoice, receivedOn: caseFile.receivedOn } });
      expect(res.status).toBe(202);
    }
    for (const { file, caseFile } of cases) {
      const id = caseFile.invoice.archiveKey;
      let body: { status: string; decision: unknown } | undefined;
      for (let i = 0; i < 1200; i++) {
        body = (await (await api.fetch(`/api/invoices/${id}`)).json()) as typeof body;
        if (body!.status !== 'analyzing') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect({ file, decision: body!.decision }).toEqual({ file, decision: { ...(await analyzeCase(caseFile)), rulesVersion: rulesVersion() } });
    }
  }, 180_000);
});
