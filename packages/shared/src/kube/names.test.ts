import { describe, expect, it, vi } from 'vitest';
import { checkName, checkNamespace, InvalidNameError, isDns1123Label, isDns1123Subdomain } from './names.js';

describe('isDns1123Subdomain (object names)', () => {
  it.each(['a', '0', 'stratocaster', 'les-paul', 'les-paul.59', `${'a'.repeat(63)}.${'b'.repeat(189)}`])(
    'accepts %j',
    (name) => expect(isDns1123Subdomain(name)).toBe(true),
  );

  it.each([
    '',
    '.',
    '..',
    '.a',
    'a.',
    'a..b',
    '-a',
    'a-',
    'A',
    'a b',
    'a/b',
    'a\\b',
    'a_b',
    'lés',
    'a\n',
    'a'.repeat(254),
  ])('refuses %j', (name) => expect(isDns1123Subdomain(name)).toBe(false));

  it('never runs its pattern on more than 253 characters, so a long hostile string costs nothing', () => {
    const test = vi.spyOn(RegExp.prototype, 'test');
    try {
      expect(isDns1123Subdomain(`${'a-'.repeat(100_000)}!`)).toBe(false);
      expect(isDns1123Label(`${'a-'.repeat(100_000)}!`)).toBe(false);
      expect(test).not.toHaveBeenCalled();
      // The spy does see the pattern run, on the longest name there can be.
      expect(isDns1123Subdomain(`${'a-'.repeat(126)}a`)).toBe(true);
      expect(test).toHaveBeenCalledTimes(1);
    } finally {
      test.mockRestore();
    }
  });
});

describe('isDns1123Label (namespaces)', () => {
  it('accepts a label of up to 63 characters and refuses dots, capitals and more', () => {
    expect(isDns1123Label('guitarcenter')).toBe(true);
    expect(isDns1123Label('a'.repeat(63))).toBe(true);
    expect(isDns1123Label('a'.repeat(64))).toBe(false);
    expect(isDns1123Label('a.b')).toBe(false);
    expect(isDns1123Label('Music')).toBe(false);
    expect(isDns1123Label('..')).toBe(false);
  });
});

describe('checkName, checkNamespace', () => {
  it('return a valid name and throw InvalidNameError, saying which and why, for another', () => {
    expect(checkName('strat')).toBe('strat');
    expect(checkNamespace('shop')).toBe('shop');
    const err = (() => {
      try {
        checkNamespace('..');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidNameError);
    expect(err).toMatchObject({ field: 'namespace', value: '..' });
    expect((err as Error).message).toBe(
      `".." is not a valid namespace: it must be a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters`,
    );
    expect(() => checkName('a/b')).toThrow(/"a\/b" is not a valid name: it must be a DNS-1123 subdomain/);
  });
});
