import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { GuitarStore } from './cache/guitar-store.js';
import type { Actor, GuitarWriter } from './cluster/guitar-writer.js';

/** What the routers share (its own module: app.ts builds it and imports the routers). */
export interface AppContext {
  store: GuitarStore;
  writer: GuitarWriter;
  defaultNamespace: string;
  clock: () => number;
  /** The per-client budget for creates and deletes, shared by pages and API. */
  writeLimit: RequestHandler;
  logger: Logger;
  /** Whom a write acts as: the signed-in user in proxy mode, else the UI itself (undefined). */
  actorOf(req: Request): Actor | undefined;
  /** The namespaces whose cached guitars the request's user may see; undefined for all. */
  visibleTo(req: Request): Promise<ReadonlySet<string> | undefined>;
}
