// Cards and specialty columns (spec §3).

import { isWithin } from './dates.js';
import { normalizeName } from './text.js';
import type { Card, IsoDate } from './types.js';

/** A centre de soins has a FINESS number with `0` in third position (MO: « ayant un 0 en troisième position »). */
export function isCareCentre(practitionerNumber: string | null | undefined): boolean {
  return typeof practitionerNumber === 'string' && practitionerNumber.charAt(2) === '0';
}

/** The columns that cover a specialty, own column first. */
export function coveringColumns(specialty: string, careCentre: boolean): string[] {
  // MO: « Pour les centres de soins ou pluridisciplinaires, il convient de regarder si la colonne « SE » figure sur la carte. »
  if (careCentre) return ['SE'];
  switch (specialty) {
    case 'MG':
    case 'MS':
      return [specialty, 'MGS'];
    case 'PH2':
    case 'PH4':
    case 'PH7':
    case 'PH7/L':
      return [specialty, 'PHAR'];
    case 'MK':
      return ['MK', 'AUX'];
    default:
      return [specialty];
  }
}

/**
 * MO: « une exception pour le transport pour la mutuelle April, Smatis et ECA […] et une exception pour la
 * mutuelle Intériale et April où également la colonne MS/MG n'apparait pas mais nous gérons la spécialité. »
 */
const INSURER_EXCEPTIONS: { insurers: string[]; specialties: string[] }[] = [
  { insurers: ['APRIL', 'SMATIS', 'ECA'], specialties: ['TRA'] },
  { insurers: ['INTERIALE', 'APRIL'], specialties: ['MS', 'MG'] },
];

/** The card's insurer is one of the exceptions for this specialty ("APRIL SANTE PREVOYANCE" counts as April). */
export function isInsurerException(insurer: string, specialty: string | null | undefined): boolean {
  if (!specialty) return false;
  const name = normalizeName(insurer);
  return INSURER_EXCEPTIONS.some(
    (e) => e.specialties.includes(specialty) && e.insurers.some((i) => name === i || name.startsWith(`${i} `)),
  );
}

export interface Coverage {
  /** The column that covers the specialty, or null for an insurer exception without column. */
  column: string | null;
  /** The rate used in valuation (100 for an exception without column). */
  rate: number;
  exception: boolean;
}

/** How a card covers the invoice's specialty, or null when it does not. */
export function cardCoverage(card: Card, specialty: string | null | undefined, careCentre: boolean): Coverage | null {
  if (specialty || careCentre) {
    for (const column of coveringColumns(specialty ?? '', careCentre)) {
      const rate = card.columns?.[column];
      if (typeof rate === 'number') return { column, rate, exception: false };
    }
  }
  // An absent column does not mean "not covered" for the insurer exceptions: valued at a rate of 100.
  if (isInsurerException(card.insurer, specialty)) return { column: null, rate: 100, exception: true };
  return null;
}

export function isCardValidOn(card: Card, date: IsoDate): boolean {
  return isWithin(date, card.start, card.end);
}

export function hasRestitution(card: Card): boolean {
  return Boolean(card.restitutionReason) || Boolean(card.restitutedOn);
}

/** Several cards valid on every care date: prefer one without restitution, then the latest start (spec G6 c). */
export function preferredCard(cards: Card[]): Card | null {
  if (cards.length === 0) return null;
  return [...cards].sort((a, b) => {
    const r = Number(hasRestitution(a)) - Number(hasRestitution(b));
    if (r !== 0) return r;
    return a.start < b.start ? 1 : a.start > b.start ? -1 : 0;
  })[0];
}
