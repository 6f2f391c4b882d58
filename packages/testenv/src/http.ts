import { request as plainRequest } from 'node:http';
import { request } from 'node:https';

export interface HttpResult {
  status: number;
  body: string;
}

export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

/** One HTTP(S) request with a private CA, for probing the control plane before any client exists. */
export function httpRequest(
  url: string,
  options: { method?: string; body?: string; tls?: TlsOptions; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? request : plainRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: options.method ?? 'GET',
        ...options.tls,
        timeout: options.timeoutMs ?? 5_000,
        headers: options.body ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout calling ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Polls until check() returns true, or throws after timeoutMs with the last reason. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  isDead: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (isDead()) throw new Error(`${what}: the process exited`);
    try {
      if (await check()) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not ready after ${timeoutMs} ms${last ? ` (${last})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
