import { describe, expect, it } from 'vitest';
import { addYears, formatFrenchDate, isIsoDate, isWithin, reversedDate } from './dates.js';

describe('dates', () => {
  it('accepts real calendar dates only', () => {
    expect(isIsoDate('2016-02-29')).toBe(true);
    expect(isIsoDate('2015-02-29')).toBe(false);
    expect(isIsoDate('2016-13-01')).toBe(false);
    expect(isIsoDate('2016-1-01')).toBe(false);
    expect(isIsoDate(20160101)).toBe(false);
  });
  it('29 February + 2 years = 28 February; + 4 years = 29 February', () => {
    expect(addYears('2016-02-29', 2)).toBe('2018-02-28');
    expect(addYears('2016-02-29', 4)).toBe('2020-02-29');
    expect(addYears('2016-01-31', 2)).toBe('2018-01-31');
  });
  it('formats for replies and the Trame', () => {
    expect(formatFrenchDate('2016-01-05')).toBe('05/01/2016');
    expect(reversedDate('2016-01-05')).toBe('20160105');
  });
  it('validity is inclusive, an open end is open', () => {
    expect(isWithin('2016-12-31', '2016-01-01', '2016-12-31')).toBe(true);
    expect(isWithin('2017-01-01', '2016-01-01', '2016-12-31')).toBe(false);
    expect(isWithin('2030-01-01', '2016-01-01', null)).toBe(true);
  });
});
