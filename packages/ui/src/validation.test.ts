import { describe, expect, it } from 'vitest';
import { brandProblem, nameProblem, namespaceProblem, validateNewGuitar } from './validation.js';

describe('validateNewGuitar', () => {
  it('lower-cases and trims the name, trims the brand, and defaults the namespace', () => {
    expect(validateNewGuitar({ name: '  StratoCaster ', brand: ' Fender ' }, 'guitarcenter')).toEqual({
      ok: true,
      guitar: { name: 'stratocaster', brand: 'Fender', namespace: 'guitarcenter' },
    });
    expect(validateNewGuitar({ name: 'x', brand: 'y', namespace: ' music ' }, 'guitarcenter')).toMatchObject({
      guitar: { namespace: 'music' },
    });
  });

  it('reports every bad field at once', () => {
    const result = validateNewGuitar({ name: 'a b', brand: '', namespace: 'A' }, 'guitarcenter');
    expect(result.ok).toBe(false);
    expect(!result.ok && Object.keys(result.errors).sort()).toEqual(['brand', 'name', 'namespace']);
  });

  it('reports fields that are not strings', () => {
    const result = validateNewGuitar({ name: ['x'], brand: 5 }, 'guitarcenter');
    expect(!result.ok && result.errors).toEqual({ name: 'Must be a string.', brand: 'Must be a string.' });
  });
});

describe('nameProblem (DNS-1123 subdomain, as Kubernetes checks object names)', () => {
  it.each([
    'a',
    'stratocaster',
    'les-paul',
    'x003',
    'les-paul.59',
    '0',
    `${'a'.repeat(63)}.${'b'.repeat(189)}`,
  ])('accepts %s', (name) => {
    expect(nameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'Enter a name'],
    ['Les', 'lower-case'],
    ['les paul', 'lower-case'],
    ['-lespaul', 'starting and ending'],
    ['lespaul-', 'starting and ending'],
    ['les..paul', 'lower-case'],
    ['.lespaul', 'lower-case'],
    ['les_paul', 'lower-case'],
    ['lés', 'lower-case'],
    ['a'.repeat(254), 'at most 253 characters (this one has 254)'],
  ])('rejects %j', (name, message) => {
    expect(nameProblem(name)).toContain(message);
  });
});

describe('namespaceProblem (DNS-1123 label)', () => {
  it('accepts a label and rejects dots, capitals and 64 characters', () => {
    expect(namespaceProblem('guitarcenter')).toBeUndefined();
    expect(namespaceProblem('a.b')).toBeDefined();
    expect(namespaceProblem('Music')).toBeDefined();
    expect(namespaceProblem('a'.repeat(64))).toContain('at most 63');
    expect(namespaceProblem('a'.repeat(63))).toBeUndefined();
  });
});

describe('brandProblem (the CRD: a non-empty string of at most 63 characters)', () => {
  it('accepts any printable brand, however odd', () => {
    expect(brandProblem('fender')).toBeUndefined();
    expect(brandProblem('Gibson & Co. <Custom>')).toBeUndefined();
    expect(brandProblem('ギブソン')).toBeUndefined();
    expect(brandProblem('é'.repeat(63))).toBeUndefined();
  });

  it('rejects empty, too long, or control characters', () => {
    expect(brandProblem('')).toBe('Enter a brand.');
    expect(brandProblem('b'.repeat(64))).toContain('at most 63');
    expect(brandProblem('fen\nder')).toBe(
      'The brand contains a control character (U+000A LINE FEED). Use printable characters only.',
    );
  });

  it.each([
    ['fen\u202eder', 'U+202E RIGHT-TO-LEFT OVERRIDE'],
    ['\u2067fender', 'U+2067 RIGHT-TO-LEFT ISOLATE'],
    ['fen\u200fder', 'U+200F RIGHT-TO-LEFT MARK'],
    ['fen\u061cder', 'U+061C ARABIC LETTER MARK'],
    ['fen\u200bder', 'U+200B ZERO WIDTH SPACE'],
    ['fen\u200dder', 'U+200D ZERO WIDTH JOINER'],
    ['fen\u2060der', 'U+2060 WORD JOINER'],
    ['fen\ufeffder', 'U+FEFF ZERO WIDTH NO-BREAK SPACE'],
    ['fen\u00adder', 'U+00AD SOFT HYPHEN'],
  ])('rejects %j, naming the invisible character (%s)', (brand, label) => {
    expect(brandProblem(brand)).toBe(
      `The brand contains an invisible formatting character (${label}), which changes how the brand or the text around it is shown. Type the brand without it.`,
    );
  });

  it('still accepts right-to-left brands and emoji, which show as they are', () => {
    expect(brandProblem('גיבסון')).toBeUndefined();
    expect(brandProblem('عود')).toBeUndefined();
    expect(brandProblem('🎸')).toBeUndefined();
  });

  it('reports the brand through validateNewGuitar, against its field', () => {
    expect(validateNewGuitar({ name: 'x', brand: 'fen\u202eder' }, 'default')).toEqual({
      ok: false,
      errors: { brand: expect.stringContaining('(U+202E RIGHT-TO-LEFT OVERRIDE)') },
    });
  });
});
