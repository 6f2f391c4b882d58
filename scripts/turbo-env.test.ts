import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * turbo runs `npm test` with only the variables a task lists (strict env mode): a REQUIRE_* switch
 * that .ci/run sets but turbo drops turns a failure back into a skip, as ACTIONLINT once did.
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
/** Read by the apps of themselves, by the benchmark (not a turbo test), or always passed. */
const NOT_FOR_TESTS = new Set(['PATH', 'NODE_ENV', 'LOG_LEVEL', 'BENCH_CPU_PROF']);

describe("turbo's test task", () => {
  it('passes through every variable the packages read', () => {
    const turbo = JSON.parse(readFileSync(join(REPO, 'turbo.json'), 'utf8')) as {
      tasks: { test: { passThroughEnv: string[] } };
    };
    const passed = turbo.tasks.test.passThroughEnv;
    const sources = execFileSync('git', ['ls-files', 'packages/*/src/*.ts', 'packages/*/src/**/*.ts'], {
      cwd: REPO,
      encoding: 'utf8',
    }).split('\n');
    const read = new Set(
      sources
        .filter(Boolean)
        .flatMap((file) => [
          ...readFileSync(join(REPO, file), 'utf8').matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g),
        ])
        .map((m) => m[1] as string),
    );
    const dropped = [...read].filter(
      (name) =>
        !NOT_FOR_TESTS.has(name) &&
        !passed.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name)),
    );
    expect(dropped.sort()).toEqual([]);
  });
});
