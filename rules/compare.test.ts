import { describe, expect, it } from 'vitest';
import { differingFields } from './compare.js';

describe('differingFields', () => {
  it('is empty for the same claim, whatever the key order, and with null for absent', () => {
    expect(differingFields({ a: 1, b: { c: 'x', d: null } }, { b: { c: 'x' }, a: 1 })).toEqual([]);
  });

  it('names each field that differs, nested and in arrays', () => {
    expect(differingFields(
      { invoice: { beneficiary: { lastName: 'ROCHE' }, acts: [{ amount: 10 }, { amount: 5 }] } },
      { invoice: { beneficiary: { lastName: 'ROCH' }, acts: [{ amount: 10 }, { amount: 6 }, { amount: 1 }] } },
    )).toEqual(['invoice.acts[1].amount', 'invoice.acts[2]', 'invoice.beneficiary.lastName']);
  });

  it('tells a value from its absence, and a number from a string', () => {
    expect(differingFields({ a: 1 }, {})).toEqual(['a']);
    expect(differingFields({ a: 1 }, { a: '1' })).toEqual(['a']);
    expect(differingFields([1], [1, 2])).toEqual(['[1]']);
  });
});
