// CSV cells for the API's exports (audit log, dashboard): quoted when they hold a separator, a quote or a line break,
// and never read as a formula by a spreadsheet.

export function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // A cell starting with = + - @ is a formula in a spreadsheet: neutralised.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r;]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
