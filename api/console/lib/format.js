// Dates, amounts and identifiers, the French way (times in Europe/Paris, where Almerys works).

const ZONE = 'Europe/Paris';
const dateTime = new Intl.DateTimeFormat('fr-FR', {
  timeZone: ZONE, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit',
});
const shortDateTime = new Intl.DateTimeFormat('fr-FR', {
  timeZone: ZONE, day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit',
});
const dateTimeSeconds = new Intl.DateTimeFormat('fr-FR', {
  timeZone: ZONE, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
});
const timeOnly = new Intl.DateTimeFormat('fr-FR', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', second: '2-digit' });
const relative = new Intl.RelativeTimeFormat('fr', { numeric: 'auto' });
const euros = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
const numbers = new Intl.NumberFormat('fr-FR');

function toDate(value) {
  if (value === null || value === undefined || value === '') return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** 22/11/2026 17:02 */
export function formatDateTime(value) {
  const d = toDate(value);
  return d ? dateTime.format(d).replace(',', '') : '—';
}

/** 22/11/2026 17:02:09 (timelines, audit trails: several events may fall in the same minute). */
export function formatDateTimeSeconds(value) {
  const d = toDate(value);
  return d ? dateTimeSeconds.format(d).replace(',', '') : '—';
}

/** 22 nov. 17:02 */
export function formatShortDateTime(value) {
  const d = toDate(value);
  return d ? shortDateTime.format(d).replace(',', ' ·') : '—';
}

export function formatTime(value) {
  const d = toDate(value);
  return d ? timeOnly.format(d) : '—';
}

/** A calendar date `YYYY-MM-DD` → `dd/mm/yyyy` (no time zone involved). */
export function formatDate(value) {
  if (!value) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value));
  return m ? `${m[3]}/${m[2]}/${m[1]}` : String(value);
}

/** « il y a 3 heures », « dans 2 jours ». */
export function formatRelative(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return '';
  const seconds = Math.round((d.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'à l’instant';
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

/** « 5 h », « 2 j 3 h », « 12 s » (never « 0 min »: under a minute, seconds): a duration, for « en retard de … ». */
export function formatDuration(ms) {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 60) return `${Math.max(1, seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h`;
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return rest ? `${days} j ${rest} h` : `${days} j`;
}

export function formatAmount(value) {
  return typeof value === 'number' && Number.isFinite(value) ? euros.format(value) : '—';
}

export function formatNumber(value) {
  return typeof value === 'number' && Number.isFinite(value) ? numbers.format(value) : '—';
}

// NIR (13 characters: digits, or 2A/2B for Corsica at positions 6-7): the rules' own pattern, served by
// GET /api/labels (lib/labels.js setLabels → setNirPattern), never a copy here. The console starts only once it has it.
let nirPattern = null;
let nirInText = null;

/** Takes the NIR pattern's source (`^…$`) as GET /api/labels serves it. */
export function setNirPattern(source) {
  if (typeof source !== 'string' || source === '') return;
  nirPattern = new RegExp(source);
  nirInText = new RegExp(`(?<![0-9A-Za-z])(?:${source.replace(/^\^|\$$/g, '')})(?![0-9A-Za-z])`, 'g');
}

export function looksLikeNir(value) {
  return typeof value === 'string' && nirPattern !== null && nirPattern.test(value.replace(/\s+/g, ''));
}

/** `1960549494225` → `•••••••••4225`: enough to tell two apart, not enough to identify anyone. */
export function maskNir(nir) {
  if (!nir) return '—';
  const s = String(nir);
  return s.length <= 4 ? '••••' : '•'.repeat(s.length - 4) + s.slice(-4);
}

/** Masks every NIR found in a text (e-mails, free comments). Without the pattern, the text is not shown at all. */
export function maskNirsInText(text) {
  if (nirInText === null) return '';
  return String(text ?? '').replace(nirInText, (nir) => maskNir(nir));
}

/** Initials for an avatar: « Claire Martin » → « CM ». */
export function initials(name) {
  const parts = String(name ?? '').trim().split(/[\s._@-]+/).filter(Boolean);
  if (parts.length === 0) return '?';
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}

export function plural(n, one, many) {
  return `${formatNumber(n)} ${n > 1 ? many : one}`;
}
