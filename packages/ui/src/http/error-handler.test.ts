import express from 'express';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { VIEWS_DIR } from '../app.js';
import { serve } from '../test-support/tiny-app.js';
import { errorHandler, notFound } from './error-handler.js';
import { HttpError } from './http-error.js';

describe('errorHandler', () => {
  let url: string;
  const logged: unknown[] = [];

  beforeAll(async () => {
    const app = express();
    app.set('views', VIEWS_DIR);
    app.set('view engine', 'ejs');
    app.get(['/boom', '/api/boom'], () => {
      throw new Error('database password is hunter2');
    });
    app.get('/refused', () => {
      throw new HttpError(403, 'Not <yours>.', undefined, { 'X-Why': 'rbac' });
    });
    app.use(notFound);
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    app.use(errorHandler(logger));
    url = await serve(app);
  });

  it('answers an unexpected error with a friendly 500 page: no message, no stack', async () => {
    const response = await fetch(`${url}/boom`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(500);
    const html = await response.text();
    expect(html).toContain('Something went wrong on our side');
    expect(html).not.toContain('hunter2');
    expect(html).not.toMatch(/\bat .*:\d+:\d+/);
    // ...but logs it, with its stack, for the operator.
    expect(JSON.stringify(logged)).toContain('hunter2');
  });

  it('answers JSON under /api and to clients that ask for it', async () => {
    const response = await fetch(`${url}/api/boom`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      status: 500,
      message: 'Something went wrong on our side. It has been logged; please try again.',
    });
    const refused = await fetch(`${url}/refused`, { headers: { accept: 'application/json' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-why')).toBe('rbac');
    expect(await refused.json()).toEqual({ status: 403, message: 'Not <yours>.' });
  });

  it('escapes the message on the page', async () => {
    const html = await (await fetch(`${url}/refused`, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('Not &lt;yours&gt;.');
    expect(html).toContain('<h1>Not allowed</h1>');
  });

  it('answers 404 for anything unrouted', async () => {
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
  });
});
