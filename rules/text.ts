// Text comparison as an operator reads names: case-, accent- and spacing-insensitive.

/** Upper case, no accents, single spaces, trimmed: `  Lefèvre-Dupont ` → `LEFEVRE-DUPONT`. */
export function normalizeName(value: string | null | undefined): string {
  if (value == null) return '';
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/\s+/g, ' ')
    .trim();
}

export function sameName(a: string | null | undefined, b: string | null | undefined): boolean {
  return normalizeName(a) === normalizeName(b);
}

/** An invoice number as compared across systems: trimmed, case-insensitive. */
export function normalizeInvoiceNumber(value: string | null | undefined): string {
  return (value ?? '').trim().toUpperCase();
}

export function isBlank(value: string | null | undefined): boolean {
  return value == null || value.trim() === '';
}
