import { describe, expect, it } from 'vitest';
import { escapeInvisibleInJson, firstInvisibleCharacter } from './invisible-characters.js';

describe('firstInvisibleCharacter', () => {
  it.each([
    ['fen\u202eder', 'format', 'U+202E RIGHT-TO-LEFT OVERRIDE'],
    ['\u202afender', 'format', 'U+202A LEFT-TO-RIGHT EMBEDDING'],
    ['fen\u2066der', 'format', 'U+2066 LEFT-TO-RIGHT ISOLATE'],
    ['fen\u2069der', 'format', 'U+2069 POP DIRECTIONAL ISOLATE'],
    ['fen\u200eder', 'format', 'U+200E LEFT-TO-RIGHT MARK'],
    ['fen\u200fder', 'format', 'U+200F RIGHT-TO-LEFT MARK'],
    ['fen\u061cder', 'format', 'U+061C ARABIC LETTER MARK'],
    ['fen\u200bder', 'format', 'U+200B ZERO WIDTH SPACE'],
    ['fen\u200dder', 'format', 'U+200D ZERO WIDTH JOINER'],
    ['fen\u2060der', 'format', 'U+2060 WORD JOINER'],
    ['fen\ufeffder', 'format', 'U+FEFF ZERO WIDTH NO-BREAK SPACE'],
    ['fen\u00adder', 'format', 'U+00AD SOFT HYPHEN'],
    ['fen\u{e0041}der', 'format', 'U+E0041'],
    ['fen\u0000der', 'control', 'U+0000 NULL'],
    ['fen\nder', 'control', 'U+000A LINE FEED'],
    ['fen\u0085der', 'control', 'U+0085 NEXT LINE'],
    ['fen\u0007der', 'control', 'U+0007'],
  ])('finds %j: a %s character, %s', (text, kind, label) => {
    expect(firstInvisibleCharacter(text)).toMatchObject({ kind, label });
  });

  it('names the first of several', () => {
    expect(firstInvisibleCharacter('a\u200bb\u202ec')?.codePoint).toBe(0x200b);
  });

  it.each([
    'fender',
    'Gibson & Co.',
    'ギブソン',
    'גיבסון',
    'Ibañez',
    '🎸',
    '👨‍👩‍👧'.replace(/\u200d/g, ''),
    'a\u00a0b',
    'a\u2028b',
  ])('finds nothing in %j', (text) => {
    expect(firstInvisibleCharacter(text)).toBeUndefined();
  });
});

describe('escapeInvisibleInJson', () => {
  it('escapes what JSON.stringify leaves raw, and the value parses back the same', () => {
    const value = { brand: 'fen\u202eder\u200b\u007f\u0085\u2028\u{e0041}', plain: 'fender ギブソン' };
    const line = escapeInvisibleInJson(JSON.stringify(value));
    expect(line).toBe(
      '{"brand":"fen\\u202eder\\u200b\\u007f\\u0085\\u2028\\udb40\\udc41","plain":"fender ギブソン"}',
    );
    expect(JSON.parse(line)).toEqual(value);
  });

  it('leaves a line without them as it is', () => {
    const line = '{"msg":"reviewed","brand":"fender"}\n';
    expect(escapeInvisibleInJson(line)).toBe(line);
  });
});
