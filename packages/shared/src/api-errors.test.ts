import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiMessage, apiStatus, isTransient } from './api-errors.js';

describe('api errors', () => {
  it("read the status and the apiserver's message from an ApiException", () => {
    const err = new ApiException(
      403,
      'Forbidden',
      JSON.stringify({ kind: 'Status', message: 'guitars is forbidden' }),
      {},
    );
    expect(apiStatus(err)).toBe(403);
    expect(apiMessage(err)).toBe('guitars is forbidden');
    expect(isTransient(err)).toBe(false);
  });

  it('fall back to the status when the body is empty (401)', () => {
    const err = new ApiException(401, 'Unauthorized', undefined, {});
    expect(apiMessage(err)).toBe('HTTP 401');
  });

  it('treat an unanswered call, 429 and 5xx as transient', () => {
    const refused = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    expect(apiStatus(refused)).toBeUndefined();
    expect(apiMessage(refused)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
    expect(isTransient(refused)).toBe(true);
    expect(isTransient(new ApiException(429, '', '', {}))).toBe(true);
    expect(isTransient(new ApiException(503, '', '', {}))).toBe(true);
    expect(isTransient(new ApiException(409, '', '', {}))).toBe(false);
  });

  it('read the status of a failed watch', () => {
    expect(apiStatus(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe(410);
  });
});
