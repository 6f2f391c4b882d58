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
    expect(brandProblem('fen\nder')).toContain('printable');
  });
});
