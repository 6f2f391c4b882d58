import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_TRUST_PROXY, loadConfig, parseTrustProxy } from './config.js';

describe('loadConfig', () => {
  it('has sensible defaults: loopback only, no proxy trusted', () => {
    const config = loadConfig({});
    expect(DEFAULT_TRUST_PROXY).toBe(false);
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      guitarNamespace: undefined,
      trustProxy: DEFAULT_TRUST_PROXY,
      auth: {},
      cookieSecretGenerated: true,
      writeRateLimit: 30,
      shutdownTimeoutMs: 10_000,
      allowedHosts: undefined,
      maxConnections: 4096,
    });
    expect(config.cookieSecret.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({}).cookieSecret).not.toBe(config.cookieSecret);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9090',
      HOST: '0.0.0.0',
      GUITAR_NAMESPACE: ' music ',
      TRUST_PROXY: '1',
      UI_AUTH_USERNAME: 'admin',
      UI_AUTH_PASSWORD: 'p a s s',
      UI_AUTH_TOKEN: 'token',
      UI_COOKIE_SECRET: 's'.repeat(32),
      UI_WRITE_RATE_LIMIT: '5',
      UI_SHUTDOWN_TIMEOUT: '3s',
      UI_ALLOWED_HOSTS: 'Guitars.Apps.Example.com., guitars.example.net',
      UI_MAX_CONNECTIONS: '100',
    });
    expect(config).toEqual({
      port: 9090,
      host: '0.0.0.0',
      guitarNamespace: 'music',
      trustProxy: 1,
      auth: { basic: { username: 'admin', password: 'p a s s' }, token: 'token' },
      cookieSecret: 's'.repeat(32),
      cookieSecretGenerated: false,
      writeRateLimit: 5,
      shutdownTimeoutMs: 3_000,
      allowedHosts: ['guitars.apps.example.com', 'guitars.example.net'],
      maxConnections: 100,
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', GUITAR_NAMESPACE: '' })).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      guitarNamespace: undefined,
    });
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', UI_COOKIE_SECRET: 'short', UI_WRITE_RATE_LIMIT: '0' })).toThrow(
      /PORT=eighty: .*UI_COOKIE_SECRET: must be at least 32 characters.*UI_WRITE_RATE_LIMIT=0/,
    );
    expect(() => loadConfig({ PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadConfig({ UI_SHUTDOWN_TIMEOUT: 'soon' })).toThrow(
      /UI_SHUTDOWN_TIMEOUT=soon: expected a duration such as 15s/,
    );
    expect(() => loadConfig({ GUITAR_NAMESPACE: '..' })).toThrow(
      /GUITAR_NAMESPACE=\.\.: must be a namespace name/,
    );
  });

  it('refuses TRUST_PROXY=true, which believes any client-forged X-Forwarded-For', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(
      /TRUST_PROXY=true: true trusts addresses any client can forge/,
    );
    expect(() => loadConfig({ TRUST_PROXY: 'TRUE' })).toThrow(ConfigError);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  it('takes host names or * in UI_ALLOWED_HOSTS, never a URL or a port', () => {
    expect(loadConfig({ UI_ALLOWED_HOSTS: '*' }).allowedHosts).toEqual(['*']);
    for (const bad of ['https://guitars.example.com', 'guitars.example.com:443', '*.example.com', ',']) {
      expect(() => loadConfig({ UI_ALLOWED_HOSTS: bad })).toThrow(/UI_ALLOWED_HOSTS=.*: must be host names/);
    }
  });

  it('wants both halves of basic auth', () => {
    expect(() => loadConfig({ UI_AUTH_USERNAME: 'admin' })).toThrow(/UI_AUTH_USERNAME and UI_AUTH_PASSWORD/);
  });
});

describe('loadConfig, UI_AUTH=proxy', () => {
  it('trusts loopback by default, or the addresses given', () => {
    expect(loadConfig({ UI_AUTH: 'proxy' }).auth).toEqual({ proxy: { addresses: ['127.0.0.1', '::1'] } });
    expect(loadConfig({ UI_AUTH: 'proxy', UI_AUTH_PROXY_ADDRESSES: ' 10.0.0.5 , ::1' }).auth).toEqual({
      proxy: { addresses: ['10.0.0.5', '::1'] },
    });
  });

  it('refuses other modes, addresses that are not IPs, and a password beside the proxy', () => {
    expect(() => loadConfig({ UI_AUTH: 'oidc' })).toThrow(/UI_AUTH=oidc: must be "proxy"/);
    expect(() => loadConfig({ UI_AUTH: 'proxy', UI_AUTH_PROXY_ADDRESSES: 'localhost' })).toThrow(
      /UI_AUTH_PROXY_ADDRESSES=localhost: must be IP addresses/,
    );
    expect(() => loadConfig({ UI_AUTH: 'proxy', UI_AUTH_TOKEN: 'x' })).toThrow(/unset UI_AUTH_USERNAME/);
    expect(() => loadConfig({ UI_AUTH_PROXY_ADDRESSES: '127.0.0.1' })).toThrow(/needs UI_AUTH=proxy/);
  });
});

describe('loadConfig, UI_METRICS_BIND_ADDRESS', () => {
  it('is off by default, and takes host:port (an empty host: every interface)', () => {
    expect(loadConfig({}).metricsAddress).toBeUndefined();
    expect(loadConfig({ UI_METRICS_BIND_ADDRESS: ':8081' }).metricsAddress).toEqual({ host: '', port: 8081 });
    expect(loadConfig({ UI_METRICS_BIND_ADDRESS: '[::1]:0' }).metricsAddress).toEqual({
      host: '::1',
      port: 0,
    });
    expect(() => loadConfig({ UI_METRICS_BIND_ADDRESS: '8081' })).toThrow(/UI_METRICS_BIND_ADDRESS=8081/);
  });
});

describe('parseTrustProxy', () => {
  it('reads booleans, hop counts and address lists', () => {
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('10.0.0.0/8, loopback')).toBe('10.0.0.0/8, loopback');
  });
});
