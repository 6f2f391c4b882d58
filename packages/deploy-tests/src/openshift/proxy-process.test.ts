import { describe, expect, it } from 'vitest';
import { movePorts } from './proxy-process.js';

describe('movePorts', () => {
  const ports = { 8443: 40001, 8080: 40002 };

  it("moves a listener's port to loopback and an upstream's port, keeping the rest", () => {
    expect(movePorts('--https-address=:8443', ports)).toBe('--https-address=127.0.0.1:40001');
    expect(movePorts('--upstream=http://127.0.0.1:8080', ports)).toBe('--upstream=http://127.0.0.1:40002');
    expect(movePorts('--upstream=http://127.0.0.1:8080/app', ports)).toBe(
      '--upstream=http://127.0.0.1:40002/app',
    );
    // An empty address turns a listener off: left as it is.
    expect(movePorts('--http-address=', ports)).toBe('--http-address=');
    expect(movePorts('--skip-auth-regex=^/(healthz|readyz)$', ports)).toBe(
      '--skip-auth-regex=^/(healthz|readyz)$',
    );
  });

  it('refuses a port it was given no place for, rather than sharing the host one', () => {
    expect(() => movePorts('--https-address=:9443', ports)).toThrow(/no port given for 9443/);
  });
});
