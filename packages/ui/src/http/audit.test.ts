import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { send } from '../test-support/raw-http.js';
import { serve } from '../test-support/tiny-app.js';
import { audited } from './audit.js';
import { errorHandler } from './error-handler.js';
import { HttpError } from './http-error.js';
import { proxyIdentity } from './proxy-identity.js';

describe('audited', () => {
  it('logs one line per write with user, namespace, name and result, and never the token', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino(sink);
    const app = express();
    app.use(proxyIdentity(['127.0.0.1']));
    app.post('/ok', async (req, res) => {
      await audited(logger, req, 'create', { namespace: 'shop', name: 'strat' }, async () => 'done');
      res.end();
    });
    app.post('/refused', async (req) => {
      await audited(logger, req, 'delete', { namespace: 'shop', name: 'tele' }, async () => {
        throw new HttpError(403, 'no');
      });
    });
    app.use(errorHandler(pino({ level: 'silent' })));
    const url = await serve(app);
    const headers = {
      'x-forwarded-user': 'alice',
      'x-forwarded-access-token': 'secret-token',
      accept: 'application/json',
    };
    expect((await send(`${url}/ok`, { method: 'POST', headers })).status).toBe(200);
    expect((await send(`${url}/refused`, { method: 'POST', headers })).status).toBe(403);
    expect(
      lines.map(({ audit, action, user, namespace, name, result }) => ({
        audit,
        action,
        user,
        namespace,
        name,
        result,
      })),
    ).toEqual([
      { audit: true, action: 'create', user: 'alice', namespace: 'shop', name: 'strat', result: 'ok' },
      { audit: true, action: 'delete', user: 'alice', namespace: 'shop', name: 'tele', result: '403' },
    ]);
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });
});
