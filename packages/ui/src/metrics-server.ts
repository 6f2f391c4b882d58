import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsServer {
  server: Server;
  /** http://host:port, with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

/**
 * UI_METRICS_BIND_ADDRESS: /metrics (and the probes) on a port of their own, as the controller's
 * :8081, for Prometheus. Users never reach it: on OpenShift the Route and the sign-in proxy lead
 * to PORT only, and a NetworkPolicy admits monitoring alone here. host '': every address.
 */
export async function listenMetrics(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  address: { host: string; port: number },
): Promise<MetricsServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host === '' ? undefined : address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  return {
    server,
    url: `http://${host}:${bound.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
