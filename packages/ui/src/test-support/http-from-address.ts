import { type ClientRequest, type IncomingHttpHeaders, request } from 'node:http';

/**
 * HTTP from a chosen loopback address (127.0.0.2, 127.0.0.3, ...: all of 127/8 is this host on
 * Linux), so tests act as several clients, each with an address of its own, with any header
 * they like. fetch can do neither.
 */
export interface RawRequest {
  /** The local address to connect from; 127.0.0.1 unless given. */
  from?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export function send(url: string, options: RawRequest = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = open(url, options, (status, headers, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status, headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface RawStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body when the server refused the stream (it is complete then); '' for an open stream. */
  text: string;
  /** Hangs up, as a closed browser tab does. */
  close(): void;
}

/** Opens GET `url` as an event stream: resolves once the headers are in, and keeps it open. */
export function openStream(url: string, options: RawRequest = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const req = open(
      url,
      { ...options, headers: { accept: 'text/event-stream', ...options.headers } },
      (status, headers, res) => {
        if (status === 200) {
          res.resume();
          resolve({ status, headers, text: '', close: () => req.destroy() });
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status, headers, text, close: () => req.destroy() }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function open(
  url: string,
  options: RawRequest,
  onResponse: (
    status: number,
    headers: IncomingHttpHeaders,
    res: import('node:http').IncomingMessage,
  ) => void,
): ClientRequest {
  const target = new URL(url);
  return request(
    {
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: options.method ?? 'GET',
      headers: options.headers,
      localAddress: options.from ?? '127.0.0.1',
      // A connection of its own each time: a stream holds one, and clients must not share.
      agent: false,
    },
    (res) => onResponse(res.statusCode ?? 0, res.headers, res),
  );
}
