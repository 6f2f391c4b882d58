import type { Request, Response } from 'express';
import type { GuitarStore, StoreChange } from '../cache/guitar-store.js';
import { clientKey } from './client-key.js';
import { FairShare } from './fair-share.js';

export interface SseOptions {
  /** A comment line this often keeps routers (OpenShift's times out idle connections at 30 s) from closing the stream. */
  heartbeatMs?: number;
  /**
   * Streams in all. When all are taken, a client with fewer streams than the busiest one takes the
   * busiest's newest (which reconnects, and is refused while the others are no busier); otherwise
   * 503 and retry later.
   */
  maxClients?: number;
  /** Past this many streams from one client (address, see client-key.ts), its new ones get 503. */
  maxPerClient?: number;
  /**
   * Send only the change's type, not which guitar changed: with users who may each see other
   * namespaces (UI_AUTH=proxy), a name would tell them of guitars they may not list.
   */
  typeOnly?: boolean;
  /**
   * Who the stream is for: given its request, a check of whether a change in a namespace may be
   * told to it. Changes it refuses are not sent at all (not even their type): with UI_AUTH=proxy
   * a user hears of the namespaces they may list only. Absent, every stream hears every change.
   */
  audience?: (req: Request) => (namespace: string) => Promise<boolean>;
}

export const DEFAULT_MAX_CLIENTS = 1000;
/** Room for a few people behind one NAT address; one browser opens at most 6 over HTTP/1.1. */
export const DEFAULT_MAX_PER_CLIENT = 20;

/**
 * Server-Sent Events fed by the guitar cache: each change is pushed to every open page as a small
 * `change` event ({type, namespace, name}), and the page fetches the rows it shows. Sending the
 * change, not the rendered row, keeps filtering, paging and escaping in one place: the server.
 */
export class SseHub {
  /** Each open stream, with its audience check (undefined: told everything). */
  private readonly clients = new Map<Response, ((namespace: string) => Promise<boolean>) | undefined>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly maxPerClient: number;
  /** Open streams per client key, within maxClients in all. */
  private readonly share: FairShare<Response>;
  private readonly unsubscribe: () => void;
  private readonly typeOnly: boolean;
  private readonly audience: SseOptions['audience'];

  constructor(store: GuitarStore, options: SseOptions = {}) {
    this.share = new FairShare(options.maxClients ?? DEFAULT_MAX_CLIENTS);
    this.maxPerClient = options.maxPerClient ?? DEFAULT_MAX_PER_CLIENT;
    this.typeOnly = options.typeOnly ?? false;
    this.audience = options.audience;
    this.unsubscribe = store.subscribe((change) => this.broadcast(change));
    this.heartbeat = setInterval(() => this.send(': ping\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** GET /events */
  readonly handler = (req: Request, res: Response): void => {
    const key = clientKey(req);
    const admission = this.share.admit(key, res, this.maxPerClient);
    if (!admission.admitted) {
      const why =
        admission.limit === 'client'
          ? 'Too many live connections from your address'
          : 'Too many live connections';
      res.status(503).set('Retry-After', '10').type('text/plain').send(`${why}; retry later.\n`);
      return;
    }
    if (admission.evicted) {
      this.clients.delete(admission.evicted);
      admission.evicted.end();
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Proxies that buffer (nginx) would hold events back.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    // The browser waits this long before reconnecting after a drop.
    res.write('retry: 2000\n\n');
    this.clients.set(res, this.audience?.(req));
    req.on('close', () => {
      this.clients.delete(res);
      this.share.release(key, res);
    });
  };

  /** Ends every stream (on shutdown), so the server can close. */
  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const res of this.clients.keys()) res.end();
    this.clients.clear();
  }

  private broadcast(change: StoreChange): void {
    const data = this.typeOnly ? { type: change.type } : change;
    const text = `event: change\ndata: ${JSON.stringify(data)}\n\n`;
    // sync and reset name no namespace: they say the whole list changed, for everyone alike.
    const namespace = 'namespace' in change ? change.namespace : undefined;
    for (const [res, allows] of this.clients) {
      if (namespace === undefined || !allows) {
        res.write(text);
        continue;
      }
      // Asked per stream (answers are kept per user); a failed ask tells nothing.
      allows(namespace).then(
        (ok) => {
          if (ok && this.clients.has(res)) res.write(text);
        },
        () => {},
      );
    }
  }

  private send(text: string): void {
    for (const res of this.clients.keys()) res.write(text);
  }
}
