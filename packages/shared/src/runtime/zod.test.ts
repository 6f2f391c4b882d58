import { describe, expect, it } from 'vitest';
import * as z from './zod.js';

describe('z', () => {
  it('says what is wrong in English, not "Invalid input" alone', () => {
    const result = z.strictObject({ n: z.number().check(z.minimum(1)) }).safeParse({ n: 0, extra: 1 });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((i) => i.message) ?? [];
    expect(messages).toContain('Unrecognized key: "extra"');
    expect(messages.some((m) => /Too small: expected number to be >=1/.test(m))).toBe(true);
  });
});
