import { describe, expect, it } from 'vitest';
import { etagOf, parseIfMatch } from './if-match.js';

describe('parseIfMatch', () => {
  it('reads no header as no condition, * as any, and a strong tag as a resourceVersion', () => {
    expect(parseIfMatch(undefined)).toEqual({ kind: 'none' });
    expect(parseIfMatch('*')).toEqual({ kind: 'any' });
    expect(parseIfMatch(' * ')).toEqual({ kind: 'any' });
    expect(parseIfMatch('"12345"')).toEqual({ kind: 'version', resourceVersion: '12345' });
    expect(parseIfMatch(etagOf('987'))).toEqual({ kind: 'version', resourceVersion: '987' });
    // Opaque: whatever the apiserver's resourceVersion is, the precondition compares it.
    expect(parseIfMatch('"abc"')).toEqual({ kind: 'version', resourceVersion: 'abc' });
  });

  it('answers 412 to a weak tag, which never matches', () => {
    expect(() => parseIfMatch('W/"12345"')).toThrow(expect.objectContaining({ status: 412 }));
  });

  it.each(['', '12345', '"1", "2"', '"1","2"', '*, "1"', '"unterminated', '"a"b"', 'w/"1"', '"é"', '"a b"'])(
    'answers 400 to %j: no single entity tag',
    (header) => {
      expect(() => parseIfMatch(header)).toThrow(
        expect.objectContaining({ status: 400, message: expect.stringContaining('Nothing was deleted') }),
      );
    },
  );
});
