import * as http2 from 'node:http2';
import type * as https from 'node:https';
import { isIP } from 'node:net';
import * as tls from 'node:tls';

/**
 * A connection with no answer to a ping within this long is dead: client-go's PingTimeout
 * (https://github.com/kubernetes/apimachinery/blob/v0.36.3/pkg/util/net/http.go).
 */
const PING_TIMEOUT_MS = 15_000;
/**
 * A connection that never completes its handshake fails: client-go's TLSHandshakeTimeout
 * (https://github.com/kubernetes/client-go/blob/v0.36.3/transport/cache.go).
 */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** The TLS options of applyToHTTPSOptions that make a connection: one session per distinct set. */
const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;
type TlsOptions = Pick<https.RequestOptions, (typeof TLS_KEYS)[number]>;

interface Entry {
  key: string;
  session: Promise<http2.ClientHttp2Session | undefined>;
  /** Its TLS connection while the handshake is on, for close() to end; then the session owns it. */
  socket?: tls.TLSSocket;
}

/**
 * HTTP/2 connections to one apiserver, as client-go keeps them: one session (one TLS connection,
 * every request a stream on it) per set of TLS credentials, opened on first use with ALPN. A
 * session that is told GOAWAY, fails or closes is forgotten; the next request opens a new one.
 * `session()` resolves to undefined when the server does not negotiate h2: then use HTTP/1.1.
 */
export class Http2Sessions {
  /** Per role ('kubeconfig', 'token'): credentials change (an exec plugin's new certificate). */
  private readonly entries = new Map<string, Entry>();
  /** Sessions with a stream open: ref'd while busy, so that an idle one never holds the process. */
  private readonly active = new WeakMap<http2.ClientHttp2Session, number>();
  private readonly keys = new WeakMap<TlsOptions, string>();
  private readonly roles = new WeakMap<http2.ClientHttp2Session, string>();
  private readonly authority: string;

  constructor(private readonly server: URL) {
    this.authority = `${server.protocol}//${server.host}`;
  }

  /**
   * The session for the kubeconfig's TLS credentials, opened if there is none yet; with
   * `clientCertificate` false, its CA and TLS settings alone (for requests with a user's token).
   */
  session(options: TlsOptions, clientCertificate: boolean): Promise<http2.ClientHttp2Session | undefined> {
    const role = clientCertificate ? 'kubeconfig' : 'token';
    const key = this.keyOf(options);
    const entry = this.entries.get(role);
    if (entry?.key === key) return entry.session;
    // New credentials: the old session finishes its streams, then closes.
    if (entry)
      entry.session.then(
        (old) => old?.close(),
        () => {},
      );
    const fresh: Entry = { key, session: Promise.resolve(undefined) };
    fresh.session = this.connect(clientCertificate ? options : withoutCertificate(options), fresh);
    this.entries.set(role, fresh);
    const forget = () => {
      if (this.entries.get(role) === fresh) this.entries.delete(role);
    };
    fresh.session.then((s) => {
      if (!s) return;
      this.roles.set(s, role);
      s.on('goaway', forget);
      s.on('close', forget);
      // Its streams fail with the error; the session itself is done.
      s.on('error', forget);
    }, forget);
    return fresh.session;
  }

  /** Counts a stream in: the session keeps the process alive while any stream is open. */
  opened(session: http2.ClientHttp2Session): void {
    const n = this.active.get(session) ?? 0;
    if (n === 0) session.ref();
    this.active.set(session, n + 1);
  }

  closed(session: http2.ClientHttp2Session): void {
    const n = (this.active.get(session) ?? 1) - 1;
    this.active.set(session, n);
    if (n === 0 && !session.destroyed) session.unref();
  }

  /**
   * A stream went silent: the connection may be dead without a word (a cut cable, a dead NAT
   * entry). New requests get a new session at once; this one finishes its streams if a ping gets
   * an answer, and is destroyed if not (client-go's ReadIdleTimeout and PingTimeout).
   */
  suspect(session: http2.ClientHttp2Session): void {
    this.forget(session);
    if (session.closed || session.destroyed) return;
    const dead = setTimeout(
      () => session.destroy(new Error(`no answer to an HTTP/2 ping within ${PING_TIMEOUT_MS} ms`)),
      PING_TIMEOUT_MS,
    ).unref();
    const pinged = session.ping((err) => (err ? session.destroy(err) : clearTimeout(dead)));
    if (!pinged) clearTimeout(dead);
    session.close();
  }

  /** New requests go on a new session (this one refused a stream: a GOAWAY may be on its way). */
  forget(session: http2.ClientHttp2Session): void {
    const role = this.roles.get(session);
    if (role === undefined) return;
    this.roles.delete(session);
    const entry = this.entries.get(role);
    entry?.session.then(
      (s) => s === session && this.entries.get(role) === entry && this.entries.delete(role),
    );
  }

  /** Closes every session, in flight or not, and every connection still in its handshake: for a stop. */
  close(): void {
    for (const entry of this.entries.values()) {
      entry.socket?.destroy(
        new Error(`the client was closed during the TLS handshake with ${this.authority}`),
      );
      entry.session.then(
        (s) => s?.destroy(),
        () => {},
      );
    }
    this.entries.clear();
  }

  /** One TLS connection offering h2 and http/1.1; undefined when the server picked http/1.1. */
  private connect(options: TlsOptions, entry: Entry): Promise<http2.ClientHttp2Session | undefined> {
    const host = this.server.hostname.replace(/^\[(.*)\]$/, '$1');
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host,
        port: Number(this.server.port || 443),
        ...pick(options),
        servername: options.servername ?? (isIP(host) ? undefined : host),
        ALPNProtocols: ['h2', 'http/1.1'],
      });
      entry.socket = socket;
      socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () =>
        socket.destroy(
          new Error(`TLS handshake with ${this.authority} not done within ${HANDSHAKE_TIMEOUT_MS} ms`),
        ),
      );
      socket.once('error', reject);
      // Closed before the handshake without an error of its own: a failure all the same, not a hang.
      socket.once('close', () => reject(new Error(`the connection to ${this.authority} closed`)));
      socket.once('secureConnect', () => {
        entry.socket = undefined;
        socket.setTimeout(0);
        socket.off('error', reject);
        if (socket.alpnProtocol !== 'h2') {
          socket.destroy();
          resolve(undefined);
          return;
        }
        const session = http2.connect(this.authority, { createConnection: () => socket });
        // An idle session must not hold the process; streams ref it (opened/closed).
        session.unref();
        // Errors reach its streams; without a listener a session error would crash the process.
        session.on('error', () => {});
        resolve(session);
      });
    });
  }

  /** The credentials as a string, computed once per reading of them (every 10 s at most). */
  private keyOf(options: TlsOptions): string {
    let key = this.keys.get(options);
    if (key === undefined) {
      key = JSON.stringify(TLS_KEYS.map((k) => String(options[k] ?? '')));
      this.keys.set(options, key);
    }
    return key;
  }
}

function withoutCertificate({ ca, rejectUnauthorized, servername }: TlsOptions): TlsOptions {
  return { ca, rejectUnauthorized, servername };
}

function pick(options: TlsOptions): tls.ConnectionOptions {
  const picked: Record<string, unknown> = {};
  for (const k of TLS_KEYS) if (options[k] !== undefined) picked[k] = options[k];
  return picked as tls.ConnectionOptions;
}
