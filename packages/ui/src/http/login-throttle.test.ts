import express from 'express';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../test-support/tiny-app.js';
import { authenticate } from './auth.js';
import { errorHandler } from './error-handler.js';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle, behind authenticate', () => {
  let url: string;

  beforeAll(async () => {
    const app = express();
    // Clients told apart by X-Forwarded-For, from a proxy on this host.
    app.set('trust proxy', 'loopback');
    const auth = authenticate({ token: 'right' }, new LoginThrottle(3, 60_000));
    if (auth) app.use(auth);
    app.get(['/', '/healthz'], (_req, res) => {
      res.send('IN');
    });
    app.use(errorHandler(pino({ level: 'silent' })));
    url = await serve(app);
  });

  const get = (client: string, token?: string) =>
    fetch(url, {
      headers: {
        accept: 'application/json',
        'x-forwarded-for': client,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    });

  it('turns a client away after `limit` failures, for the rest of the window, right token included', async () => {
    for (let i = 0; i < 3; i++) expect((await get('203.0.113.1', `wrong${i}`)).status).toBe(401);
    const throttled = await get('203.0.113.1', 'wrong');
    expect(throttled.status).toBe(429);
    const wait = Number(throttled.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(50);
    expect(wait).toBeLessThanOrEqual(60);
    expect(((await throttled.json()) as { message: string }).message).toBe(
      'Too many failed sign-ins from your address; try again in 1 minute.',
    );
    expect((await get('203.0.113.1', 'right')).status).toBe(429);
    expect((await get('203.0.113.2', 'right')).status).toBe(200);
  });

  it('counts neither successes nor requests without credentials', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await get('203.0.113.3', 'right')).status).toBe(200);
      expect((await get('203.0.113.3')).status).toBe(401);
    }
    expect((await get('203.0.113.3', 'wrong')).status).toBe(401);
    expect((await get('203.0.113.3', 'right')).status).toBe(200);
  });
});
