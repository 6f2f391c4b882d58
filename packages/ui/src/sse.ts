import type { Request, Response } from 'express';
import type { GuitarStore, StoreChange } from './guitar-store.js';

export interface SseOptions {
  /** A comment line this often keeps routers (OpenShift's times out idle connections at 30 s) from closing the stream. */
  heartbeatMs?: number;
  /** Past this many browsers, new ones get 503 and retry later. */
  maxClients?: number;
}

/**
 * Server-Sent Events fed by the guitar cache: each change is pushed to every open page as a small
 * `change` event ({type, namespace, name}), and the page fetches the rows it shows. Sending the
 * change, not the rendered row, keeps filtering, paging and escaping in one place: the server.
 */
export class SseHub {
  private readonly clients = new Set<Response>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly maxClients: number;
  private readonly unsubscribe: () => void;

  constructor(store: GuitarStore, options: SseOptions = {}) {
    this.maxClients = options.maxClients ?? 1000;
    this.unsubscribe = store.subscribe((change) => this.broadcast(change));
    this.heartbeat = setInterval(() => this.send(': ping\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** GET /events */
  readonly handler = (req: Request, res: Response): void => {
    if (this.clients.size >= this.maxClients) {
      res
        .status(503)
        .set('Retry-After', '10')
        .type('text/plain')
        .send('Too many live connections; retry later.\n');
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
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  };

  /** Ends every stream (on shutdown), so the server can close. */
  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private broadcast(change: StoreChange): void {
    this.send(`event: change\ndata: ${JSON.stringify(change)}\n\n`);
  }

  private send(text: string): void {
    for (const res of this.clients) res.write(text);
  }
}
