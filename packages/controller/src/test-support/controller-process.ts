import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@guitars/testenv';

/**
 * The built controller, as a pod would run it: one bundle (scripts/bundle.ts). Tests build first
 * (turbo's test depends on build).
 */
export const CONTROLLER_MAIN = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

export type LogLine = Record<string, unknown> & { level: string; msg: string };

/**
 * The controller as a child process: its JSON log lines, its probe port, and signals. The probe
 * server binds port 0 on 127.0.0.1; the port is read from the log.
 */
export class ControllerProcess {
  readonly logs: LogLine[] = [];
  /** stdout lines that are not JSON (--help). */
  readonly text: string[] = [];
  readonly stderr: string[] = [];
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;
  private probePort = 0;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    let buffer = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.text.push(line);
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
    });
  }

  static async start(
    name: string,
    args: string[],
    env: Record<string, string | undefined>,
    options: { waitForPort?: boolean; main?: string } = {},
  ): Promise<ControllerProcess> {
    const main = options.main ?? CONTROLLER_MAIN;
    const child = spawn(process.execPath, [main, '--probe-bind-address=127.0.0.1:0', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new ControllerProcess(name, child);
    if (options.waitForPort ?? true) {
      await waitFor(
        `${name}: probe port`,
        async () => proc.findPort(),
        20_000,
        () => proc.hasExited(),
      );
    }
    return proc;
  }

  hasExited(): boolean {
    return this.exitCode !== null || this.exitSignal !== null;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** GET a probe path: status and body. */
  async probe(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${this.probePort}${path}`);
    return { status: res.status, body: await res.text() };
  }

  /** The value of one metric sample, e.g. metric('guitars_reviews_total', {verdict: 'great'}); 0 when absent. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const { body } = await this.probe('/metrics');
    return sumSamples(body, name, labels);
  }

  /**
   * Waits until a metric reaches a value. A review is visible in the cluster a moment before the
   * controller has the patch's answer and counts it: assert on counts through this.
   */
  async waitMetric(
    name: string,
    labels: Record<string, string>,
    value: number,
    timeoutMs = 10_000,
  ): Promise<void> {
    let last = 0;
    await waitFor(
      `${this.name}: ${name}${JSON.stringify(labels)} = ${value}`,
      async () => {
        last = await this.metric(name, labels);
        if (last !== value) throw new Error(`it is ${last}`);
        return true;
      },
      timeoutMs,
      () => this.hasExited(),
    );
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${this.name}: ready`,
      async () => (await this.probe('/readyz')).status === 200,
      timeoutMs,
      () => this.hasExited(),
    );
  }

  /** Log lines with this message. */
  lines(msg: string): LogLine[] {
    return this.logs.filter((l) => l.msg === msg);
  }

  async waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    let found: LogLine | undefined;
    await waitFor(
      `${this.name}: ${what}`,
      async () => {
        found = this.logs.find(match);
        return found !== undefined;
      },
      timeoutMs,
      () => this.hasExited(),
    );
    return found as LogLine;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Waits for the exit (killing it after timeoutMs) and returns the code. */
  async waitExit(timeoutMs = 30_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    return this.exitCode;
  }

  /** For afterEach: make sure nothing is left running. */
  async kill(): Promise<void> {
    if (this.hasExited()) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** A description of the last log lines, to explain a failure. */
  tail(n = 20): string {
    return [...this.logs.slice(-n).map((l) => JSON.stringify(l)), ...this.stderr.slice(-5)].join('\n');
  }

  private findPort(): boolean {
    const line = this.logs.find((l) => l.msg === 'serving /healthz, /readyz and /metrics');
    if (line && typeof line.port === 'number') this.probePort = line.port;
    return this.probePort > 0;
  }
}

/** Sums the samples of a metric whose labels include the given ones, from Prometheus text. */
export function sumSamples(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(match[3]);
  }
  return total;
}
