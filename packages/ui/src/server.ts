import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppDeps, createApp, type UiHttpApp } from './app.js';
import { DEFAULT_MAX_CONNECTIONS_PER_CLIENT, guardConnections } from './http/connection-guard.js';
import { gracefulClose } from './http/graceful-close.js';
import { listenMetrics, type MetricsServer } from './metrics-server.js';

export interface UiServer extends UiHttpApp {
  server: Server;
  /** http://host:port, with the port actually bound (tests listen on port 0). */
  url: string;
  /** The connections it holds at most, in all (UI_MAX_CONNECTIONS, within the file limit). */
  maxConnections: number;
  /** The metrics listener's http://host:port, when config.metricsAddress asks for one. */
  metricsUrl: string | undefined;
  /**
   * Stops taking requests, ends live streams and idle connections, and waits (at most `timeoutMs`)
   * for the requests in flight, which are answered with `Connection: close`.
   */
  close(timeoutMs?: number): Promise<void>;
}

/** The app, listening. */
export async function createServer(
  deps: AppDeps,
  listen: { port: number; host?: string },
): Promise<UiServer> {
  const ui = createApp(deps);
  const server = createHttpServer(
    {
      // A head must come within 10 s of its first byte, a whole request (16 KB at most) within
      // 30 s; the wait on an idle kept-alive connection counts for neither. Node's 60 s and 300 s
      // let slow clients hold connections for minutes. Checked each second (Node's default: 30 s).
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      connectionsCheckingInterval: 1_000,
    },
    ui.app,
  );
  // Longer than the router's keep-alive, so the router never reuses a connection we just closed.
  server.keepAliveTimeout = 65_000;
  const trust = ui.app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  const maxConnections = guardConnections(server, {
    max: deps.config.maxConnections,
    perClient: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
    isProxy: (address) => trust(address, 0),
    logger: deps.logger,
  });
  const closeServer = gracefulClose(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host ?? '', () => {
      server.off('error', reject);
      resolve();
    });
  });
  let metricsServer: MetricsServer | undefined;
  if (deps.config.metricsAddress) {
    try {
      metricsServer = await listenMetrics(ui.probes, deps.config.metricsAddress);
    } catch (err) {
      await closeServer(0);
      throw err;
    }
  }
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    ...ui,
    server,
    url: `http://${host}:${port}`,
    maxConnections,
    metricsUrl: metricsServer?.url,
    close: async (timeoutMs = 10_000) => {
      ui.beginShutdown();
      ui.sse.close();
      await closeServer(timeoutMs);
      await metricsServer?.close();
    },
  };
}
