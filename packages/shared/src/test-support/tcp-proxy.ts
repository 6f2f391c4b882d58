import { connect, createServer, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/** What the proxy does with a new connection: forward it, close it at once, or hold it silent. */
export type ProxyMode = 'forward' | 'refuse' | 'hold';

/**
 * A TCP proxy between a client and the apiserver, to fake the network's faults: connections that
 * go silent without closing (a dead NAT entry, a frozen peer), refused ones, requests left
 * hanging. TLS passes through untouched: the apiserver's certificate names 127.0.0.1.
 */
export class TcpProxy {
  mode: ProxyMode = 'forward';
  /** Connections accepted so far, whatever became of them. */
  accepted = 0;
  private readonly open = new Set<Socket>();
  private readonly holding = new Set<Socket>();
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const proxy = new TcpProxy(server, port);
    server.on('connection', (client) => proxy.accept(client, target));
    return proxy;
  }

  /** Connections held (mode 'hold') and still open. */
  get held(): number {
    return this.holding.size;
  }

  /** Every open connection stops forwarding, both ways, and stays open. */
  silence(): void {
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
    this.pairs.clear();
  }

  /** Every open connection is closed at once. */
  cut(): void {
    for (const socket of this.open) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    this.accepted += 1;
    this.track(client);
    if (this.mode === 'refuse') return void client.destroy();
    if (this.mode === 'hold') {
      this.holding.add(client);
      client.on('close', () => this.holding.delete(client));
      // What it sends is read and dropped: a socket never read would not see the client close it.
      client.resume();
      return;
    }
    const upstream = connect(target.port, target.host);
    this.track(upstream);
    const pair = { client, upstream };
    this.pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const done = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // A silenced pair stays open whatever its other end does: only a forwarding one follows.
    client.on('close', () => this.pairs.has(pair) && done());
    upstream.on('close', () => this.pairs.has(pair) && done());
  }

  private track(socket: Socket): void {
    this.open.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.open.delete(socket));
  }
}

/** The same credentials, through the proxy. */
export function viaProxy(kc: KubeConfig, proxy: TcpProxy): KubeConfig {
  const via = new KubeConfig();
  via.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${proxy.port}` })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return via;
}
