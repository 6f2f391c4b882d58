import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../kube/errors.js';
import type { AppAccess } from './explain-forbidden.js';
import { ForbiddenReporter } from './forbidden-reporter.js';
import type { Identity } from './who-am-i.js';

const ACCESS: AppAccess = {
  app: 'guitars-ui',
  namespace: 'guitarcenter',
  grants: [
    {
      group: 'kool.karmalabs.local',
      resource: 'guitars',
      role: { kind: 'ClusterRole', name: 'guitars-ui' },
      file: 'k8s/base/ui-rbac.yaml',
    },
  ],
};
const USER = 'system:serviceaccount:guitarcenter:default';

/** A 403 as the apiserver writes it. */
function forbidden(verb: string, namespace?: string): KubeApiError {
  const where = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const message = `guitars.kool.karmalabs.local is forbidden: User "${USER}" cannot ${verb} resource "guitars" in API group "kool.karmalabs.local" ${where}`;
  const body = JSON.stringify({
    kind: 'Status',
    status: 'Failure',
    message,
    reason: 'Forbidden',
    details: { group: 'kool.karmalabs.local', kind: 'guitars' },
    code: 403,
  });
  return new KubeApiError(403, body, { method: 'GET', path: '/apis/kool.karmalabs.local/v1/guitars' });
}

/** `identity` null: the apiserver cannot say who we are. */
function setup(identity: Identity | null = { username: USER, source: 'SelfSubjectReview' }) {
  const lines: Array<Record<string, unknown>> = [];
  const debug: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        (parsed.level === 20 ? debug : lines).push(parsed);
      },
    },
  );
  let asked = 0;
  const reporter = new ForbiddenReporter({
    logger,
    access: ACCESS,
    whoAmI: async () => {
      asked++;
      return identity ?? undefined;
    },
  });
  return { reporter, lines, debug, asked: () => asked };
}

describe('ForbiddenReporter', () => {
  it('logs one error line per refusal, however often a retry loop meets it, and lists it for /readyz', async () => {
    const { reporter, lines, debug, asked } = setup();
    for (let i = 0; i < 5; i++) expect(reporter.report('guitar list/watch', forbidden('list'))).toBe(true);
    await reporter.settled();
    expect(lines).toHaveLength(1);
    expect(debug).toHaveLength(4);
    expect(lines[0]).toMatchObject({
      level: 50,
      status: 403,
      call: 'guitar list/watch',
      identity: USER,
      identitySource: 'SelfSubjectReview',
      verb: 'list',
      resource: 'guitars.kool.karmalabs.local',
      fix: expect.stringContaining('set serviceaccount deployment/guitars-ui guitars-ui'),
    });
    expect(lines[0]?.msg).toMatch(
      /^forbidden: guitars-ui runs as system:serviceaccount:guitarcenter:default/,
    );
    expect(reporter.problems()).toEqual([lines[0]?.msg]);
    expect(asked()).toBe(1);
  });

  it('logs again when the same call is refused something else, and forgets a call that succeeded', async () => {
    const { reporter, lines } = setup();
    reporter.report('guitar list/watch', forbidden('list'));
    reporter.report('guitar list/watch', forbidden('watch', 'guitarcenter'));
    await reporter.settled();
    // The list's explanation was overtaken by the watch's before it was logged.
    expect(lines.map((l) => l.verb)).toEqual(['watch']);
    expect(reporter.problems()).toHaveLength(1);
    expect(reporter.problems()[0]).toContain(
      'may not watch guitars.kool.karmalabs.local in namespace guitarcenter',
    );

    reporter.clear('guitar list/watch');
    expect(reporter.problems()).toEqual([]);
    reporter.report('guitar list/watch', forbidden('watch', 'guitarcenter'));
    await reporter.settled();
    expect(lines.map((l) => l.verb)).toEqual(['watch', 'watch']);
  });

  it('keeps the refusals of different calls apart', async () => {
    const { reporter } = setup();
    reporter.report('guitar list/watch', forbidden('list'));
    reporter.report('namespace scope', forbidden('list', 'guitarcenter'));
    await reporter.settled();
    expect(reporter.problems()).toHaveLength(2);
    reporter.clear('namespace scope');
    expect(reporter.problems()).toEqual([expect.stringContaining('at the cluster scope')]);
  });

  it('leaves any other error to the caller', async () => {
    const { reporter, lines } = setup();
    expect(reporter.report('x', new KubeApiError(500, '{}', { method: 'GET', path: '/x' }))).toBe(false);
    expect(reporter.report('x', new Error('ECONNREFUSED'))).toBe(false);
    await reporter.settled();
    expect(lines).toEqual([]);
    expect(reporter.problems()).toEqual([]);
  });

  it("names the refusal's user when the apiserver cannot say who we are, and asks again next time", async () => {
    const { reporter, lines, asked } = setup(null);
    reporter.report('a', forbidden('list'));
    await reporter.settled();
    reporter.report('b', forbidden('get'));
    await reporter.settled();
    expect(lines.map((l) => [l.identity, l.identitySource])).toEqual([
      [USER, 'refusal'],
      [USER, 'refusal'],
    ]);
    expect(asked()).toBe(2);
  });

  it('explains without logging or keeping, for callers that log themselves', async () => {
    const { reporter, lines } = setup();
    expect(await reporter.explain(new Error('no'))).toBeUndefined();
    expect((await reporter.explain(forbidden('create')))?.verb).toBe('create');
    expect(lines).toEqual([]);
    expect(reporter.problems()).toEqual([]);
  });
});
