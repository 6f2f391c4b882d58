import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * A KubeConfig whose requests share one connection pool per cluster and user.
 *
 * client-node 2.0's applySecurityAuthentication builds a new undici Agent for every request (its
 * agent cache covers only WebSockets), so every call opened a new TLS connection: a full handshake
 * with the client certificate, on both ends, and an idle socket kept for undici's keep-alive
 * timeout. Under a backlog that capped reviews per second and grew the native heap by hundreds of
 * MB (OpenSSL state and sockets, outside V8). client-go builds its transport once; so do we. The
 * agent built for each request is still made by client-node (it never connects, so it costs only
 * a small object) and then swapped for the pooled one, keyed like client-node's own agent cache.
 * Credentials that change per request (tokens) travel in headers, which are left untouched.
 */
export class PooledKubeConfig extends KubeConfig {
  private readonly dispatchers = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const key = JSON.stringify([this.getCurrentCluster()?.name, this.getCurrentUser()?.name]);
    const pooled = this.dispatchers.get(key);
    if (pooled) context.setDispatcher(pooled);
    else this.dispatchers.set(key, fresh);
  }

  /** Pools in use, for tests. */
  pools(): number {
    return this.dispatchers.size;
  }
}
