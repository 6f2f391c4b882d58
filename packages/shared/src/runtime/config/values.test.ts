import { describe, expect, it } from 'vitest';
import type { OptionValue } from './values.js';
import { address, boolean, duration, integer, number, oneOf, parseDuration, secret, text } from './values.js';

const read = <T>(value: OptionValue<T>, input: string) => {
  const result = value.schema.safeParse(input);
  return result.success ? { value: result.data } : { error: result.error.issues[0]?.message };
};

describe('option values', () => {
  it('reads text trimmed, secrets as given', () => {
    expect(read(text(), ' a b ')).toEqual({ value: 'a b' });
    expect(read(secret(3), ' ab ')).toEqual({ value: ' ab ' });
    expect(read(secret(5), 'ab')).toEqual({ error: 'must be at least 5 characters' });
  });

  it('reads booleans', () => {
    expect(read(boolean(), ' No ')).toEqual({ value: false });
    expect(read(boolean(), '1')).toEqual({ value: true });
    expect(read(boolean(), 'maybe')).toEqual({ error: 'expected true or false' });
  });

  it('reads numbers within their range', () => {
    expect(read(integer(1, 64), ' 8 ')).toEqual({ value: 8 });
    expect(read(integer(1, 64), '1.5')).toEqual({ error: 'expected a whole number from 1 to 64' });
    expect(read(integer(1), '0')).toEqual({ error: 'expected a whole number of at least 1' });
    expect(read(integer(0, 9), '')).toEqual({ error: 'expected a whole number from 0 to 9' });
    expect(read(number(0.001, 10), '0.5')).toEqual({ value: 0.5 });
    expect(read(number(0.001, 10), 'Infinity')).toEqual({ error: 'expected a number from 0.001 to 10' });
  });

  it('reads durations, addresses and words', () => {
    expect(read(duration(), '2m')).toEqual({ value: 120_000 });
    expect(read(duration(), 'soon')).toEqual({ error: 'expected a duration such as 15s, 500ms or 2m' });
    expect(read(address(), ':8081')).toEqual({ value: { host: '', port: 8081 } });
    expect(read(address(), '0.0.0.0:8081')).toEqual({ value: { host: '0.0.0.0', port: 8081 } });
    expect(read(address(), '[::1]:0')).toEqual({ value: { host: '::1', port: 0 } });
    expect(read(address(), '8081')).toEqual({ error: 'expected host:port, e.g. :8081' });
    expect(read(address(), 'h:70000')).toEqual({ error: 'expected host:port, e.g. :8081' });
    expect(read(oneOf(['a', 'b']), 'b')).toEqual({ value: 'b' });
    expect(read(oneOf(['a', 'b']), 'c')).toEqual({ error: 'expected one of a, b' });
  });
});

describe('parseDuration', () => {
  it.each([
    ['15s', 15_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1.5', 1_500],
    [' 3s ', 3_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '-1s', '1h', 'ten'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
