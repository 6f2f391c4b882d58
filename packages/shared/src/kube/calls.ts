import type * as http from 'node:http';
import * as http2 from 'node:http2';
import type * as https from 'node:https';
import type { Readable } from 'node:stream';
import type { Http2Sessions } from './http2-sessions.js';

/** The apiserver's answer to one request: its status, and its body to be read. */
export interface Answer {
  status: number;
  body: Readable;
  /**
   * Whether the body came whole, asked once it closed. An HTTP/2 stream whose connection was cut
   * ends as if complete: only its close code (RST_STREAM) tells.
   */
  complete(): boolean;
}

/** One request in flight, over HTTP/1.1 or HTTP/2 alike. */
export interface Call {
  /** The answer, or why there is none (a connection error, no answer in time). */
  answer: Promise<Answer>;
  /** Gives the request up; `silent`: it went quiet too long, so its connection is suspect too. */
  cancel(silent?: boolean): void;
}

/** A limit on silence: after `ms` without a byte the call fails with `message`. */
export interface Timeout {
  ms: number;
  message: string;
}

/** A request over HTTP/1.1: node:https (or node:http) with the options' pool. */
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

/**
 * A request as one stream of an HTTP/2 session: the same options (path, method, headers, basic
 * auth) as HTTP/1.1, turned into pseudo-headers.
 */
export function callHttp2(
  sessions: Http2Sessions,
  session: http2.ClientHttp2Session,
  options: https.RequestOptions,
  payload: string | undefined,
  timeout?: Timeout,
): Call {
  const headers: http2.OutgoingHttpHeaders = {
    ':method': options.method,
    ':path': options.path ?? '/',
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  // client-node hands a kubeconfig's username and password as `auth`; node:https makes it a header.
  if (options.auth) headers.authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
  let stream: http2.ClientHttp2Stream;
  try {
    stream = session.request(headers, { endStream: payload === undefined });
  } catch (err) {
    // The session closed between being handed out and this request (a GOAWAY just arrived).
    return { answer: Promise.reject(err as Error), cancel: () => {} };
  }
  sessions.opened(session);
  stream.once('close', () => sessions.closed(session));
  let answered = false;
  const answer = new Promise<Answer>((resolve, reject) => {
    stream.once('response', (h) => {
      answered = true;
      resolve({
        status: Number(h[':status']),
        body: stream,
        complete: () => stream.rstCode === http2.constants.NGHTTP2_NO_ERROR,
      });
    });
    stream.once('error', (err) => {
      if (unprocessed(err)) sessions.forget(session);
      reject(err);
    });
    // A stream reset by the server (or its session closed) before any answer. Every stream
    // closes: the Error (and its stack) is made only when there was no answer.
    stream.once('close', () => {
      if (answered) return;
      reject(
        new Error(`${options.method} ${options.path}: the stream closed unanswered (code ${stream.rstCode})`),
      );
    });
  });
  if (timeout)
    stream.setTimeout(timeout.ms, () => {
      sessions.suspect(session);
      stream.destroy(new Error(timeout.message));
    });
  if (payload !== undefined) stream.end(payload);
  return {
    answer,
    cancel: (silent) => {
      if (silent) sessions.suspect(session);
      stream.destroy();
    },
  };
}

/**
 * A request the server never processed: its stream refused, or sent after the server's GOAWAY.
 * Safe to send again on a new connection, as Go's HTTP/2 transport does (canRetryError in
 * https://github.com/golang/net/blob/v0.49.0/http2/transport.go).
 */
export function unprocessed(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === 'ERR_HTTP2_GOAWAY_SESSION' ||
    (code === 'ERR_HTTP2_STREAM_ERROR' && String(message).includes('NGHTTP2_REFUSED_STREAM'))
  );
}
