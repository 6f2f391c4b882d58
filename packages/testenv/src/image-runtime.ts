import { readFileSync } from 'node:fs';

/** How an app's image starts node: what a local run or the benchmark passes to run it the same way. */
export interface ImageRuntime {
  /** node's own flags: those between `node` and the script in the last CMD. */
  nodeArgs: string[];
  /** The glibc malloc settings (MALLOC_*) of the last stage's ENV. */
  env: Record<string, string>;
}

/**
 * Reads an app's Dockerfile (packages/<app>/Dockerfile) for the heap and malloc settings its image
 * runs it with: written there, where a reader looks, and only there. Reads the exec-form
 * `CMD ["node", ...flags, "dist/index.js"]` and `ENV` lines of the last stage; deploy-tests checks
 * this against a full Dockerfile parser.
 */
export function imageRuntime(dockerfile: string): ImageRuntime {
  const lines = readFileSync(dockerfile, 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n');
  const lastStage = lines.slice(lines.findLastIndex((line) => /^FROM\s/i.test(line)));
  const env: Record<string, string> = {};
  for (const line of lastStage.filter((l) => /^ENV\s/i.test(l))) {
    for (const [, name, value] of line.matchAll(/\b(MALLOC_\w+)=(\S+)/g))
      env[name as string] = value as string;
  }
  const cmd = lastStage.findLast((line) => /^CMD\s/i.test(line));
  const argv: unknown = cmd ? JSON.parse(cmd.replace(/^CMD\s+/i, '')) : undefined;
  if (!Array.isArray(argv) || argv[0] !== 'node' || argv.length < 2) {
    throw new Error(`${dockerfile}: no exec-form CMD ["node", ..., script] in its last stage`);
  }
  return { nodeArgs: argv.slice(1, -1) as string[], env };
}
