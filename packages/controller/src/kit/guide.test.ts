import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// docs/write-your-own-controller.md shows the test's Amplifier reconciler: it must stay the code
// the seam test runs, not drift into an example nobody compiles.
const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const guide = read('../../../../docs/write-your-own-controller.md');
const source = read('../test-support/amplifier.ts');

const codeLines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'));

describe('the guide to writing a controller', () => {
  it('shows the Amplifier reconciler as the test runs it, line for line', () => {
    const block = /```ts\n(export function amplifierReconciler[\s\S]*?)```/.exec(guide)?.[1];
    expect(block, 'the reconciler block of the guide').toBeDefined();
    const start = source.indexOf('export function amplifierReconciler');
    expect(codeLines(source.slice(start))).toEqual(codeLines(block ?? ''));
  });
});
