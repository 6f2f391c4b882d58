import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built entry point, as `npm run ui` and the container run it (turbo builds before testing). */
export const ENTRY = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

export interface UiProcess {
  child: ChildProcess;
  /** Its JSON log lines, parsed, as they come. */
  logs: Array<Record<string, unknown>>;
  /** Every line, stderr's prefixed with "stderr: ". */
  raw: string[];
  exit: Promise<number | null>;
}

/**
 * Runs dist/index.js in a clean environment: no KUBERNETES_SERVICE_HOST, no KUBECONFIG unless given;
 * with `maxFiles`, under that limit on open files (`ulimit -n`, through util-linux's prlimit).
 */
export function runUiProcess(env: Record<string, string>, options: { maxFiles?: number } = {}): UiProcess {
  const command = [process.execPath, ENTRY];
  if (options.maxFiles) command.unshift('prlimit', `--nofile=${options.maxFiles}`, '--');
  const [file = '', ...args] = command;
  const child = spawn(file, args, {
    env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(tmpdir(), 'ui-home-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      raw.push(line);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => raw.push(`stderr: ${chunk}`));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, logs, raw, exit };
}
