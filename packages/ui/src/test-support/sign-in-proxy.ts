import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Who the stand-in proxy has signed in. */
export interface SignedInUser {
  name: string;
  token: string;
  email?: string;
}

export interface SignInProxy {
  /** http://127.0.0.1:port: where the user's browser goes, as to the Route. */
  url: string;
  close(): Promise<void>;
}

/** Headers only the proxy may set: a client's own are dropped, whatever their case. */
const IDENTITY_HEADERS = ['x-forwarded-user', 'x-forwarded-email', 'x-forwarded-access-token'];

/**
 * A stand-in for oauth-proxy with --pass-user-headers and --pass-access-token, after `user` has
 * signed in: every request goes on to the UI (`upstream`, on loopback) with X-Forwarded-User,
 * X-Forwarded-Email and X-Forwarded-Access-Token set, and the Host header kept (oauth-proxy's
 * --pass-host-header, on by default), from 127.0.0.1. /oauth/sign_out answers as the proxy would.
 */
export async function startSignInProxy(upstream: string, user: SignedInUser): Promise<SignInProxy> {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    if (req.url === '/oauth/sign_out') {
      res.writeHead(302, { location: '/oauth/sign_in' }).end();
      return;
    }
    const headers = { ...req.headers };
    for (const name of IDENTITY_HEADERS) delete headers[name];
    headers['x-forwarded-user'] = user.name;
    headers['x-forwarded-access-token'] = user.token;
    if (user.email) headers['x-forwarded-email'] = user.email;
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers,
        localAddress: '127.0.0.1',
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
