import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ProbesDeps, probesHandler } from '@guitars/shared';

/** The controller's probe port: /healthz, /readyz and /metrics alone, as controller-runtime's. */
export function createProbesServer(deps: ProbesDeps): Server {
  return createServer(probesHandler(deps));
}

/**
 * Listens and resolves with the port actually bound (the one asked for, or a free one for 0).
 * host '': every address, with no lookup; a named host, even an IP literal, goes through Node's
 * dns.lookup and its IPv6 check (~10 ms of start-up compiling that regular expression, measured).
 */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === '' ? undefined : host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
