import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  DEFAULT_POLICY,
  loadReviewPolicy,
  parseReviewPolicy,
  ReviewPolicyError,
  reviewer,
} from './review-policy.js';

const review = reviewer(DEFAULT_POLICY);

describe('the default review policy', () => {
  it.each(['coleclark', 'fender', 'gibson', 'ibanez', 'martin', 'seagull', 'squier', 'washburn'])(
    '%s is great',
    (brand) => {
      expect(review(brand)).toEqual({ verdict: 'great', comment: 'this is a great instrument' });
    },
  );

  it.each(['epiphone', 'guild', 'gretsch', 'jackson', 'ovation', 'prs', 'rickenbauer', 'taylor', 'yamaha'])(
    '%s gets the polite negative verdict',
    (brand) => {
      expect(review(brand)).toEqual({
        verdict: 'poor',
        comment: 'this instrument is not one we would recommend',
      });
    },
  );

  it('compares brands case-insensitively and trimmed', () => {
    expect(review('  FeNdEr ').verdict).toBe('great');
    expect(review('YAMAHA').verdict).toBe('poor');
  });

  it('knows nothing of other brands', () => {
    expect(review('acme')).toEqual({ verdict: 'unknown', comment: 'nobody knows this brand' });
    expect(review('')).toEqual({ verdict: 'unknown', comment: 'nobody knows this brand' });
  });

  it('is what the shipped ConfigMap holds', () => {
    const configMap = load(
      readFileSync(new URL('../../../k8s/base/review-policy.yaml', import.meta.url), 'utf8'),
    ) as {
      data: Record<string, string>;
    };
    expect(parseReviewPolicy(configMap.data['policy.yaml'] ?? '')).toEqual(DEFAULT_POLICY);
  });
});

describe('a policy file', () => {
  const write = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'policy.yaml');
    writeFileSync(path, text);
    return path;
  };

  it('replaces the lists and words', () => {
    const policy = loadReviewPolicy(
      write(`
rules:
  - verdict: loved
    comment: a joy to play
    brands: [Acme, " Fender "]
otherwise:
  verdict: meh
  comment: never heard of it
`),
    );
    const custom = reviewer(policy);
    expect(custom('acme')).toEqual({ verdict: 'loved', comment: 'a joy to play' });
    expect(custom('fender')).toEqual({ verdict: 'loved', comment: 'a joy to play' });
    expect(custom('gibson')).toEqual({ verdict: 'meh', comment: 'never heard of it' });
  });

  it('that is missing says which file', () => {
    expect(() => loadReviewPolicy('/nonexistent/policy.yaml')).toThrow(
      /cannot read review policy \/nonexistent\/policy.yaml/,
    );
  });

  it('that is not YAML says so', () => {
    expect(() => parseReviewPolicy('rules: [', 'p.yaml')).toThrow(/p.yaml: not valid YAML/);
  });

  it.each([
    ['no rules', 'otherwise: {verdict: a, comment: b}', /rules/],
    [
      'an empty comment',
      'rules: [{verdict: a, comment: "", brands: [x]}]\notherwise: {verdict: b, comment: c}',
      /must not be empty[\s\S]*rules\[0\]\.comment/,
    ],
    [
      'a bad verdict label',
      'rules: [{verdict: "Not Good", comment: x, brands: [x]}]\notherwise: {verdict: b, comment: c}',
      /verdict/,
    ],
    [
      'an unknown key',
      'rules: [{verdict: a, comment: x, brands: [x]}]\notherwise: {verdict: b, comment: c}\nextra: 1',
      /extra/,
    ],
    [
      'a brand that is not a string',
      'rules: [{verdict: a, comment: x, brands: [7]}]\notherwise: {verdict: b, comment: c}',
      /brands\[0\]|brands.0/,
    ],
    [
      'a brand under two verdicts',
      'rules: [{verdict: a, comment: x, brands: [Fender]}, {verdict: b, comment: y, brands: [fender]}]\notherwise: {verdict: c, comment: z}',
      /brand "fender" is already listed under verdict "a"/,
    ],
    [
      'a comment longer than the CRD allows',
      `rules: [{verdict: a, comment: ${'x'.repeat(1025)}, brands: [x]}]\notherwise: {verdict: b, comment: c}`,
      /1024/,
    ],
  ])('with %s is refused with a clear error', (_what, text, message) => {
    let error: unknown;
    try {
      parseReviewPolicy(text, 'policy.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ReviewPolicyError);
    expect((error as Error).message).toMatch(/^policy.yaml: not a valid review policy/);
    expect((error as Error).message).toMatch(message);
  });
});
