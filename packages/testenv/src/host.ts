import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

/** What a host command printed; never throws for a non-zero exit. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell and collects its output. */
export function run(file: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === -1 ? err.message : '') });
    });
  });
}

/** run() that throws with the command's stderr when it fails. */
export async function runOk(file: string, args: string[], timeoutMs?: number): Promise<string> {
  const result = await run(file, args, timeoutMs);
  if (result.code !== 0)
    throw new Error(`${file} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

/**
 * The IPv4 address of the interface the default route leaves by: the node's InternalIP and the
 * apiserver's advertised address, which pods reach through the `kubernetes` Service.
 */
export function defaultRouteAddress(): string {
  const routes = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1);
  const iface = routes.map((line) => line.trim().split(/\s+/)).find((f) => f[1] === '00000000')?.[0];
  if (!iface)
    throw new Error('[testenv] a node needs a default route: pods reach the apiserver at its address');
  const address = networkInterfaces()[iface]?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
  if (!address) throw new Error(`[testenv] the default route's interface ${iface} has no IPv4 address`);
  return address;
}

/** A sysctl as /proc/sys holds it, e.g. "vm/overcommit_memory". */
export function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${key}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function writeSysctl(key: string, value: string): void {
  try {
    writeFileSync(`/proc/sys/${key}`, value);
  } catch {
    // Read-only in some sandboxes; the value was what the host had anyway.
  }
}

/** Whether pid is alive and runs `exe` (its /proc/PID/exe): a recorded PID may have been reused. */
export function runs(pid: number, exe: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '') === exe;
  } catch {
    return false;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The PIDs of the processes running `exe` (and with `marker` among their arguments, if given). */
export function processesOf(exe: string, marker?: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (!runs(pid, exe)) continue;
    if (marker === undefined) {
      pids.push(pid);
      continue;
    }
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker)) pids.push(pid);
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

/** SIGKILLs pid, then waits (polling, up to timeoutMs) until it is gone. */
export async function killAndWait(pid: number, timeoutMs = 10_000): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && !isZombie(pid) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** Every mount point at or under `prefix`, deepest first (the order to unmount them in). */
export function mountsUnder(prefix: string): string[] {
  const base = prefix.replace(/\/+$/, '');
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    // mountinfo escapes spaces and the like as octal (\040).
    .map((p) => p.replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8))))
    .filter((p) => p === base || p.startsWith(`${base}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmounts everything under `prefix` (lazily: a mount still in use goes once it is not). */
export async function unmountUnder(prefix: string): Promise<void> {
  // A mount may be stacked more than once on the same point: repeat until none is left.
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(prefix);
    if (points.length === 0) return;
    for (const point of points) await run('umount', ['-l', point], 30_000);
  }
}
