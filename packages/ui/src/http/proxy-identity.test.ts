import express from 'express';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { send } from '../test-support/raw-http.js';
import { serve } from '../test-support/tiny-app.js';
import { errorHandler } from './error-handler.js';
import { proxyIdentity, proxyUserOf } from './proxy-identity.js';

const asAlice = {
  'x-forwarded-user': 'alice',
  'x-forwarded-access-token': 'sha256~alice',
  accept: 'application/json',
};

describe('proxyIdentity', () => {
  let url: string;

  beforeAll(async () => {
    const app = express();
    // As behind a router with TRUST_PROXY=1: req.ip would follow X-Forwarded-For; the check must not.
    app.set('trust proxy', 1);
    app.use(proxyIdentity(['127.0.0.1']));
    app.get(['/', '/healthz', '/readyz'], (req, res) => {
      res.json({ user: proxyUserOf(req) ?? null, signedIn: res.locals.signedIn ?? null });
    });
    app.use(errorHandler(pino({ level: 'silent' })));
    url = await serve(app);
  });

  it('takes the user and token from the proxy’s address, never an email a client may have sent', async () => {
    // oauth-proxy overwrites X-Forwarded-Email only when the session has one: it may be the client's.
    const res = await send(`${url}/`, {
      headers: { ...asAlice, 'x-forwarded-email': 'mallory@example.test' },
    });
    expect(res.status).toBe(200);
    expect(res.body).not.toContain('mallory');
    expect(JSON.parse(res.body)).toEqual({
      user: { user: 'alice', token: 'sha256~alice' },
      // What the pages see: never the token.
      signedIn: { user: 'alice', signOut: '/oauth/sign_out' },
    });
  });

  it('refuses the same headers from any other address with 401, X-Forwarded-For or not', async () => {
    for (const headers of [asAlice, { ...asAlice, 'x-forwarded-for': '127.0.0.1' }]) {
      const res = await send(`${url}/`, { from: '127.0.0.2', headers });
      expect(res.status).toBe(401);
      expect(res.body).not.toContain('alice');
    }
  });

  it('refuses the proxy’s requests without a user or without a token', async () => {
    const headers = { accept: 'application/json' };
    expect((await send(`${url}/`, { headers })).status).toBe(401);
    expect((await send(`${url}/`, { headers: { ...headers, 'x-forwarded-user': 'alice' } })).status).toBe(
      401,
    );
    expect((await send(`${url}/`, { headers: { ...headers, 'x-forwarded-access-token': 't' } })).status).toBe(
      401,
    );
    expect((await send(`${url}/`, { headers: { ...asAlice, 'x-forwarded-user': '  ' } })).status).toBe(401);
  });

  it('lets the probes through from anywhere, without a user', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await send(`${url}${path}`, { from: '127.0.0.2', headers: asAlice });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ user: null, signedIn: null });
    }
  });
});
