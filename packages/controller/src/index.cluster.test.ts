import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureGuitarCrd } from '@guitars/shared';
import { Cluster } from '@guitars/testenv';
import { afterEach, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { CONTROLLER_MAIN, ControllerProcess } from './test-support/controller-process.js';
import { createGuitars, waitAllReviewed } from './test-support/guitars.js';

const cluster = new Cluster(inject('testenv'));
const kc = cluster.adminConfig();
const env = { KUBECONFIG: cluster.info.kubeconfigPath };
const running: ControllerProcess[] = [];

const start = async (
  name: string,
  args: string[],
  extraEnv: Record<string, string> = {},
  waitForPort = true,
) => {
  const proc = await ControllerProcess.start(name, args, { ...env, ...extraEnv }, { waitForPort });
  running.push(proc);
  return proc;
};

beforeAll(() => ensureGuitarCrd(kc));
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill()));
});

describe('guitars-controller (the built program)', () => {
  it('prints every option with --help and exits 0', async () => {
    const proc = await start('help', ['--help'], {}, false);
    expect(await proc.waitExit()).toBe(0);
    expect(proc.stderr.join('')).toBe('');
    expect(proc.text[0]).toBe('Usage: guitars-controller [options]');
    expect(proc.text.join('\n')).toContain('env CONTROLLER_INSTALL_CRD, default: true');
  });

  it('refuses a bad flag with one clear line and exit code 2', async () => {
    const proc = await start('bad-flag', ['--workers=zero'], {}, false);
    expect(await proc.waitExit()).toBe(2);
    expect(proc.stderr.join('')).toBe(
      'guitars-controller: --workers=zero: expected a whole number from 1 to 64\n',
    );
  });

  it('refuses an invalid review policy file at start, saying what is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'policy.yaml');
    writeFileSync(path, 'rules: []\notherwise: {verdict: unknown, comment: who}\n');
    const proc = await start('bad-policy', [], { CONTROLLER_REVIEW_POLICY: path }, false);
    expect(await proc.waitExit()).toBe(1);
    const fatal = proc.logs.find((l) => l.level === 'fatal');
    expect(fatal?.msg).toContain(`${path}: not a valid review policy`);
    expect(fatal?.msg).toContain('must hold at least one rule');
  });

  it('says clearly when no cluster is configured', async () => {
    const proc = await ControllerProcess.start(
      'no-cluster',
      [],
      { KUBECONFIG: '/nonexistent/kubeconfig' },
      { waitForPort: false },
    );
    running.push(proc);
    expect(await proc.waitExit()).toBe(1);
    expect(proc.logs.find((l) => l.level === 'fatal')?.msg).toMatch(
      /no Kubernetes cluster configured: .*KUBECONFIG=\/nonexistent\/kubeconfig: no such file/,
    );
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'reviews, then on %s finishes its work and exits 0',
    async (signal) => {
      const namespace = await cluster.createNamespace('main');
      await createGuitars(kc, namespace, [
        { name: 'a', spec: { brand: 'fender' } },
        { name: 'b', spec: { brand: 'prs' } },
      ]);
      const proc = await start('main', [`--namespace=${namespace}`]);
      await proc.waitReady();
      expect((await proc.probe('/healthz')).status).toBe(200);
      await waitAllReviewed(kc, namespace, 2, 15_000);
      expect(await proc.metric('guitars_reviews_total')).toBe(2);
      proc.signal(signal);
      expect(await proc.waitExit()).toBe(0);
      expect(proc.lines('stopping: finishing reviews in flight')[0]?.signal).toBe(signal);
      expect(proc.lines('stopped')).toHaveLength(1);
      // The program's name is in `logger`; `name` is only ever a guitar's.
      expect(proc.logs.every((l) => l.logger === 'guitars-controller')).toBe(true);
      expect(
        proc
          .lines('guitar reviewed')
          .map((l) => [l.namespace, l.name])
          .sort(),
      ).toEqual([
        [namespace, 'a'],
        [namespace, 'b'],
      ]);
      expect(proc.lines('stopped')[0]).not.toHaveProperty('name');
      expect(proc.logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    },
  );

  it('is one bundle that runs on its own: no node_modules, the CRD manifest inside', async () => {
    const source = readFileSync(CONTROLLER_MAIN, 'utf8');
    // The entry point, which requires the bundle beside it (dist/bundle.cjs):
    // its import statements name Node's built-ins only, no other module of dist/, no package.
    const imports = [...source.matchAll(/(?:^|[;\n])import\s*(?:[\w$\s{},*]+?from\s*)?["']([^"']+)["']/g)];
    expect(imports.map((m) => m[1] ?? '').filter((i) => !isBuiltin(i))).toEqual([]);
    expect(source.startsWith('#!/usr/bin/env node\n')).toBe(true);
    // Alone in a folder, far from node_modules and packages/shared/crd, as in the image (whose
    // package.json says "type": "module").
    const alone = mkdtempSync(join(tmpdir(), 'controller-bundle-'));
    onTestFinished(() => rmSync(alone, { recursive: true, force: true }));
    copyFileSync(CONTROLLER_MAIN, join(alone, 'index.js'));
    copyFileSync(join(dirname(CONTROLLER_MAIN), 'bundle.cjs'), join(alone, 'bundle.cjs'));
    copyFileSync(new URL('../package.json', import.meta.url), join(alone, 'package.json'));
    const namespace = await cluster.createNamespace('bundle');
    await createGuitars(kc, namespace, [{ name: 'alone', spec: { brand: 'gibson' } }]);
    const proc = await ControllerProcess.start(
      'bundle',
      ['--install-crd=true', `--namespace=${namespace}`, '--leader-elect=false'],
      env,
      { main: join(alone, 'index.js') },
    );
    running.push(proc);
    // It compared the installed CRD with the manifest it carries (another test may have marked
    // the installed one older meanwhile: then it upgraded it).
    await proc.waitForLog('the CRD checked', (l) =>
      /^CRD guitars\.kool\.karmalabs\.local (unchanged|updated)$/.test(l.msg),
    );
    await waitAllReviewed(kc, namespace, 1, 15_000);
    expect(proc.logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });
});
