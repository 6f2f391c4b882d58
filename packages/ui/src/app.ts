import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cookieParser from 'cookie-parser';
import ejs from 'ejs';
import express, { type Express } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { AppContext } from './app-context.js';
import type { GuitarStore } from './cache/guitar-store.js';
import type { GuitarWriter } from './cluster/guitar-writer.js';
import type { UserNamespaces } from './cluster/user-namespaces.js';
import type { UiConfig } from './config.js';
import { allowedHosts } from './http/allowed-hosts.js';
import { authenticate } from './http/auth.js';
import { Csrf } from './http/csrf.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { HttpError } from './http/http-error.js';
import { proxyIdentity, proxyUserOf } from './http/proxy-identity.js';
import { refuseCrossSite } from './http/same-origin.js';
import { SseHub } from './http/sse.js';
import { requireValidUser } from './http/valid-user.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createProbes } from './probes.js';
import { apiRouter } from './routes/api.js';
import { pagesRouter } from './routes/pages.js';

/** The package root: views/ and public/ sit beside src/ and dist/, so both find them the same way. */
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const VIEWS_DIR = join(PACKAGE_ROOT, 'views');
export const PUBLIC_DIR = join(PACKAGE_ROOT, 'public');
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Everything the app needs from outside; tests pass their own. */
export interface AppDeps {
  config: UiConfig;
  /** The informer-backed cache the pages and the API read. */
  store: GuitarStore;
  /** Creates and deletes through the apiserver. */
  writer: GuitarWriter;
  /** Where new guitars go when the form or the request names no namespace. */
  defaultNamespace: string;
  logger: Logger;
  metrics?: Metrics;
  /** Epoch ms; ages are computed from it. */
  clock?: () => number;
  /** What each signed-in user may see; needed when config.auth.proxy is set. */
  userNamespaces?: UserNamespaces;
}

export interface UiHttpApp {
  app: Express;
  sse: SseHub;
  metrics: Metrics;
  /** /healthz, /readyz and /metrics as one handler, for the metrics listener. */
  probes: (req: IncomingMessage, res: ServerResponse) => void;
  /** Fails readiness from now on, so the Service stops sending traffic before the server closes. */
  beginShutdown(): void;
}

export function createApp(deps: AppDeps): UiHttpApp {
  const { config, store, logger } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const proxy = config.auth.proxy;
  if (proxy && !deps.userNamespaces) throw new Error('UI_AUTH=proxy needs userNamespaces');
  const users = deps.userNamespaces;
  const sse = new SseHub(store, {
    typeOnly: proxy !== undefined,
    // A signed-in user hears of changes in the namespaces they may list, and of no others.
    ...(proxy && users
      ? {
          audience: (req) => {
            const user = proxyUserOf(req);
            return (namespace) => (user ? users.allows(user.token, namespace) : Promise.resolve(false));
          },
        }
      : {}),
  });
  metrics.track({ guitars: () => store.size, synced: () => store.synced(), sseClients: () => sse.size });
  let shuttingDown = false;

  const app = express();
  app.set('trust proxy', config.trustProxy);
  app.set('views', VIEWS_DIR);
  app.set('view engine', 'ejs');
  // Compiled templates are cached whatever NODE_ENV says; strict mode: no `with`, locals by name.
  app.set('view cache', true);
  app.engine('ejs', (path, data, callback) => {
    ejs.renderFile(path, data as ejs.Data, { strict: true, cache: true }, callback);
  });
  app.locals.assetVersion = assetVersion();

  app.use(
    pinoHttp({
      logger,
      autoLogging: { ignore: (req) => PROBE_PATHS.has(req.url?.split('?')[0] ?? '') },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      redact: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-forwarded-access-token"]',
        'res.headers["set-cookie"]',
      ],
    }),
  );
  app.use(metrics.middleware);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
        },
      },
      frameguard: { action: 'deny' },
      // Not no-referrer: under it browsers send `Origin: null` with the UI's own forms, which the
      // Origin check (same-origin.ts) would refuse. Other sites still get no referrer.
      referrerPolicy: { policy: 'same-origin' },
    }),
  );

  // Before everything that does work (sign-in, probes, cache, bodies): a rebound name gets nothing.
  const signIn = proxy !== undefined || config.auth.basic !== undefined || config.auth.token !== undefined;
  app.use(allowedHosts({ names: config.allowedHosts, signIn }));

  const probes = createProbes({ store, shuttingDown: () => shuttingDown, registry: metrics.registry });
  app.get('/healthz', probes);
  app.get('/readyz', probes);

  const auth = proxy ? proxyIdentity(proxy.addresses) : authenticate(config.auth);
  if (auth) app.use(auth);
  // Every route from here on, static files and the API description included, is for a user the
  // apiserver accepts: they are no secret, but one rule is easier to hold than a list of exceptions.
  if (proxy && users) app.use(requireValidUser(users));

  // Cluster-wide numbers (every guitar cached) are no signed-in user's to read: with sign-in
  // through a proxy, or a metrics listener of its own, /metrics is not on this port.
  if (!proxy && !config.metricsAddress) app.get('/metrics', probes);
  // No directory redirect: with no index it leads nowhere, and it echoed an absolute-form target's host.
  app.use(
    '/static',
    express.static(PUBLIC_DIR, { index: false, redirect: false, maxAge: '1d', fallthrough: true }),
  );
  app.get('/events', sse.handler);

  app.use(cookieParser(config.cookieSecret));
  app.use(refuseCrossSite);
  const writeLimit = rateLimit({
    windowMs: 60_000,
    limit: config.writeRateLimit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Its check prints to stderr, outside the JSON logs; TRUST_PROXY is documented instead.
    validate: { xForwardedForHeader: false },
    handler: (_req, _res, next, options) => {
      next(
        new HttpError(429, 'Too many changes from your address; wait a minute and try again.', undefined, {
          'Retry-After': String(Math.ceil(options.windowMs / 1000)),
        }),
      );
    },
  });
  const context: AppContext = {
    store,
    writer: deps.writer,
    defaultNamespace: deps.defaultNamespace,
    clock: deps.clock ?? Date.now,
    writeLimit,
    logger,
    actorOf: (req) => proxyUserOf(req),
    visibleTo: async (req) => {
      if (!proxy || !deps.userNamespaces) return undefined;
      const user = proxyUserOf(req);
      // proxyIdentity refused requests without a user; should one slip through, it sees nothing.
      if (!user) return new Set();
      const visible = await deps.userNamespaces.visible(user.token, store.namespaces());
      return visible.all ? undefined : visible.namespaces;
    },
  };
  app.use(apiRouter(context));
  app.use(pagesRouter(context, new Csrf(config.cookieSecret)));
  app.use(notFound);
  app.use(errorHandler(logger));

  return {
    app,
    sse,
    metrics,
    probes,
    beginShutdown: () => {
      shuttingDown = true;
    },
  };
}

/** A hash of the static files, appended to their URLs so browsers never run a stale live.js. */
function assetVersion(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(PUBLIC_DIR).sort())
    hash.update(file).update(readFileSync(join(PUBLIC_DIR, file)));
  return hash.digest('hex').slice(0, 12);
}
