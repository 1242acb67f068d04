import { describe, expect, it } from 'vitest';
import { analyzeInvoice } from './analyze.js';
import { createMemoryPorts } from './memory-ports.js';
import type { Ports } from './ports.js';
import { recordingPorts, replayingPorts } from './references.js';
import { baseCase, caseWith } from './testing/cases.js';

/** Memory ports that count their lookups. */
function countingPorts(reference = baseCase().reference): { ports: Ports; count: () => number } {
  const ports = createMemoryPorts(reference) as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>;
  let n = 0;
  for (const port of Object.values(ports)) {
    for (const [name, f] of Object.entries(port)) port[name] = (...a: unknown[]) => { n++; return f(...a); };
  }
  return { ports: ports as unknown as Ports, count: () => n };
}

describe('recorded reference facts', () => {
  it('records each distinct lookup once, and answers a repeated one without looking up again', async () => {
    const c = baseCase();
    const plain = countingPorts();
    await analyzeInvoice(c.invoice, c.receivedOn, plain.ports);
    const counted = countingPorts();
    const recorder = recordingPorts(counted.ports);
    const { result } = await analyzeInvoice(c.invoice, c.receivedOn, recorder.ports);
    expect(result.outcome).toBe('paid');
    const calls = recorder.recording().calls;
    expect(new Set(calls.map((k) => `${k.port}.${k.method}:${JSON.stringify(k.args)}`)).size).toBe(calls.length);
    expect(counted.count()).toBe(calls.length);
    expect(counted.count()).toBeLessThan(plain.count()); // the catalogue is read by several steps
    expect(new Set(calls.map((k) => k.port))).toEqual(new Set(['agica', 'protips', 'valerys', 'agaps']));
  });

  it('a replay answers from the recording, whatever the data became', async () => {
    const c = baseCase();
    const recorder = recordingPorts(createMemoryPorts(c.reference));
    const before = await analyzeInvoice(c.invoice, c.receivedOn, recorder.ports);
    // Since then the beneficiary left PROTIPS: today's data would decide otherwise.
    const today = createMemoryPorts({ ...c.reference, beneficiaries: [] });
    expect((await analyzeInvoice(c.invoice, c.receivedOn, today)).result.outcome).not.toBe('paid');
    const replay = replayingPorts(recorder.recording(), today);
    expect((await analyzeInvoice(c.invoice, c.receivedOn, replay.ports)).result).toEqual(before.result);
    expect(replay.counts).toMatchObject({ current: 0, missing: 0 });
    expect(replay.counts.recorded).toBeGreaterThan(0);
  });

  it('a lookup the recording lacks goes to today\'s data when given, else is answered « nothing found » and counted', async () => {
    const c = caseWith((x) => { x.invoice.practitionerNumber = '690012345'; });
    const recording = recordingPorts(createMemoryPorts(c.reference)).recording(); // nothing recorded
    const withCurrent = replayingPorts(recording, createMemoryPorts(c.reference));
    expect(await withCurrent.ports.agaps.findPractitioner(c.invoice.practitionerNumber!)).not.toBeNull();
    expect(withCurrent.counts).toEqual({ recorded: 0, current: 1, missing: 0 });
    const alone = replayingPorts(recording, null);
    expect(await alone.ports.agaps.findPractitioner('690012345')).toBeNull();
    expect(await alone.ports.agica.findInvoiceRecords('F1', 'X')).toEqual([]);
    expect(alone.counts).toEqual({ recorded: 0, current: 0, missing: 2 });
  });
});
