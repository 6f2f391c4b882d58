import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { RawConnection } from '../test-support/raw-http.js';
import { eventually } from '../test-support/ui.js';
import { gracefulClose } from './graceful-close.js';

describe('gracefulClose', () => {
  let server: Server;
  let release: () => void = () => {};
  let arrived = 0;
  const clients: RawConnection[] = [];
  /** The server's side of each connection. */
  const accepted: Socket[] = [];
  /** What the timeout calls: called, the close cut connections off instead of ending them. */
  let forced: MockInstance<() => void>;

  /** A server whose /slow waits for release(), and /stream sends its headers, then waits too. */
  const start = async (): Promise<{ port: number; close: (timeoutMs: number) => Promise<void> }> => {
    arrived = 0;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler: RequestListener = (req, res) => {
      arrived++;
      if (req.url === '/slow') void gate.then(() => res.end('slow\n'));
      else if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(': open\n\n');
        void gate.then(() => res.end());
      } else res.end('ok\n');
    };
    server = createServer(handler);
    server.keepAliveTimeout = 65_000;
    server.on('connection', (socket: Socket) => accepted.push(socket));
    forced = vi.spyOn(server, 'closeAllConnections');
    const close = gracefulClose(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as { port: number }).port, close };
  };
  const client = async (port: number) => {
    const c = new RawConnection(port);
    clients.push(c);
    await c.ready;
    return c;
  };

  afterEach(() => {
    release();
    for (const c of clients.splice(0)) c.socket.destroy();
    accepted.length = 0;
    server.closeAllConnections();
  });

  it('closes kept-alive and silent connections at once', async () => {
    const { port, close } = await start();
    const keptAlive = await client(port);
    keptAlive.get('/');
    await eventually('the answer', () => keptAlive.received.endsWith('ok\n'));
    expect(keptAlive.received).toMatch(/Connection: keep-alive/i);
    const silent = await client(port);

    await close(10_000);
    expect(forced, 'closed without waiting for the timeout').not.toHaveBeenCalled();
    await eventually('both to see the close', () => keptAlive.closed && silent.closed);
  });

  it('answers a request in flight with Connection: close, then closes its connection', async () => {
    const { port, close } = await start();
    const slow = await client(port);
    slow.get('/slow');
    await eventually('the request to arrive', () => arrived === 1);
    const closed = close(10_000);
    release();
    await closed;
    await eventually('the client to see the close', () => slow.closed);
    expect(slow.received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(slow.received).toMatch(/\r\nconnection: close\r\n/i);
    expect(slow.received).toMatch(/slow\n$/);
  });

  it('ends a connection whose answer began before the close (a live stream) once it is done', async () => {
    const { port, close } = await start();
    const stream = await client(port);
    stream.get('/stream');
    await eventually('the stream to open', () => stream.received.includes(': open'));
    expect(stream.received).toMatch(/Connection: keep-alive/i);
    let done = false;
    const closed = close(10_000).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done, 'waits for the stream').toBe(false);
    release();
    await closed;
    expect(forced, 'closed once the stream ended, not at the timeout').not.toHaveBeenCalled();
    await eventually('the client to see the close', () => stream.closed);
    expect(stream.received).toMatch(/0\r\n\r\n$/);
  });

  it('answers a request whose headers were still coming in at the close with Connection: close', async () => {
    const { port, close } = await start();
    const late = await client(port);
    late.socket.write('GET / HTTP/1.1\r\nHo');
    await eventually('the server to read the first bytes', () => (accepted[0]?.bytesRead ?? 0) > 0);
    expect(arrived).toBe(0);
    const closed = close(10_000);
    late.socket.write('st: test\r\n\r\n');
    await closed;
    await eventually('the client to see the close', () => late.closed);
    expect(late.received).toMatch(/^HTTP\/1\.1 200 OK\r\nconnection: close\r\n/i);
    expect(late.received).toMatch(/ok\n$/);
  });

  it('closes what is left after the timeout', async () => {
    const { port, close } = await start();
    const stuck = await client(port);
    stuck.get('/slow');
    await eventually('the request to arrive', () => arrived === 1);
    await close(300);
    expect(forced, 'cut off by the timeout').toHaveBeenCalledTimes(1);
    await eventually('closed', () => stuck.closed);
    expect(stuck.received).toBe('');
  });
});
