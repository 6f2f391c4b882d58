import cookieParser from 'cookie-parser';
import express from 'express';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../test-support/tiny-app.js';
import { CSRF_COOKIE, Csrf } from './csrf.js';
import { errorHandler } from './error-handler.js';

/** A form page and its POST, as the pages router wires them; trusts the loopback proxy for TLS. */
async function appWith(secret: string): Promise<string> {
  const csrf = new Csrf(secret);
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(cookieParser());
  app.get('/form', csrf.issue, (_req, res) => {
    res.json({ token: res.locals.csrfToken });
  });
  app.post('/form', express.urlencoded({ extended: false }), csrf.verify, (_req, res) => {
    res.send('CHANGED-IT');
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  return serve(app);
}

interface Pair {
  /** `name=value`, as the browser sends it back. */
  cookie: string;
  token: string;
  setCookie: string;
}

const TLS = { 'x-forwarded-proto': 'https' };

describe('Csrf (csrf-csrf, signed double-submit cookie)', () => {
  let url: string;
  let otherUrl: string;

  beforeAll(async () => {
    url = await appWith('x'.repeat(32));
    otherUrl = await appWith('y'.repeat(32));
  });

  const issue = async (base = url, headers: Record<string, string> = {}): Promise<Pair> => {
    const response = await fetch(`${base}/form`, { headers });
    expect(response.status).toBe(200);
    const setCookie = response.headers.getSetCookie()[0] ?? '';
    const { token } = (await response.json()) as { token: string };
    return { cookie: setCookie.split(';')[0] ?? '', token, setCookie };
  };
  const post = (cookie: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/form`, {
      method: 'POST',
      headers: {
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        ...headers,
      },
      body,
    });
  const cookieValue = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1);

  it('mints a random HttpOnly cookie and puts the same signed token in the form', async () => {
    const a = await issue();
    const b = await issue();
    expect(a.cookie).toMatch(new RegExp(`^${CSRF_COOKIE}=[0-9a-f]{64}(\\.|%2E)[0-9a-f]{64}$`, 'i'));
    expect(a.setCookie).toMatch(/; HttpOnly/);
    expect(a.setCookie).toMatch(/; SameSite=Lax/);
    expect(a.setCookie).not.toMatch(/; Secure/);
    expect(decodeURIComponent(cookieValue(a.cookie))).toBe(a.token);
    expect(a.token).not.toBe(b.token);
  });

  it('keeps a cookie it minted', async () => {
    const { cookie, token } = await issue();
    const again = await issue(url, { cookie });
    expect(again.token).toBe(token);
    expect(again.cookie).toBe(cookie);
  });

  it('replaces a cookie value it did not mint, and never signs it', async () => {
    const chosen = 'a'.repeat(64);
    const replaced = await issue(url, { cookie: `${CSRF_COOKIE}=${chosen}` });
    expect(replaced.cookie).not.toContain(chosen);
    expect(replaced.token).not.toContain(chosen);
    // The attacker's value, as cookie and field, is refused.
    const forged = await post(`${CSRF_COOKIE}=${chosen}`, `_csrf=${chosen}`);
    expect(forged.status).toBe(403);
    expect(await forged.text()).not.toContain('CHANGED-IT');
  });

  it('replaces a cookie that cookie-parser reads as JSON instead of failing', async () => {
    const replaced = await issue(url, { cookie: `${CSRF_COOKIE}=j%3A%7B%7D` });
    expect(replaced.token.length).toBeGreaterThan(64);
  });

  it('lets a matching pair through', async () => {
    const { cookie, token } = await issue();
    const response = await post(cookie, `_csrf=${encodeURIComponent(token)}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('CHANGED-IT');
  });

  it.each([
    ['no token', (c: Pair) => post(c.cookie, 'name=x')],
    ['no cookie', (c: Pair) => post('', `_csrf=${encodeURIComponent(c.token)}`)],
    ['a wrong token', (c: Pair) => post(c.cookie, `_csrf=${c.token.slice(1)}a`)],
    [
      'a cookie and token changed together',
      (c: Pair) => {
        const changed = `${c.token.slice(0, -1)}${c.token.endsWith('0') ? '1' : '0'}`;
        return post(`${CSRF_COOKIE}=${changed}`, `_csrf=${changed}`);
      },
    ],
    [
      'two tokens',
      (c: Pair) => {
        const token = encodeURIComponent(c.token);
        return post(c.cookie, `_csrf=${token}&_csrf=${token}`);
      },
    ],
  ])('refuses %s with 403', async (_what, send) => {
    const response = await send(await issue());
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain('CHANGED-IT');
  });

  it('refuses a pair minted under another secret', async () => {
    const other = await issue(otherUrl);
    const response = await post(other.cookie, `_csrf=${encodeURIComponent(other.token)}`);
    expect(response.status).toBe(403);
  });

  describe('over TLS (a trusted proxy says https)', () => {
    it('names the cookie __Host-, Secure, Path=/ and without Domain', async () => {
      const pair = await issue(url, TLS);
      expect(pair.cookie.startsWith(`__Host-${CSRF_COOKIE}=`)).toBe(true);
      expect(pair.setCookie).toMatch(/; Secure/);
      expect(pair.setCookie).toMatch(/; Path=\//);
      expect(pair.setCookie).not.toMatch(/Domain=/i);
      const response = await post(pair.cookie, `_csrf=${encodeURIComponent(pair.token)}`, TLS);
      expect(response.status).toBe(200);
    });

    it('ignores the bare cookie name, which a sibling host could have planted', async () => {
      const plain = await issue();
      const response = await post(plain.cookie, `_csrf=${encodeURIComponent(plain.token)}`, TLS);
      expect(response.status).toBe(403);
    });
  });
});
