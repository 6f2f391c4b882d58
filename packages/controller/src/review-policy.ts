import { readFileSync } from 'node:fs';
import { normalizeBrand } from '@guitars/shared';
import * as z from '@guitars/shared/zod';
import { load } from 'js-yaml';

/** What the controller says about one brand. `verdict` is a short label, also a metric label. */
export interface Review {
  verdict: string;
  comment: string;
}

/** Brands grouped by verdict, and the review of any brand not listed. */
export interface ReviewPolicy {
  rules: ReadonlyArray<{ verdict: string; comment: string; brands: ReadonlyArray<string> }>;
  otherwise: Review;
}

/** Thrown when a policy file cannot be read or is not a valid policy; the message says where and why. */
export class ReviewPolicyError extends Error {
  override name = 'ReviewPolicyError';
}

/** The original sample's lists and words, the negative verdict worded politely. */
export const DEFAULT_POLICY: ReviewPolicy = {
  rules: [
    {
      verdict: 'great',
      comment: 'this is a great instrument',
      brands: ['coleclark', 'fender', 'gibson', 'ibanez', 'martin', 'seagull', 'squier', 'washburn'],
    },
    {
      verdict: 'poor',
      comment: 'this instrument is not one we would recommend',
      brands: [
        'epiphone',
        'guild',
        'gretsch',
        'jackson',
        'ovation',
        'prs',
        'rickenbauer',
        'taylor',
        'yamaha',
      ],
    },
  ],
  otherwise: { verdict: 'unknown', comment: 'nobody knows this brand' },
};

/** Turns a policy into a lookup; the same brand may not appear under two verdicts. */
export function reviewer(policy: ReviewPolicy): (brand: string) => Review {
  const byBrand = new Map<string, Review>();
  for (const { verdict, comment, brands } of policy.rules) {
    for (const brand of brands) byBrand.set(normalizeBrand(brand), { verdict, comment });
  }
  return (brand) => byBrand.get(normalizeBrand(brand)) ?? policy.otherwise;
}

// The CRD caps spec.comment at 1024 characters; verdicts become Prometheus label values.
const nonEmpty = z.minLength(1, 'must not be empty');
const comment = z.string().check(z.trim(), nonEmpty, z.maxLength(1024, 'must be at most 1024 characters'));
const verdict = z
  .string()
  .check(
    z.regex(
      /^[a-z][a-z0-9_]{0,31}$/,
      'must be lower-case letters, digits or _, starting with a letter (≤ 32)',
    ),
  );

const policySchema = z
  .strictObject({
    rules: z
      .array(
        z.strictObject({
          verdict,
          comment,
          brands: z
            .array(z.string().check(z.trim(), nonEmpty))
            .check(z.minLength(1, 'must list at least one brand')),
        }),
      )
      .check(z.minLength(1, 'must hold at least one rule')),
    otherwise: z.strictObject({ verdict, comment }),
  })
  .check(
    z.superRefine((policy, ctx) => {
      const seen = new Map<string, string>();
      policy.rules.forEach((rule, i) => {
        rule.brands.forEach((brand, j) => {
          const key = normalizeBrand(brand);
          const first = seen.get(key);
          if (first !== undefined && first !== rule.verdict) {
            ctx.addIssue({
              code: 'custom',
              path: ['rules', i, 'brands', j],
              message: `brand "${key}" is already listed under verdict "${first}"`,
            });
          }
          seen.set(key, rule.verdict);
        });
      });
    }),
  );

/** Parses and validates a policy document (YAML or JSON text). */
export function parseReviewPolicy(text: string, source = 'review policy'): ReviewPolicy {
  let doc: unknown;
  try {
    doc = load(text);
  } catch (err) {
    throw new ReviewPolicyError(
      `${source}: not valid YAML: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const result = policySchema.safeParse(doc);
  if (!result.success) {
    throw new ReviewPolicyError(`${source}: not a valid review policy:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** Reads a policy file, e.g. mounted from the guitars-review-policy ConfigMap. */
export function loadReviewPolicy(path: string): ReviewPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ReviewPolicyError(
      `cannot read review policy ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return parseReviewPolicy(text, path);
}
