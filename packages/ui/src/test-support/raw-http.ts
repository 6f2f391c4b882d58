import { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * HTTP as a hostile client or many clients send it, which fetch cannot: a path sent exactly as
 * written (fetch and the WHATWG URL parser resolve '..' and '%2e' before sending, node:http does
 * not), any header, and a chosen loopback address to send from (127.0.0.2, 127.0.0.3, ...: all of
 * 127/8 is this host on Linux), so that tests act as several clients. A fresh connection each time
 * (no agent): a stream holds one, and clients must not share.
 */
export interface RawRequest {
  /** The path to send, as written; else the URL's own path and query. */
  path?: string;
  /** The local address to connect from; 127.0.0.1 unless given. */
  from?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function send(url: string, options: RawRequest = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = open(url, options, (res) => {
      readBody(res).then(
        (body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }),
        reject,
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** send() with `path` sent exactly as written: '..', '%2e' and '%2f' reach the server as they are. */
export function rawRequest(
  baseUrl: string,
  path: string,
  init: Omit<RawRequest, 'path'> = {},
): Promise<RawResponse> {
  return send(baseUrl, { ...init, path });
}

export interface RawStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body when the server refused the stream (it is complete then); '' for an open stream. */
  body: string;
  /** Hangs up, as a closed browser tab does. */
  close(): void;
}

/** Opens GET `url` as an event stream: resolves once the headers are in, and keeps it open. */
export function openStream(url: string, options: RawRequest = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const req = open(
      url,
      { ...options, headers: { accept: 'text/event-stream', ...options.headers } },
      (res) => {
        const status = res.statusCode ?? 0;
        const close = () => req.destroy();
        if (status === 200) {
          res.resume();
          resolve({ status, headers: res.headers, body: '', close });
          return;
        }
        readBody(res).then((body) => resolve({ status, headers: res.headers, body, close }), reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function open(url: string, options: RawRequest, onResponse: (res: IncomingMessage) => void): ClientRequest {
  const target = new URL(url);
  const { body } = options;
  return request(
    {
      host: target.hostname,
      port: target.port,
      path: options.path ?? `${target.pathname}${target.search}`,
      method: options.method ?? 'GET',
      localAddress: options.from ?? '127.0.0.1',
      agent: false,
      headers: {
        ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
        ...options.headers,
      },
    },
    onResponse,
  );
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** A CSRF cookie and the token that goes with it, as a browser gets them from a form page. */
export async function csrfPair(baseUrl: string): Promise<{ cookie: string; token: string }> {
  const page = await rawRequest(baseUrl, '/guitars/new', { headers: { accept: 'text/html' } });
  const cookie = (page.headers['set-cookie'] ?? [])
    .map((line) => line.split(';')[0] ?? '')
    .find((pair) => pair.startsWith('gc_csrf='));
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!cookie || !token) throw new Error(`no CSRF pair from /guitars/new (status ${page.status})`);
  return { cookie, token };
}

/**
 * A raw connection to a server on 127.0.0.1, from `from` (127.0.0.1 unless given): the test writes
 * bytes as it likes (half a request, a request it keeps alive), and reads what came back and
 * whether the server closed it.
 */
export class RawConnection {
  received = '';
  closed = false;
  readonly socket: Socket;
  /** Resolves once connected. */
  readonly ready: Promise<void>;

  constructor(port: number, from = '127.0.0.1') {
    this.socket = connect({ port, host: '127.0.0.1', localAddress: from });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.received += chunk;
    });
    this.socket.on('close', () => {
      this.closed = true;
    });
    // A reset by the server shows as `closed`; nothing to report here.
    this.socket.on('error', () => {});
    this.ready = new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Sends a kept-alive GET. */
  get(path: string): void {
    this.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  }
}
