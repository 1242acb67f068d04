// Calendar dates as ISO strings (`YYYY-MM-DD`): they compare lexicographically.
// No clock here: "today" always comes in as `receivedOn`.

import type { IsoDate } from './types.js';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(value: unknown): value is IsoDate {
  if (typeof value !== 'string') return false;
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

/** Same day `years` later; 29 February becomes 28 February in a non-leap year (spec G4). */
export function addYears(date: IsoDate, years: number): IsoDate {
  const y = Number(date.slice(0, 4)) + years;
  const mo = Number(date.slice(5, 7));
  const d = Math.min(Number(date.slice(8, 10)), daysInMonth(y, mo));
  return `${String(y).padStart(4, '0')}-${date.slice(5, 7)}-${String(d).padStart(2, '0')}`;
}

/** `2016-01-05` → `05/01/2016` (dates in reply texts). */
export function formatFrenchDate(date: IsoDate): string {
  return `${date.slice(8, 10)}/${date.slice(5, 7)}/${date.slice(0, 4)}`;
}

/** `2016-01-05` → `20160105` (the Trame's invoice number when there is none). */
export function reversedDate(date: IsoDate): string {
  return date.replaceAll('-', '');
}

/** `start ≤ date ≤ end`, both inclusive; no end means open-ended. */
export function isWithin(date: IsoDate, start: IsoDate, end: IsoDate | null | undefined): boolean {
  return start <= date && (end == null || date <= end);
}

export function minDate(dates: IsoDate[]): IsoDate | null {
  return dates.length === 0 ? null : dates.reduce((a, b) => (b < a ? b : a));
}

export function maxDate(dates: IsoDate[]): IsoDate | null {
  return dates.length === 0 ? null : dates.reduce((a, b) => (b > a ? b : a));
}

/** The day an instant falls on in France (where claims are received and treated), as `YYYY-MM-DD`. */
export function dayInFrance(at: Date): IsoDate {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
