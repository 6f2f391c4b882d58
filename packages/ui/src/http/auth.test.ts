import express from 'express';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../test-support/tiny-app.js';
import { authenticate } from './auth.js';
import { errorHandler } from './error-handler.js';

async function appWith(config: Parameters<typeof authenticate>[0]): Promise<string> {
  const app = express();
  const auth = authenticate(config);
  if (auth) app.use(auth);
  app.get(['/', '/healthz', '/readyz'], (_req, res) => {
    res.json({ ok: true });
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  return serve(app);
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const get = (url: string, authorization?: string) =>
  fetch(`${url}/`, { headers: { accept: 'application/json', ...(authorization ? { authorization } : {}) } });

describe('authenticate', () => {
  it('is off by default', async () => {
    expect(authenticate({})).toBeUndefined();
  });

  describe('with basic auth', () => {
    let url: string;
    beforeAll(async () => {
      url = await appWith({ basic: { username: 'admin', password: 'pa:ss wörd' } });
    });

    it('asks browsers to sign in', async () => {
      const response = await get(url);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="Guitar Center", charset="UTF-8"');
    });

    it('lets the right user and password in (a colon in the password included)', async () => {
      expect((await get(url, basic('admin', 'pa:ss wörd'))).status).toBe(200);
    });

    it.each([
      ['a wrong password', basic('admin', 'nope')],
      ['a wrong user', basic('root', 'pa:ss wörd')],
      ['garbage', 'Basic !!!'],
      ['a bearer token', 'Bearer pa:ss wörd'],
    ])('refuses %s', async (_what, header) => {
      expect((await get(url, header)).status).toBe(401);
    });

    it('leaves the probes open', async () => {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    });
  });

  describe('with a bearer token', () => {
    let url: string;
    beforeAll(async () => {
      url = await appWith({ token: 's3cret-token' });
    });

    it('accepts the token and nothing else', async () => {
      expect((await get(url, 'Bearer s3cret-token')).status).toBe(200);
      expect((await get(url, 'bearer s3cret-token')).status).toBe(200);
      const refused = await get(url, 'Bearer s3cret-token2');
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="Guitar Center"');
      expect((await get(url, basic('admin', 's3cret-token'))).status).toBe(401);
    });
  });

  it('accepts either when both are configured', async () => {
    const url = await appWith({ basic: { username: 'a', password: 'b' }, token: 't' });
    expect((await get(url, basic('a', 'b'))).status).toBe(200);
    expect((await get(url, 'Bearer t')).status).toBe(200);
    expect((await get(url)).status).toBe(401);
  });
});
