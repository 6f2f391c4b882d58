import express from 'express';
import { beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../test-support/tiny-app.js';
import { cookieName, cookieOptions } from './cookies.js';

describe('cookie names and options', () => {
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.get('/', (req, res) => {
      res.cookie(cookieName(req, 'gc_test'), 'v', cookieOptions(req)).end();
    });
    url = await serve(app);
  });

  const setCookie = async (headers: Record<string, string> = {}) =>
    (await fetch(url, { headers })).headers.getSetCookie()[0] ?? '';

  it('keeps the bare name, without Secure, on plain HTTP', async () => {
    expect(await setCookie()).toBe('gc_test=v; Path=/; HttpOnly; SameSite=Lax');
  });

  it('uses the __Host- prefix, Secure, Path=/ and no Domain over TLS', async () => {
    expect(await setCookie({ 'x-forwarded-proto': 'https' })).toBe(
      '__Host-gc_test=v; Path=/; HttpOnly; Secure; SameSite=Lax',
    );
  });
});
