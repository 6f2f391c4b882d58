import type { Guitar } from '@guitars/shared';
import { expect } from 'vitest';
import { DEFAULT_POLICY, reviewer } from '../review-policy.js';
import type { ControllerProcess } from './controller-process.js';

const review = reviewer(DEFAULT_POLICY);

/**
 * The checks after every fault: each guitar carries the right comment for its brand, its spec was
 * changed exactly once after creation (generation 2: one review write, no second one, since a
 * write that changes nothing does not count and a stale one is refused by the precondition), and
 * the controllers logged at most one review per guitar between them.
 */
export function expectEachReviewedOnce(
  guitars: Guitar[],
  controllers: ControllerProcess[],
  namespace: string,
): void {
  const wrong = guitars.filter(
    (g) => g.spec.review !== true || g.spec.comment !== review(g.spec.brand).comment,
  );
  expect(wrong.map((g) => g.metadata.name)).toEqual([]);
  const rewritten = guitars.filter((g) => g.metadata.generation !== 2);
  expect(rewritten.map((g) => `${g.metadata.name}@${g.metadata.generation}`)).toEqual([]);
  const writes = new Map<string, number>();
  for (const proc of controllers) {
    for (const line of proc.lines('guitar reviewed')) {
      if (line.namespace !== namespace) continue;
      writes.set(String(line.name), (writes.get(String(line.name)) ?? 0) + 1);
    }
  }
  expect([...writes].filter(([, n]) => n > 1)).toEqual([]);
}
