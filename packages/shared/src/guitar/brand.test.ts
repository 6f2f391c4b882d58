import { describe, expect, it } from 'vitest';
import { normalizeBrand } from './brand.js';

describe('normalizeBrand', () => {
  it('trims and lower-cases, as the controller reads a brand', () => {
    expect(normalizeBrand('  Fender ')).toBe('fender');
    expect(normalizeBrand('GIBSON')).toBe('gibson');
    expect(normalizeBrand('\u00a0Martin\u2003')).toBe('martin');
    expect(normalizeBrand('ギブソン')).toBe('ギブソン');
  });

  it('keeps inner characters, control characters included, so two brands stay two', () => {
    expect(normalizeBrand('fen\u0000der')).toBe('fen\u0000der');
    expect(normalizeBrand('Les Paul')).toBe('les paul');
  });
});
