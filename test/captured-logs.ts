// A log destination that keeps what is written to it (tests of the loggers: logging.ts, api/logging.ts).

import { Writable } from 'node:stream';

export interface CapturedLogs {
  /** Each line as written. */
  lines: string[];
  /** The destination to give a logger (pino's, fastify's `stream`). */
  destination: Writable;
  /** Each line as JSON. */
  parsed(): Record<string, any>[];
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, destination, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, any>) };
}
