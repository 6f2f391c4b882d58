import express from 'express';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../test-support/raw-http.js';
import { serve } from '../test-support/tiny-app.js';
import { type AllowedHostsOptions, allowedHosts } from './allowed-hosts.js';
import { errorHandler } from './error-handler.js';

/** A tiny app behind the guard; `trust` is Express's trust proxy. */
async function guarded(options: AllowedHostsOptions, trust: string | boolean = false) {
  const app = express();
  app.set('trust proxy', trust);
  app.use(allowedHosts(options));
  app.use((_req, res) => {
    res.send('SERVED');
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  const url = await serve(app);
  return (headers: Record<string, string>, path = '/') =>
    rawRequest(url, path, { headers: { accept: 'application/json', ...headers } }).then((r) => r.status);
}

describe('allowedHosts', () => {
  let noSignIn: Awaited<ReturnType<typeof guarded>>;
  let listed: Awaited<ReturnType<typeof guarded>>;
  let signIn: Awaited<ReturnType<typeof guarded>>;
  let behindProxy: Awaited<ReturnType<typeof guarded>>;

  beforeAll(async () => {
    noSignIn = await guarded({ names: undefined, signIn: false });
    listed = await guarded({ names: ['guitars.example.test'], signIn: true });
    signIn = await guarded({ names: undefined, signIn: true });
    behindProxy = await guarded({ names: ['guitars.example.test'], signIn: false }, 'loopback');
  });

  it.each([
    'localhost:8080',
    'LOCALHOST',
    'localhost.:8080',
    'guitars.localhost:3000',
    '127.0.0.1:8080',
    '127.9.8.7',
    '[::1]:8080',
    '10.128.3.7:8080',
    '[fd00::7]:8080',
  ])('answers Host %s with no list and no sign-in', async (host) => {
    expect(await noSignIn({ host })).toBe(200);
  });

  it.each([
    'rebind.attacker.example:8080',
    'localhost.attacker.example',
    'localhost@attacker.example',
    'attacker.example#localhost',
    '127.0.0.1.attacker.example',
  ])('refuses Host %j with no list and no sign-in', async (host) => {
    expect(await noSignIn({ host })).toBe(421);
  });

  it('with a list, answers those names only (and addresses, localhost), sign-in or not', async () => {
    expect(await listed({ host: 'guitars.example.test' })).toBe(200);
    expect(await listed({ host: 'Guitars.Example.Test.:443' })).toBe(200);
    expect(await listed({ host: 'localhost:8080' })).toBe(200);
    expect(await listed({ host: 'other.example.test' })).toBe(421);
    expect(await listed({ host: 'x.guitars.example.test' })).toBe(421);
  });

  it('with sign-in on and no list, answers any name', async () => {
    expect(await signIn({ host: 'guitars.example.test' })).toBe(200);
    expect(await signIn({ host: 'anything.example' })).toBe(200);
  });

  it("checks a trusted proxy's X-Forwarded-Host as well as Host", async () => {
    const ok = { host: 'guitars.example.test', 'x-forwarded-host': 'guitars.example.test' };
    expect(await behindProxy(ok)).toBe(200);
    expect(await behindProxy({ ...ok, 'x-forwarded-host': 'rebind.attacker.example' })).toBe(421);
    // A rebound name with a forged X-Forwarded-Host naming the UI is still the rebound name.
    expect(await behindProxy({ host: 'rebind.attacker.example', 'x-forwarded-host': 'localhost' })).toBe(421);
  });

  it('reads the host of an absolute-form target, which HTTP says overrides Host', async () => {
    expect(await noSignIn({ host: 'localhost' }, 'http://evil.example/static')).toBe(421);
    expect(await noSignIn({ host: 'localhost' }, 'http://localhost:8080/static')).toBe(200);
  });
});
