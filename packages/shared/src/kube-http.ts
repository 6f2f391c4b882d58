import * as http from 'node:http';
import * as https from 'node:https';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';

export interface KubeHttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The API path, e.g. /apis/kool.karmalabs.local/v1/namespaces/shop/guitars/strat. */
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Content-Type of the body; application/json unless said (e.g. application/merge-patch+json). */
  contentType?: string;
}

/** Per-request limit, so that a request lost in a broken connection cannot hold a worker forever. */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * A lean client for the controller's hot write: one JSON request over node:https, with a
 * keep-alive agent (one connection pool) per KubeHttp.
 *
 * Why not client-node's generated API for it: on the 2-core bench machine its request path
 * (undici fetch with WHATWG streams, a cloned request, HTTP/2 stream setup, a new Agent built per
 * request) cost 0.73-0.93 ms of CPU and ~100 KB of garbage per patch; this costs 0.23-0.37 ms, and
 * the CPU it saves goes to the apiserver (docs/performance-analysis.md). Credentials still come
 * from client-node, per request: KubeConfig.applyToHTTPSOptions applies the CA, client
 * certificate, token, exec or auth-provider plugin, and basic auth, as its own WebSocket calls do.
 * Failures are thrown as client-node's ApiException, so apiStatus and apiMessage read them alike.
 *
 * A kubeconfig `proxy-url` is not honoured here: use client-node when one is set (see usable()).
 */
export class KubeHttp {
  private readonly server: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(private readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.transport = this.server.protocol === 'http:' ? http : https;
    this.agent = new this.transport.Agent({ keepAlive: true });
  }

  /** False when the current cluster is reached through a proxy, which this client does not do. */
  static usable(kc: KubeConfig): boolean {
    return !kc.getCurrentCluster()?.proxyUrl;
  }

  async request<T>(req: KubeHttpRequest): Promise<T> {
    const options: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(options);
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query ?? {}))
      if (value !== undefined) query.set(key, value);
    const search = query.size > 0 ? `?${query}` : '';
    const headers: http.OutgoingHttpHeaders = {
      // Authorization, Impersonate-User: client-node sets them as an object, never a raw list.
      ...(options.headers as http.OutgoingHttpHeaders | undefined),
      accept: 'application/json',
      ...(payload === undefined
        ? {}
        : {
            'content-type': req.contentType ?? 'application/json',
            'content-length': Buffer.byteLength(payload),
          }),
    };
    return new Promise<T>((resolve, reject) => {
      const outgoing = this.transport.request(
        {
          ...options,
          agent: this.agent,
          protocol: this.server.protocol,
          hostname: this.server.hostname,
          port: this.server.port,
          // A server URL may carry a path prefix (a proxying front end): keep it.
          path: `${this.server.pathname.replace(/\/$/, '')}${req.path}${search}`,
          method: req.method,
          headers,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              reject(
                new ApiException(status, `HTTP ${status} for ${req.method} ${req.path}`, text, flat(res)),
              );
              return;
            }
            try {
              resolve((text ? JSON.parse(text) : undefined) as T);
            } catch (err) {
              reject(err);
            }
          });
        },
      );
      outgoing.on('timeout', () =>
        outgoing.destroy(new Error(`${req.method} ${req.path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)),
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }

  /** Closes its connections, idle or not: for a stop, once no request is in flight. */
  close(): void {
    this.agent.destroy();
  }
}

function flat(res: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(res.headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
