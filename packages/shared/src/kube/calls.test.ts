import { describe, expect, it } from 'vitest';
import { unprocessed } from './calls.js';

/** An error as node:http2 makes them: a code and a message. */
const failure = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('unprocessed', () => {
  it('is true for a stream the server refused or a request sent after its GOAWAY', () => {
    expect(
      unprocessed(failure('ERR_HTTP2_STREAM_ERROR', 'Stream closed with error code NGHTTP2_REFUSED_STREAM')),
    ).toBe(true);
    expect(
      unprocessed(
        failure('ERR_HTTP2_GOAWAY_SESSION', 'New streams cannot be created after receiving a GOAWAY'),
      ),
    ).toBe(true);
  });

  it('is false where the server may have acted on the request, or no server was reached', () => {
    expect(
      unprocessed(failure('ERR_HTTP2_STREAM_ERROR', 'Stream closed with error code NGHTTP2_INTERNAL_ERROR')),
    ).toBe(false);
    expect(unprocessed(failure('ECONNRESET', 'read ECONNRESET'))).toBe(false);
    expect(unprocessed(failure('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'))).toBe(false);
    expect(unprocessed(new Error('GET /x: no answer within 60000 ms'))).toBe(false);
    expect(unprocessed(undefined)).toBe(false);
  });
});
