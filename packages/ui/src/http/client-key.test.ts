import express from 'express';
import { beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../test-support/tiny-app.js';
import { clientKey } from './client-key.js';

describe('clientKey', () => {
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.get('/', (req, res) => {
      res.send(clientKey(req));
    });
    url = await serve(app);
  });

  const keyFor = async (forwardedFor?: string) =>
    (await fetch(url, { headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} })).text();

  it('is the address Express sees, through a trusted proxy', async () => {
    expect(await keyFor()).toBe('127.0.0.1');
    expect(await keyFor('203.0.113.9')).toBe('203.0.113.9');
  });

  it('widens an IPv6 address to its /56, so one host cannot pose as many clients', async () => {
    expect(await keyFor('2001:db8:1:2:3:4:5:6')).toBe(await keyFor('2001:db8:1:ff:ffff::1'));
    expect(await keyFor('2001:db8:1:2::1')).not.toBe(await keyFor('2001:db8:2:2::1'));
  });
});
