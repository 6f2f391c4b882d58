import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The apps reach the cluster only through shared's kube door: no REST path of their own, and
// client-node for types only (its kubeconfig loading and API clients are the door's business).
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const APP_SOURCES = ['packages/controller/src', 'packages/ui/src'];

const REST_PATH = /\/apis\/|\/api\/v1\b/g;
const CLIENT_NODE = `['"]@kubernetes/client-node['"]`;
const STATIC_IMPORT = new RegExp(`\\b(import|export)\\s+(type\\s+)?([^;]*?)\\s*from\\s*${CLIENT_NODE}`, 'g');
const BARE_IMPORT = new RegExp(
  `\\bimport\\s*${CLIENT_NODE}|\\b(?:import|require)\\s*\\(\\s*${CLIENT_NODE}`,
  'g',
);

/** What in `text` goes around the door: a REST path, or client-node used for more than its types. */
function violations(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(REST_PATH))
    found.push(`REST path literal ${JSON.stringify(lineAt(text, match.index))}`);
  for (const match of text.matchAll(STATIC_IMPORT)) {
    const [statement, , typeOnly, clause = ''] = match;
    if (typeOnly) continue;
    const braces = /^\{([^}]*)\}$/s.exec(clause.trim());
    const values = braces
      ? (braces[1] ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '' && !s.startsWith('type '))
      : [clause.trim()];
    if (values.length > 0)
      found.push(`runtime import of client-node (${values.join(', ')}): ${oneLine(statement)}`);
  }
  for (const match of text.matchAll(BARE_IMPORT))
    found.push(`runtime import of client-node: ${oneLine(match[0])}`);
  return found;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ');
const lineAt = (text: string, index: number) =>
  text
    .slice(text.lastIndexOf('\n', index) + 1, (text.indexOf('\n', index) + 1 || text.length + 1) - 1)
    .trim();

/** The apps' own code: every .ts file but tests and their support. */
function appFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test-support' ? [] : appFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the door to the cluster', () => {
  it('is the only way the controller and the UI reach it', () => {
    const files = APP_SOURCES.flatMap((dir) => appFiles(join(root, dir)));
    // The scan saw the apps' code, not an empty folder.
    expect(files.map((f) => relative(root, f))).toEqual(
      expect.arrayContaining(['packages/controller/src/app.ts', 'packages/ui/src/app.ts']),
    );
    const found = files.flatMap((file) =>
      violations(readFileSync(file, 'utf8')).map((v) => `${relative(root, file)}: ${v}`),
    );
    expect(found).toEqual([]);
  });

  it.each([
    ["const path = '/apis/kool.karmalabs.local/v1/guitars';", /REST path literal/],
    ["const events = '/api/v1/namespaces/' + ns + '/events';", /REST path literal/],
    [
      "import { CustomObjectsApi } from '@kubernetes/client-node';",
      /runtime import of client-node \(CustomObjectsApi\)/,
    ],
    ["import { type KubeConfig, ApiException } from '@kubernetes/client-node';", /\(ApiException\)/],
    ['import {\n  KubeConfig,\n  type V1Lease,\n} from "@kubernetes/client-node";', /\(KubeConfig\)/],
    ["import * as k8s from '@kubernetes/client-node';", /\(\* as k8s\)/],
    ["export { Watch } from '@kubernetes/client-node';", /\(Watch\)/],
    ["const k8s = await import('@kubernetes/client-node');", /runtime import of client-node/],
  ])('catches a planted violation: %s', (text, reason) => {
    expect(violations(text)).toEqual([expect.stringMatching(reason)]);
  });

  it.each([
    "import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';",
    "import { type KubeConfig, type V1Lease } from '@kubernetes/client-node';",
    "import { connect, guitarPath } from '@guitars/shared';",
    "router.get('/api/guitars', list);",
  ])('lets through what goes through the door: %s', (text) => {
    expect(violations(text)).toEqual([]);
  });
});
