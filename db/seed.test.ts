import { describe, expect, it } from 'vitest';
import { TEXT_MESSAGES } from '../rules/schema.js';
import { ReferenceValidationError, validateReference } from './seed.js';

const issuesOf = (reference: unknown): string[] => {
  try {
    validateReference(reference);
    return [];
  } catch (error) {
    if (error instanceof ReferenceValidationError) return error.issues;
    throw error;
  }
};

describe('npm run seed: what could not be stored is refused before anything is written', () => {
  const practitioner = { number: '691234567', name: 'Infirmiers du Parc' };

  it('a control character or a lone surrogate anywhere, read by the seed or not, names its place', () => {
    expect(issuesOf({ practitioners: [{ ...practitioner, name: 'Infirmiers\u0000du Parc' }] }))
      .toEqual([`practitioners[0].name: ${TEXT_MESSAGES.control}`]);
    expect(issuesOf({ practitioners: [{ ...practitioner, address: { city: 'Lyon\ud800' } }] }))
      .toEqual([`practitioners[0].address.city: ${TEXT_MESSAGES.surrogate}`]);
    expect(issuesOf({
      beneficiaries: [{
        nir: '1850369123045', lastName: 'LEFEVRE', firstName: 'Marc',
        cards: [{ insurer: 'MGEN', start: '2016-01-01', columns: { 'AUX\u001f': 100 } }],
      }],
    })).toEqual([`beneficiaries[0].cards[0].columns: ${TEXT_MESSAGES.propertyName}`]);
  });

  it('an endless text is refused: at its schema\'s length, or at the default one where the schema says nothing', () => {
    expect(issuesOf({ practitioners: [{ ...practitioner, name: 'P'.repeat(900_000) }] }))
      .toEqual([`practitioners[0].name: ${TEXT_MESSAGES.tooLong(200)}`]);
    expect(issuesOf({ practitioners: [{ ...practitioner, note: 'P'.repeat(900_000) }] }))
      .toEqual([`practitioners[0].note: ${TEXT_MESSAGES.tooLong(1000)}`]);
  });

  it('well-formed reference data passes', () => {
    expect(issuesOf({ practitioners: [practitioner] })).toEqual([]);
  });
});
