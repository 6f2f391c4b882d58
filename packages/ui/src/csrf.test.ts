import cookieParser from 'cookie-parser';
import express from 'express';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { CSRF_COOKIE, Csrf } from './csrf.js';
import { errorHandler } from './error-handler.js';
import { serve } from './test-support/tiny-app.js';

describe('Csrf (signed double-submit cookie)', () => {
  const csrf = new Csrf('x'.repeat(32));
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.use(cookieParser());
    app.get('/form', csrf.issue, (_req, res) => {
      res.json({ token: res.locals.csrfToken });
    });
    app.post('/form', express.urlencoded({ extended: false }), csrf.verify, (_req, res) => {
      res.send('CHANGED-IT');
    });
    app.use(errorHandler(pino({ level: 'silent' })));
    url = await serve(app);
  });

  const issue = async () => {
    const response = await fetch(`${url}/form`);
    const cookie = response.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const { token } = (await response.json()) as { token: string };
    return { cookie, token };
  };
  const post = (cookie: string, body: string) =>
    fetch(`${url}/form`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    });

  it('issues a random HttpOnly cookie and a token derived from it', async () => {
    const a = await issue();
    const b = await issue();
    expect(a.cookie).toMatch(new RegExp(`^${CSRF_COOKIE}=[\\w-]{43}$`));
    expect(a.cookie).not.toBe(b.cookie);
    expect(a.token).not.toBe(b.token);
    expect(a.token).toBe(csrf.token(a.cookie.split('=')[1] ?? ''));
  });

  it('keeps the cookie it finds', async () => {
    const { cookie, token } = await issue();
    const again = await fetch(`${url}/form`, { headers: { cookie } });
    expect(again.headers.getSetCookie()).toEqual([]);
    expect(((await again.json()) as { token: string }).token).toBe(token);
  });

  it('lets a matching token through', async () => {
    const { cookie, token } = await issue();
    const response = await post(cookie, `_csrf=${token}`);
    expect(response.status).toBe(200);
  });

  it.each([
    ['no token', (c: { cookie: string; token: string }) => post(c.cookie, 'name=x')],
    ['no cookie', (c: { cookie: string; token: string }) => post('', `_csrf=${c.token}`)],
    ['a wrong token', (c: { cookie: string; token: string }) => post(c.cookie, `_csrf=${c.token.slice(1)}A`)],
    [
      'a token of another secret',
      (c: { cookie: string; token: string }) => {
        const other = new Csrf('y'.repeat(32)).token(c.cookie.split('=')[1] ?? '');
        return post(c.cookie, `_csrf=${other}`);
      },
    ],
    [
      'two tokens',
      (c: { cookie: string; token: string }) => post(c.cookie, `_csrf=${c.token}&_csrf=${c.token}`),
    ],
  ])('refuses %s with 403', async (_what, send) => {
    const response = await send(await issue());
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain('CHANGED-IT');
  });
});
