import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How to close `server` fast without cutting an answer short. Call it before the server takes a
 * connection; the function it returns stops listening, then:
 * - answers every request still in flight, and any that arrives on an open connection meanwhile,
 *   with `Connection: close`, and ends a connection once its last answer is sent (one that
 *   promised keep-alive before the close, a live stream, included);
 * - closes idle kept-alive connections, and connections that never sent a byte, at once;
 * - closes whatever is left after `timeoutMs`.
 * It resolves once every connection is closed. server.close() alone leaves a connection that sent
 * nothing yet, or one answered during the close, open until its keep-alive timeout. http-terminator
 * does much of this but keeps listening while it drains, and leaves streams open until its timeout.
 */
export function gracefulClose(server: Server): (timeoutMs: number) => Promise<void> {
  const sockets = new Set<Socket>();
  /** Responses in flight, each with the connection it goes out on. */
  const inFlight = new Map<ServerResponse, Socket>();
  let closing = false;

  const busy = (socket: Socket) => {
    for (const s of inFlight.values()) if (s === socket) return true;
    return false;
  };
  const end = (socket: Socket) => {
    if (!socket.destroyed) socket.end(() => socket.destroy());
  };

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Before the app's own listener, so the header can still be set.
  server.prependListener('request', (_req, res: ServerResponse) => {
    const socket = res.socket;
    if (!socket) return;
    inFlight.set(res, socket);
    if (closing) res.setHeader('connection', 'close');
    res.once('close', () => {
      inFlight.delete(res);
      if (closing && !busy(socket)) end(socket);
    });
  });

  return (timeoutMs) =>
    new Promise<void>((resolve) => {
      closing = true;
      for (const res of inFlight.keys()) if (!res.headersSent) res.setHeader('connection', 'close');
      const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
      force.unref();
      // Stops listening and closes the connections idle after an answer.
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      // A connection that has sent nothing (a browser's preconnect) would hold the close until its
      // timeout. Checked on the next turn, so that bytes that came with the signal are read first.
      setImmediate(() => {
        for (const socket of sockets) if (socket.bytesRead === 0 && !busy(socket)) socket.destroy();
      });
    });
}
