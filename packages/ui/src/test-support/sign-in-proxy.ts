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

/** Headers the proxy always sets (oauthproxy.go, Authenticate): a client's own never pass. */
const IDENTITY_HEADERS = ['x-forwarded-user', 'x-forwarded-access-token'];

/**
 * Kept for the UI package's own tests only. The real oauth-proxy, with the overlay's arguments,
 * behind a real HAProxy and signed into by Chromium, is tested in
 * packages/deploy-tests/src/front-door.cluster.test.ts; it cannot serve here because these tests
 * need what it deliberately does not give: a user fixed per port without an OAuth round trip
 * (dozens of users and hostile raw requests per file), plain HTTP from chosen loopback addresses,
 * and no root (the real one needs OpenShift's API stand-in on port 443) or third-party source.
 * What the real one was found to do and this one copies: X-Forwarded-User and -Access-Token
 * always overwritten; X-Forwarded-Email only when the user has one (the UI ignores it).
 *
 * A stand-in for oauth-proxy with --pass-user-headers and --pass-access-token, after `user` has
 * signed in: every request goes on to the UI (`upstream`, on loopback) with X-Forwarded-User and
 * X-Forwarded-Access-Token set, X-Forwarded-Email set if the user has one (else the client's own
 * passes, as through the real one), and the Host header kept (oauth-proxy's --pass-host-header, on
 * by default), from 127.0.0.1. /oauth/sign_out answers as the proxy would: back to /.
 */
export async function startSignInProxy(upstream: string, user: SignedInUser): Promise<SignInProxy> {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    if (req.url === '/oauth/sign_out') {
      res.writeHead(302, { location: '/' }).end();
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
