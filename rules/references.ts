// The reference facts an analysis read, as the ports answered them: recorded when a claim is decided, so that a
// back-test (rules/backtest.ts) runs today's rules on the data of that day — a rule change is not confused with
// reference data that changed since.
//
// A recording is the list of calls: port, method, arguments, answer. Replaying answers the same calls with the same
// answers; a call the recording does not hold (new rules that look something else up) is answered by the current
// ports when there are any, and counted, or else found missing.
// Pure: the workflow sandbox never imports it, but nothing here would stop it.

import type { Ports } from './ports.js';

export type PortName = keyof Ports;

export interface RecordedCall {
  port: PortName;
  method: string;
  args: unknown[];
  result: unknown;
}

/** What a claim's analysis read of the reference data, in the order it read it. */
export interface ReferenceRecording {
  calls: RecordedCall[];
}

const PORTS: readonly PortName[] = ['agica', 'protips', 'valerys', 'agaps'];

/** Every port method, and whether it answers with a list (its « nothing found » is `[]`, else `null`). */
const LIST_RESULTS: { [P in PortName]: Record<keyof Ports[P] & string, boolean> } = {
  agica: { findInvoiceRecords: true },
  protips: { findBeneficiaryByNir: false, findBeneficiariesByName: true },
  valerys: { findCatalogueEntries: true, findPaymentsForActs: true, findInsurer: false },
  agaps: { findPractitioner: false },
};

/** Ports whose every method answers through `answer` (the port, the method and the call's arguments). */
function portsOf(answer: (port: PortName, method: string, args: unknown[]) => Promise<unknown>): Ports {
  const ports = {} as Record<PortName, Record<string, (...args: unknown[]) => Promise<unknown>>>;
  for (const port of PORTS) {
    ports[port] = {};
    for (const method of Object.keys(LIST_RESULTS[port])) ports[port][method] = (...args: unknown[]) => answer(port, method, args);
  }
  return ports as unknown as Ports;
}

/** One lookup of `ports`, called on its port object. */
function lookUp(ports: Ports, port: PortName, method: string, args: unknown[]): Promise<unknown> {
  const target = ports[port] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  return target[method]!.apply(target, args);
}

const callKey = (port: string, method: string, args: unknown[]) => `${port}.${method}:${JSON.stringify(args)}`;

/**
 * Ports that answer as `ports` do and keep each distinct call and its answer (copied as JSON, as stored); a call made
 * again is answered from what was kept, without a second lookup — one analysis reads one state of the data.
 */
export function recordingPorts(ports: Ports): { ports: Ports; recording(): ReferenceRecording } {
  const calls = new Map<string, RecordedCall>();
  const recorded = portsOf(async (port, method, args) => {
    const key = callKey(port, method, args);
    // The same lookup again in this analysis (G2 and the routing both read the PS…): answered as it was.
    const seen = calls.get(key);
    if (seen) return copy(seen.result);
    const result = await lookUp(ports, port, method, args);
    calls.set(key, { port, method, args: copy(args), result: copy(result ?? null) });
    return result;
  });
  return { ports: recorded, recording: () => ({ calls: [...calls.values()] }) };
}

/** The facts a back-test ran on: all recorded, some from today's data, or some not known at all. */
export interface ReplayCounts {
  /** Calls answered from the recording. */
  recorded: number;
  /** Calls the recording did not hold, answered by today's reference data. */
  current: number;
  /** Calls neither could answer (no current ports given): answered as « nothing found ». */
  missing: number;
}

/**
 * Ports that answer from a recording. A call it does not hold goes to `current` (today's data) when given, else is
 * answered as nothing found (null, or an empty list for the lookups that return lists) and counted as missing.
 * Answers are copies, unless `owned`: the recording was read for this replay alone (a row just read), and its answers
 * are handed out as they are the first time — copied only when the same call comes again.
 */
export function replayingPorts(
  recording: ReferenceRecording,
  current: Ports | null,
  options: { owned?: boolean } = {},
): { ports: Ports; counts: ReplayCounts } {
  const answers = new Map<string, unknown>();
  for (const call of recording.calls) answers.set(callKey(call.port, call.method, call.args), call.result);
  // Answers handed out already: any later use gets a copy (an `owned` recording gives each answer once as it is).
  const given = new Set<string>();
  const counts: ReplayCounts = { recorded: 0, current: 0, missing: 0 };
  const replayed = portsOf(async (port, method, args) => {
    const key = callKey(port, method, args);
    if (answers.has(key)) {
      counts.recorded++;
      const answer = answers.get(key);
      if (answer === undefined || answer === null) return null;
      if (options.owned && !given.has(key)) {
        given.add(key);
        return answer;
      }
      // A copy, so that rules changing an answer never change the next (nor the recording): JSON, as recorded
      // (and faster than structuredClone on these small objects — the back-test's hot path).
      return copy(answer);
    }
    if (current) {
      counts.current++;
      return lookUp(current, port, method, args);
    }
    counts.missing++;
    return (LIST_RESULTS[port] as Record<string, boolean>)[method] ? [] : null;
  });
  return { ports: replayed, counts };
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
