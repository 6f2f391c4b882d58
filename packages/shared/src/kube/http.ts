import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { KubeConfig } from '@kubernetes/client-node';
import { type Call, callHttp1 } from './calls.js';
import { KubeApiError } from './errors.js';

export interface KubeHttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The API path, e.g. /apis/kool.karmalabs.local/v1/namespaces/shop/guitars/strat. */
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Content-Type of the body; application/json unless said (e.g. application/merge-patch+json). */
  contentType?: string;
  /**
   * Acts as the holder of this bearer token (a signed-in user), not as the kubeconfig's user: the
   * kubeconfig's client certificate, token and impersonation are left out, so the apiserver's
   * RBAC judges that user alone. Only the cluster's address and CA come from the kubeconfig.
   */
  bearerToken?: string;
}

/** Whom a request acts as: a signed-in user's bearer token, else the kubeconfig's user. */
export type RequestAs = Pick<KubeHttpRequest, 'bearerToken'>;

/** One event of a watch stream: its type (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR), its object. */
export type WatchCallback = (type: string, object: unknown, event: unknown) => void;

/**
 * How long one reading of the kubeconfig's credentials serves requests: reading them costs file
 * reads and decoding per call. A 401 drops the reading, so an expired token is replaced at once.
 */
const CREDENTIALS_TTL_MS = 10_000;
/** Per-request limit, so that a request lost in a broken connection cannot hold a worker forever. */
const REQUEST_TIMEOUT_MS = 60_000;
/** A watch silent for this long is given up (TimeoutError): a connection may die without a word. */
const WATCH_IDLE_TIMEOUT_MS = 30_000;

export interface KubeHttpOptions {
  /** How long a watch may stay silent before it is given up and resumed (default 30 s). */
  watchIdleTimeoutMs?: number;
}

/**
 * The one HTTP stack of a process: JSON over node:https with one keep-alive pool, a third of
 * client-node's CPU per request, measured. Credentials (CA, client certificate, token, exec or
 * auth-provider plugin, proxy-url) come from client-node's KubeConfig.applyToHTTPSOptions.
 * Refusals are thrown as KubeApiError.
 */
export class KubeHttp {
  private readonly server: URL;
  private readonly agent: http.Agent;
  /** For requests with a bearerToken: no client certificate ever rides on these connections. */
  private readonly tokenAgent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly proxied: boolean;
  private credentials: { readAt: number; options: Promise<https.RequestOptions> } | undefined;

  private readonly watchIdleTimeoutMs: number;

  constructor(
    private readonly kc: KubeConfig,
    options: KubeHttpOptions = {},
  ) {
    this.watchIdleTimeoutMs = options.watchIdleTimeoutMs ?? WATCH_IDLE_TIMEOUT_MS;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.transport = this.server.protocol === 'http:' ? http : https;
    this.agent = new this.transport.Agent({ keepAlive: true });
    this.tokenAgent = new this.transport.Agent({ keepAlive: true });
    this.proxied = Boolean(cluster.proxyUrl);
  }

  /** A request whose answer is JSON, parsed. */
  request<T>(req: KubeHttpRequest): Promise<T> {
    return this.exchange(req, (res, complete) =>
      bodyOf(res, complete).then((text) => (text ? JSON.parse(text) : undefined) as T),
    );
  }

  /**
   * A write whose answer is not needed (a review patch, an event): it succeeds or throws as
   * request() does, but a 2xx body is dropped unparsed (a patch returns the whole object).
   */
  send(req: KubeHttpRequest): Promise<void> {
    return this.exchange(req, drain);
  }

  private async exchange<T>(
    req: KubeHttpRequest,
    read: (body: Readable, complete: () => boolean) => Promise<T>,
  ): Promise<T> {
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const timeout = {
      ms: REQUEST_TIMEOUT_MS,
      message: `${req.method} ${req.path}: no answer within ${REQUEST_TIMEOUT_MS} ms`,
    };
    const options = await this.options(req, payload);
    const { status, body, complete } = await callHttp1(this.transport, options, payload, timeout).answer;
    // A user's expired token says nothing about the kubeconfig's credentials.
    if (status === 401 && req.bearerToken === undefined) this.credentials = undefined;
    if (status >= 200 && status < 300) return read(body, complete);
    throw refusal(status, req.method, req.path, await bodyOf(body, complete));
  }

  /**
   * Watches a collection from `query.resourceVersion`: `callback` for each event; `done` exactly
   * once, with null when the stream ended or the returned controller aborted it, a KubeApiError
   * when the apiserver refused the watch, an Error named TimeoutError after 30 s without a byte,
   * another Error when the connection failed or a line was not JSON. The promise settles once the
   * apiserver has answered (or could not be reached). client-node's Watch.watch contract.
   */
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: WatchCallback,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const params: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(query)) params[key] = value?.toString();
    params.watch = 'true';
    const req: KubeHttpRequest = { method: 'GET', path, query: params };
    const options = await this.options(req, undefined);
    const controller = new AbortController();
    let finished = false;
    let call: Call | undefined;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(idle);
      call?.cancel();
      done(err);
    };
    // One timer for the watch's life, pushed back by every chunk (refresh: no new timer per chunk).
    const idle = setTimeout(() => {
      const err = new Error(`watch ${path}: nothing received for ${this.watchIdleTimeoutMs} ms`);
      err.name = 'TimeoutError';
      finish(err);
    }, this.watchIdleTimeoutMs).unref();
    controller.signal.addEventListener('abort', () => finish(null), { once: true });
    let res: Readable;
    let complete: () => boolean;
    try {
      call = callHttp1(this.transport, options, undefined);
      const answer = await call.answer;
      idle.refresh();
      if (answer.status !== 200) {
        if (answer.status === 401) this.credentials = undefined;
        // The refusal is a Status object: read it whole, for its message.
        finish(refusal(answer.status, 'GET', path, await bodyOf(answer.body, answer.complete)));
        return controller;
      }
      ({ body: res, complete } = answer);
    } catch (err) {
      // Unreachable, or cut before an answer: settles once done has been called.
      finish(err);
      return controller;
    }
    if (finished) {
      // Aborted or timed out while the answer was on its way.
      call.cancel();
      return controller;
    }
    const decoder = new StringDecoder('utf8');
    let partial = '';
    res.on('data', (chunk: Buffer) => {
      idle.refresh();
      const text = partial + decoder.write(chunk);
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1 && !finished; end = text.indexOf('\n', start)) {
        const line = text.slice(start, end);
        start = end + 1;
        if (line.trim() === '') continue;
        let event: { type?: unknown; object?: unknown };
        try {
          event = JSON.parse(line) as { type?: unknown; object?: unknown };
        } catch {
          finish(new Error(`watch ${path}: a line of the stream is not JSON: ${line.slice(0, 200)}`));
          return;
        }
        callback(String(event.type), event.object, event);
      }
      partial = text.slice(start);
    });
    // A connection cut mid-stream fails the response ("aborted"), or closes it incomplete.
    const cut = (cause?: unknown) =>
      finish(new Error(`watch ${path}: the connection was cut`, cause === undefined ? {} : { cause }));
    res.on('error', cut);
    res.on('close', () => (complete() ? finish(null) : cut()));
    return controller;
  }

  /** Closes its connections, idle or not: for a stop, once no request is in flight. */
  close(): void {
    this.agent.destroy();
    this.tokenAgent.destroy();
  }

  /** Options for one request: the kubeconfig's credentials, this client's pool, the full path. */
  private async options(req: KubeHttpRequest, payload: string | undefined): Promise<https.RequestOptions> {
    const options =
      req.bearerToken === undefined
        ? await this.credentialOptions()
        : await this.tokenOptions(req.bearerToken);
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query ?? {}))
      if (value !== undefined) query.set(key, value);
    const search = query.size > 0 ? `?${query}` : '';
    return {
      ...options,
      // applyToHTTPSOptions hands out client-node's agent for the cluster: through a proxy that is
      // the proxy's agent, to be used; else our own, which keeps connections alive.
      agent: this.proxied ? options.agent : req.bearerToken === undefined ? this.agent : this.tokenAgent,
      protocol: this.server.protocol,
      hostname: this.server.hostname,
      port: this.server.port,
      // A server URL may carry a path prefix (a proxying front end): keep it.
      path: `${this.server.pathname.replace(/\/$/, '')}${req.path}${search}`,
      method: req.method,
      headers: {
        // Authorization, Impersonate-User: client-node sets them as an object, never a raw list.
        ...(options.headers as http.OutgoingHttpHeaders | undefined),
        accept: 'application/json',
        ...(payload === undefined
          ? {}
          : {
              'content-type': req.contentType ?? 'application/json',
              'content-length': Buffer.byteLength(payload),
            }),
      },
    };
  }

  /**
   * The kubeconfig's CA and TLS settings with `token` as the only credential. The apiserver tries
   * a client certificate before a bearer token, so one left in would make every user the UI.
   */
  private async tokenOptions(token: string): Promise<https.RequestOptions> {
    if (this.proxied)
      throw new Error('requests with a user token through a kubeconfig proxy-url are not supported');
    const { ca, rejectUnauthorized, servername } = await this.credentialOptions();
    return {
      ...(ca === undefined ? {} : { ca }),
      ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
      ...(servername === undefined ? {} : { servername }),
      headers: { authorization: `Bearer ${token}` },
    };
  }

  /** The kubeconfig's CA, client certificate, token or plugin credentials, read at most every 10 s. */
  private credentialOptions(): Promise<https.RequestOptions> {
    const now = Date.now();
    if (!this.credentials || now - this.credentials.readAt >= CREDENTIALS_TTL_MS) {
      const options: https.RequestOptions = {};
      const reading = this.kc.applyToHTTPSOptions(options).then(() => options);
      const credentials = { readAt: now, options: reading };
      // A failed reading (an exec plugin that failed, a missing file) is tried again next time.
      reading.catch(() => {
        if (this.credentials === credentials) this.credentials = undefined;
      });
      this.credentials = credentials;
    }
    return this.credentials.options;
  }
}

/** A response's whole body, as text; an error if it was cut short. */
function bodyOf(res: Readable, complete: () => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('close', () =>
      complete() ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(cutShort()),
    );
    res.on('error', reject);
  });
}

/** Reads a response to its end and drops it (an HTTP/1.1 connection goes back to the pool only then). */
function drain(res: Readable, complete: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    res.on('close', () => (complete() ? resolve() : reject(cutShort())));
    res.on('error', reject);
    res.resume();
  });
}

const cutShort = () => new Error('the connection was cut before the answer was complete');

/** The apiserver's refusal (a Status object in `text`). */
function refusal(status: number, method: string, path: string, text: string): KubeApiError {
  return new KubeApiError(status, text, { method, path });
}
