import type * as http from 'node:http';
import type * as https from 'node:https';
import type { Readable } from 'node:stream';

/** The apiserver's answer to one request: its status, and its body to be read. */
export interface Answer {
  status: number;
  body: Readable;
  /** Whether the body came whole, asked once it closed (not cut with its connection). */
  complete(): boolean;
}

/** One request in flight. */
export interface Call {
  /** The answer, or why there is none (a connection error, no answer in time). */
  answer: Promise<Answer>;
  /** Gives the request up. */
  cancel(): void;
}

/** A limit on silence: after `ms` without a byte the call fails with `message`. */
export interface Timeout {
  ms: number;
  message: string;
}

/** A request over node:https (or node:http) with the options' pool. */
export function callHttp1(
  transport: typeof http | typeof https,
  options: https.RequestOptions,
  payload: string | undefined,
  timeout?: Timeout,
): Call {
  const outgoing = transport.request(timeout ? { ...options, timeout: timeout.ms } : options);
  const answer = new Promise<Answer>((resolve, reject) => {
    outgoing.on('response', (res) =>
      resolve({ status: res.statusCode ?? 0, body: res, complete: () => res.complete }),
    );
    outgoing.on('error', reject);
  });
  if (timeout) outgoing.on('timeout', () => outgoing.destroy(new Error(timeout.message)));
  outgoing.end(payload);
  return { answer, cancel: () => outgoing.destroy() };
}
