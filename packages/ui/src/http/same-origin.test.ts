import express from 'express';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { send } from '../test-support/raw-http.js';
import { serve } from '../test-support/tiny-app.js';
import { errorHandler } from './error-handler.js';
import { refuseCrossSite } from './same-origin.js';

describe('refuseCrossSite (fetch metadata and Origin)', () => {
  let url: string;
  let host: string;

  beforeAll(async () => {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(refuseCrossSite);
    app.all('/', (_req, res) => {
      res.send('CHANGED-IT');
    });
    app.use(errorHandler(pino({ level: 'silent' })));
    url = await serve(app);
    host = new URL(url).host;
  });

  /** Sends `headers`, `OWN` in an Origin standing for this server's own origin. */
  const call = (method: string, headers: Record<string, string>) => {
    const origin = headers.origin?.replace('OWN', `http://${host}`);
    return send(url, {
      method,
      headers: { accept: 'application/json', ...headers, ...(origin ? { origin } : {}) },
    });
  };

  it.each([
    ['no Origin and no fetch metadata (scripts, old browsers)', {}],
    ['its own origin', { origin: 'OWN' }],
    ['its own origin, same-origin', { origin: 'OWN', 'sec-fetch-site': 'same-origin' }],
    ['a request the user made directly', { 'sec-fetch-site': 'none' }],
    ['its own origin marked same-site', { origin: 'OWN', 'sec-fetch-site': 'same-site' }],
    [
      'Origin: null from its own page (a browser hiding it)',
      { origin: 'null', 'sec-fetch-site': 'same-origin' },
    ],
  ])('lets through a POST with %s', async (_what, headers: Record<string, string>) => {
    const response = await call('POST', headers);
    expect(response.status).toBe(200);
    expect(response.body).toBe('CHANGED-IT');
  });

  it.each([
    ['another site', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }],
    ['a sibling host', { origin: 'https://sibling.apps.example.com', 'sec-fetch-site': 'same-site' }],
    ['a foreign Origin alone', { origin: 'https://evil.example' }],
    ['cross-site metadata alone', { 'sec-fetch-site': 'cross-site' }],
    ['same-site metadata alone', { 'sec-fetch-site': 'same-site' }],
    ['cross-site metadata with its own Origin', { origin: 'OWN', 'sec-fetch-site': 'cross-site' }],
    ['Origin: null', { origin: 'null' }],
    ['Origin: null from a sibling host', { origin: 'null', 'sec-fetch-site': 'same-site' }],
    ['an Origin of another port', { origin: 'http://127.0.0.1:1' }],
    [
      'an Origin of its host over http when it is served over https',
      { origin: 'OWN', 'x-forwarded-proto': 'https' },
    ],
    ['an Origin with a path', { origin: 'OWN/' }],
    ['a garbage Origin', { origin: '::::' }],
  ])('refuses (403) a POST and a DELETE from %s', async (_what, headers: Record<string, string>) => {
    for (const method of ['POST', 'DELETE', 'PUT', 'PATCH']) {
      const response = await call(method, headers);
      expect(response.status, method).toBe(403);
      expect(response.body).not.toContain('CHANGED-IT');
      expect(JSON.parse(response.body)).toMatchObject({ message: expect.stringContaining('another site') });
    }
  });

  it('leaves reads alone, whoever asks', async () => {
    expect(
      (await call('GET', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status,
    ).toBe(200);
  });

  it('takes an https Origin on a plain-http request: TLS ended at a proxy it does not trust', async () => {
    expect((await call('POST', { origin: `https://${host}` })).status).toBe(200);
  });

  it("compares with the trusted proxy's host and scheme, a default port included", async () => {
    const routed = { 'x-forwarded-host': 'guitars.apps.example.com', 'x-forwarded-proto': 'https' };
    expect((await call('POST', { ...routed, origin: 'https://guitars.apps.example.com' })).status).toBe(200);
    expect(
      (
        await call('POST', {
          ...routed,
          'x-forwarded-host': 'guitars.apps.example.com:443',
          origin: 'https://guitars.apps.example.com',
        })
      ).status,
    ).toBe(200);
    expect((await call('POST', { ...routed, origin: `https://${host}` })).status).toBe(403);
  });

  it('compares with the Host header the client sent', async () => {
    const response = await send(url, {
      method: 'POST',
      headers: { host: 'guitars.local:8080', origin: 'http://guitars.local:8080' },
    });
    expect(response.status).toBe(200);
  });
});
