import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Logger } from 'pino';
import { FairShare } from './fair-share.js';

/** Browsers open at most 6 connections to a host; this leaves room for a few people behind one NAT. */
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 64;
/** Files the process keeps for itself (the apiserver's connections, logs, templates) below its limit. */
const FILES_KEPT = 128;

const BUSY_BODY = 'Too many connections from your address, or in all; retry later.\n';
const BUSY = `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 10\r\nContent-Type: text/plain\r\nContent-Length: ${BUSY_BODY.length}\r\n\r\n${BUSY_BODY}`;

export interface ConnectionLimits {
  /** Open connections in all; lowered to fit the process's file limit. */
  max: number;
  /** Open connections per client address (an IPv6 address by its /56). */
  perClient: number;
  /** A proxy that carries many clients (TRUST_PROXY) may hold up to `max`. */
  isProxy(address: string): boolean;
  /** Told of refusals at most once a minute, so a flood does not flood the log too. */
  logger: Logger;
}

/**
 * Caps the connections `server` holds, in all and per client address, before a byte is read:
 * without it, a few thousand half-sent request heads take every file descriptor and nothing,
 * the probes included, is answered. A refused connection gets a 503 and is closed; when all are
 * taken, a client with fewer connections takes the newest of the busiest client (FairShare).
 * Returns the total actually used.
 */
export function guardConnections(server: Server, limits: ConnectionLimits): number {
  const max = Math.max(1, Math.min(limits.max, fileLimit() - FILES_KEPT));
  const share = new FairShare<Socket>(max);
  let refused = 0;
  let loggedAt = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const key = ipKeyGenerator(address);
    const admission = share.admit(key, socket, limits.isProxy(address) ? max : limits.perClient);
    if (!admission.admitted) {
      refused++;
      if (Date.now() - loggedAt >= 60_000) {
        limits.logger.warn(
          { refused, last: { address, limit: admission.limit }, max, perClient: limits.perClient },
          'refused connections: too many from one address, or in all',
        );
        refused = 0;
        loggedAt = Date.now();
      }
      return refuse(socket);
    }
    // Its answer may be half sent: no 503 on top of it.
    admission.evicted?.destroy();
    socket.once('close', () => share.release(key, socket));
  });
  return max;
}

/** A 503 the client can read, then the descriptor is freed whether or not the client closes. */
function refuse(socket: Socket): void {
  socket.end(BUSY, () => socket.destroy());
}

/** The soft limit on open files (`ulimit -n`), read from Linux's /proc; unbounded elsewhere. */
function fileLimit(): number {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line ? Number(line[1]) : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
