import type { Request, Response } from 'express';
import type { GuitarStore, StoreChange } from '../cache/guitar-store.js';
import { clientKey } from './client-key.js';

export interface SseOptions {
  /** A comment line this often keeps routers (OpenShift's times out idle connections at 30 s) from closing the stream. */
  heartbeatMs?: number;
  /** Past this many streams in all, new ones get 503 and retry later. */
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
  private readonly maxClients: number;
  private readonly maxPerClient: number;
  /** Open streams per client key; a key leaves with its last stream. */
  private readonly perClient = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private readonly typeOnly: boolean;
  private readonly audience: SseOptions['audience'];

  constructor(store: GuitarStore, options: SseOptions = {}) {
    this.maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
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
    const mine = this.perClient.get(key) ?? 0;
    // A client at its own limit is refused alone; the total still bounds everyone together.
    if (mine >= this.maxPerClient || this.clients.size >= this.maxClients) {
      const why =
        mine >= this.maxPerClient
          ? 'Too many live connections from your address'
          : 'Too many live connections';
      res.status(503).set('Retry-After', '10').type('text/plain').send(`${why}; retry later.\n`);
      return;
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
    this.perClient.set(key, mine + 1);
    req.on('close', () => {
      if (!this.clients.delete(res)) return; // already ended by close()
      const left = (this.perClient.get(key) ?? 1) - 1;
      if (left > 0) this.perClient.set(key, left);
      else this.perClient.delete(key);
    });
  };

  /** Ends every stream (on shutdown), so the server can close. */
  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const res of this.clients.keys()) res.end();
    this.clients.clear();
    this.perClient.clear();
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
