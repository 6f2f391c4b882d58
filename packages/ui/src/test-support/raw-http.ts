import { type IncomingHttpHeaders, request } from 'node:http';

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
