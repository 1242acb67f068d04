// Which fields of two submissions of the same claim differ. A critère d'archivage names one claim: submitted again,
// it must be the same claim (an idempotent retry), or it is refused, naming what differs — the first one stands.

/** Absent and null say the same thing: « not given ». */
const isBlankValue = (v: unknown) => v === null || v === undefined;

/**
 * Paths (`invoice.beneficiary.lastName`, `invoice.acts[1].amount`) where `a` and `b` differ, in order; empty when
 * they are the same claim. Object key order does not matter; array order does.
 */
export function differingFields(a: unknown, b: unknown, path = ''): string[] {
  if (isBlankValue(a) && isBlankValue(b)) return [];
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length) {
        out.push(`${path}[${i}]`);
        continue;
      }
      out.push(...differingFields(a[i], b[i], `${path}[${i}]`));
    }
    return out;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differingFields(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return Object.is(a, b) ? [] : [path || '(root)'];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
