/**
 * Brands offered in the form. The controller owns the review policy; this list only saves typing,
 * and any other brand is accepted.
 */
export const BRAND_SUGGESTIONS: readonly string[] = [
  'coleclark',
  'epiphone',
  'fender',
  'gibson',
  'gretsch',
  'guild',
  'ibanez',
  'jackson',
  'martin',
  'ovation',
  'prs',
  'rickenbauer',
  'seagull',
  'squier',
  'taylor',
  'washburn',
  'yamaha',
];

/** Colour classes in public/app.css (.badge-0 … .badge-11). */
const BADGE_COLOURS = 12;

export interface BrandBadge {
  /** One or two letters: "Fe" for fender, "Gi" for gibson, "Gr" for gretsch. */
  monogram: string;
  /** A colour picked from the brand's name, so one brand has one colour on every page. */
  colour: string;
}

/**
 * A monogram in a colour of its own per brand, the scannable stand-in for the original's picture
 * per brand. Works for any brand, known or not; the caller escapes the monogram like any text.
 */
export function brandBadge(brand: string): BrandBadge {
  const letters = [...brand.trim()].filter((c) => /[\p{L}\p{N}]/u.test(c));
  const monogram =
    letters.length === 0 ? '?' : `${letters[0]?.toUpperCase()}${letters[1]?.toLowerCase() ?? ''}`;
  // FNV-1a: stable across runs and machines, unlike anything seeded.
  let hash = 0x811c9dc5;
  for (const c of brand.trim().toLowerCase()) {
    hash ^= c.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return { monogram, colour: `badge-${hash % BADGE_COLOURS}` };
}
