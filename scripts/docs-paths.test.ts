import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Every file a doc names exists: a README that names a file which was renamed or never written
 * sends its reader nowhere (issue 22 found four). Build outputs (`dist/`) and places made at run
 * time are not checked.
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = readdirSync(join(REPO, 'packages')).map((name) => join(REPO, 'packages', name));
/** The repository's files, by name: a doc may name a file without its folder (`ui-rbac.yaml`). */
const FILES = execFileSync('git', ['ls-files'], { cwd: REPO, encoding: 'utf8' }).split('\n');
const NAMES = new Set(FILES.map((file) => basename(file)));
/** Files of other projects the docs name: oauth-proxy's source, the Node.js image's entry point. */
const ELSEWHERE = new Set(['options.go', 'docker-entrypoint.sh']);

function docs(): string[] {
  return [
    join(REPO, 'README.md'),
    ...PACKAGES.map((dir) => join(dir, 'README.md')).filter(existsSync),
    ...readdirSync(join(REPO, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => join(REPO, 'docs', name)),
  ];
}

const FILE_LIKE = /^[\w.@~-][\w./@-]*(?:\/|\.(?:ts|js|cjs|mjs|json|ya?ml|md|sh|ejs|css|go|png|svg))$/;
/** Made by a build or at run time, outside the repository, or a placeholder (`foo.test.ts`). */
const NOT_IN_REPO =
  /(?:^|\/)(?:dist|node_modules|\.testenv|\.cache|bench\/results)\/|^~|^\/|^[a-z]+\.[a-z]+\/|^foo\./;

/** The paths a Markdown text names: in backticks, or as a relative link target. */
function namedPaths(markdown: string): string[] {
  const inCode = [...markdown.matchAll(/`([^`\s]+)`/g)].map((m) => m[1] ?? '');
  const linked = [...markdown.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)].map((m) => m[1] ?? '');
  return [...new Set([...inCode, ...linked])].filter(
    (path) => !/^[a-z]+:/.test(path) && FILE_LIKE.test(path) && !NOT_IN_REPO.test(path),
  );
}

/** Where a doc's path may be relative to: the doc, the repository, or a package (or its src/). */
function exists(doc: string, path: string): boolean {
  if (!path.includes('/')) return NAMES.has(path) || ELSEWHERE.has(path);
  const bases = [
    dirname(doc),
    join(dirname(doc), 'src'),
    REPO,
    ...PACKAGES,
    ...PACKAGES.map((p) => join(p, 'src')),
  ];
  return bases.some((base) => existsSync(join(base, path)));
}

describe('paths named in the docs', () => {
  it('are found in code spans and links, not in prose or URLs', () => {
    expect(
      namedPaths(
        'See `kube/http.ts`, [deploy](docs/deploy.md#openshift), `npm test`, `dist/bundle.cjs`, ' +
          '[site](https://example.com/a.md) and `k8s/`.',
      ),
    ).toEqual(['kube/http.ts', 'k8s/', 'docs/deploy.md']);
  });

  it('exist in the repository', () => {
    const missing = docs().flatMap((doc) =>
      namedPaths(readFileSync(doc, 'utf8'))
        .filter((path) => !exists(doc, path))
        .map((path) => `${relative(REPO, doc)}: ${path}`),
    );
    expect(missing).toEqual([]);
  });

  it("include each source file of @guitars/shared in its README's table", () => {
    const readme = readFileSync(join(REPO, 'packages/shared/README.md'), 'utf8');
    const unnamed = FILES.filter((file) => /^packages\/shared\/src\/.*\.ts$/.test(file))
      .filter((file) => !file.endsWith('.test.ts') && !file.endsWith('/index.ts'))
      .map((file) => file.slice('packages/shared/src/'.length))
      .filter((file) => !readme.includes(`\`src/${file}\``) && !readme.includes(`\`${basename(file)}\``));
    expect(unnamed).toEqual([]);
  });

  it('leave the lab notebook to the docs and the benchmark: no other source links it', () => {
    const linking = FILES.filter(
      (file) => /\.(?:ts|js|ejs|yaml|sh)$/.test(file) && !file.startsWith('packages/bench/'),
    )
      .filter((file) => file !== 'scripts/docs-paths.test.ts')
      .filter((file) => /lab-notebook|performance-analysis/.test(readFileSync(join(REPO, file), 'utf8')));
    expect(linking).toEqual([]);
  });
});
