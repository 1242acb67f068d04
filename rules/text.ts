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

/** Control characters (U+0000–U+001F, U+007F): never in a stored text. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
export const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F]/;
/** The same, tab and line breaks allowed (free-text comments). */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
export const CONTROL_CHARACTERS_BUT_TAB_AND_LINES = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** A lone surrogate: not well-formed Unicode (with the `u` flag a surrogate pair is one code point). */
export const LONE_SURROGATE = /\p{Cs}/u;

/** Whether a text holds a control character (tab and line breaks allowed when `multiline`) or a lone surrogate. */
export function hasForbiddenCharacters(value: string, multiline = false): boolean {
  return (multiline ? CONTROL_CHARACTERS_BUT_TAB_AND_LINES : CONTROL_CHARACTERS).test(value) || LONE_SURROGATE.test(value);
}
