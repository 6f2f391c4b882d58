import { type IncomingHttpHeaders, request } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * One request with `path` sent exactly as written, as a hostile client sends it: fetch and the
 * WHATWG URL parser would resolve '..' and '%2e' before sending, node:http does not. A fresh
 * connection each time (no agent), closed after the answer.
 */
export function rawRequest(baseUrl: string, path: string, init: RawInit = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        path,
        method: init.method ?? 'GET',
        agent: false,
        headers: {
          connection: 'close',
          ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }),
          ...init.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
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
 * A raw connection to a server on 127.0.0.1: the test writes bytes as it likes (half a request, a
 * request it keeps alive), and reads what came back and whether the server closed it.
 */
export class RawConnection {
  received = '';
  closed = false;
  readonly socket: Socket;
  /** Resolves once connected. */
  readonly ready: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
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
    this.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
  }
}
