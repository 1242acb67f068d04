// Decoding a workflow history for the people allowed to read it: every encrypted payload in it (inputs, results,
// markers, signals, Updates, memo, failures' encoded attributes) decrypted in place, and failures' messages and
// stack traces put back where the encoded-attributes failure converter took them from. What comes out is the
// history as it would be without encryption: the timeline reads it, the decoded export serves it.

import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { decode } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import { ENCRYPTED_ENCODING } from './encryption.js';

const ENCRYPTED = new TextEncoder().encode(ENCRYPTED_ENCODING);

function sameBytes(a: unknown, b: Uint8Array): boolean {
  if (!(a instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A payload (protobuf object form) whose encoding says it is encrypted. */
export function isEncryptedPayload(value: unknown): value is Payload {
  const metadata = (value as { metadata?: Record<string, unknown> } | null)?.metadata;
  return typeof metadata === 'object' && metadata !== null && sameBytes(metadata[METADATA_ENCODING_KEY], ENCRYPTED);
}

/** Encrypted payloads met while walking `value`, with the place to put each one back. */
function collect(value: unknown, found: { holder: Record<string, unknown> | unknown[]; key: string | number; payload: Payload }[]): void {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, child] of entries) {
    if (isEncryptedPayload(child)) found.push({ holder: value as Record<string, unknown>, key, payload: child });
    else collect(child, found);
  }
}

/** Failures encoded by workflows/failure-converter.ts: message and stack trace back in their fields. */
function restoreFailures(value: unknown): void {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return;
  const failure = value as { encodedAttributes?: Payload | null; message?: string | null; stackTrace?: string | null };
  const attributes = failure.encodedAttributes;
  if (attributes?.data && !isEncryptedPayload(attributes as unknown)) {
    try {
      const decoded = JSON.parse(Buffer.from(attributes.data as Uint8Array).toString('utf8')) as { message?: unknown; stack_trace?: unknown };
      if (typeof decoded.message === 'string') failure.message = decoded.message;
      if (typeof decoded.stack_trace === 'string') failure.stackTrace = decoded.stack_trace;
      failure.encodedAttributes = null;
    } catch {
      // not the default converter's attributes: left as they are
    }
  }
  for (const child of Array.isArray(value) ? value : Object.values(value)) restoreFailures(child);
}

/** Decrypts every encrypted payload of `value` (a history, an event…) in place, and returns the count. */
export async function decodePayloadsInPlace(value: unknown, codecs: readonly PayloadCodec[]): Promise<number> {
  const found: Parameters<typeof collect>[1] = [];
  collect(value, found);
  const decoded = await decode([...codecs], found.map((item) => item.payload));
  found.forEach((item, i) => { (item.holder as Record<string | number, unknown>)[item.key] = decoded[i]; });
  restoreFailures(value);
  return found.length;
}
