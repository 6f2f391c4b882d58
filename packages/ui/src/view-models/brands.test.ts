import { describe, expect, it } from 'vitest';
import { BRAND_SUGGESTIONS, brandBadge } from './brands.js';

describe('brandBadge', () => {
  it('makes a two-letter monogram that tells similar brands apart', () => {
    expect(brandBadge('fender').monogram).toBe('Fe');
    expect(brandBadge('gibson').monogram).toBe('Gi');
    expect(brandBadge('gretsch').monogram).toBe('Gr');
    expect(brandBadge('PRS').monogram).toBe('Pr');
    expect(brandBadge('x').monogram).toBe('X');
  });

  it('uses letters and digits only, whatever the brand holds', () => {
    expect(brandBadge('<script>').monogram).toBe('Sc');
    expect(brandBadge('  ').monogram).toBe('?');
    expect(brandBadge('ギブソン').monogram).toBe('ギブ');
  });

  it('gives one brand one colour, whatever the case, and spreads the known brands over colours', () => {
    expect(brandBadge('Fender').colour).toBe(brandBadge('fender').colour);
    expect(brandBadge('fender').colour).toMatch(/^badge-(\d|1[01])$/);
    const colours = new Set(BRAND_SUGGESTIONS.map((b) => brandBadge(b).colour));
    expect(colours.size).toBeGreaterThanOrEqual(7);
  });
});
