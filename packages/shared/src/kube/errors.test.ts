import { describe, expect, it } from 'vitest';
import { apiMessage, apiStatus, isTransient, KubeApiError } from './errors.js';

const request = { method: 'GET', path: '/apis/kool.karmalabs.local/v1/guitars' };

describe('KubeApiError and its readers', () => {
  it("read the status, reason and the apiserver's message from a Status body", () => {
    const err = new KubeApiError(
      403,
      JSON.stringify({ kind: 'Status', message: 'guitars is forbidden', reason: 'Forbidden' }),
      request,
    );
    expect(apiStatus(err)).toBe(403);
    expect(err.reason).toBe('Forbidden');
    expect(err.body?.message).toBe('guitars is forbidden');
    expect(err.request).toEqual(request);
    expect(apiMessage(err)).toBe('guitars is forbidden');
    expect(isTransient(err)).toBe(false);
  });

  it('fall back to the status when the body is empty (401) or a Status without a message', () => {
    expect(apiMessage(new KubeApiError(401, '', request))).toBe('HTTP 401');
    expect(apiMessage(new KubeApiError(500, '{"kind":"Status"}', request))).toBe('HTTP 500');
  });

  it('keep the start of a body that is no Status (a proxy’s page), not all of it', () => {
    const err = new KubeApiError(502, `<html>${'x'.repeat(1000)}</html>`, request);
    expect(apiMessage(err)).toMatch(/^<html>x+$/);
    expect(apiMessage(err)).toHaveLength(500);
    expect(err.body).toBeUndefined();
  });

  it('treat an unanswered call, 429 and 5xx as transient', () => {
    const refused = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    expect(apiStatus(refused)).toBeUndefined();
    expect(apiMessage(refused)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
    expect(isTransient(refused)).toBe(true);
    expect(isTransient(new KubeApiError(429, '', request))).toBe(true);
    expect(isTransient(new KubeApiError(503, '', request))).toBe(true);
    expect(isTransient(new KubeApiError(409, '', request))).toBe(false);
  });

  it('read the status of other clients’ errors (client-node’s code, a watch’s statusCode)', () => {
    expect(apiStatus(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe(410);
    const other = Object.assign(new Error('HTTP-Code: 404 Message: ...'), {
      code: 404,
      body: JSON.stringify({ kind: 'Status', message: 'guitars.kool.karmalabs.local "x" not found' }),
    });
    expect(apiStatus(other)).toBe(404);
    expect(apiMessage(other)).toBe('guitars.kool.karmalabs.local "x" not found');
    // A Node system error's code is a string: no status.
    expect(apiStatus(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });
});
