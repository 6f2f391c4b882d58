import { describe, expect, it } from 'vitest';
import { ConfigError, type ControllerConfig, helpText, parseConfig, parseDuration } from './config.js';

const config = (argv: string[], env: NodeJS.ProcessEnv = {}): ControllerConfig => {
  const parsed = parseConfig(argv, env);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.config;
};

describe('parseConfig', () => {
  it('has defaults for a laptop: all namespaces, CRD install on, no leader election, probes on :8081', () => {
    const c = config([]);
    expect(c).toMatchObject({
      namespace: undefined,
      labelSelector: undefined,
      workers: 32,
      installCrd: true,
      reviewPolicy: undefined,
      probeHost: '',
      probePort: 8081,
      leaderElect: false,
      leaderElectionNamespace: undefined,
      leaderElectionId: 'guitars-controller',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      eventQps: 10,
      eventBurst: 100,
      shutdownTimeoutMs: 20_000,
      logLevel: 'info',
    });
    expect(c.identity).toMatch(/_[0-9a-f]{8}$/);
  });

  it('turns leader election on by default in a pod', () => {
    expect(config([], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).leaderElect).toBe(true);
    expect(config(['--leader-elect=false'], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).leaderElect).toBe(false);
  });

  it('reads environment variables, and flags win over them', () => {
    const env = {
      CONTROLLER_NAMESPACE: 'shop',
      CONTROLLER_INSTALL_CRD: 'false',
      CONTROLLER_WORKERS: '8',
      CONTROLLER_PROBE_BIND_ADDRESS: '127.0.0.1:9000',
      CONTROLLER_LEASE_DURATION: '30s',
      POD_NAME: 'guitars-controller-abc',
      LOG_LEVEL: 'debug',
    };
    expect(config([], env)).toMatchObject({
      namespace: 'shop',
      installCrd: false,
      workers: 8,
      probeHost: '127.0.0.1',
      probePort: 9000,
      leaseDurationMs: 30_000,
      identity: 'guitars-controller-abc',
      logLevel: 'debug',
    });
    expect(config(['--namespace=other', '--install-crd', '--workers', '2'], env)).toMatchObject({
      namespace: 'other',
      installCrd: true,
      workers: 2,
    });
  });

  it('accepts --flag, --flag=true and --flag=false for booleans', () => {
    expect(config(['--install-crd=false']).installCrd).toBe(false);
    expect(config(['--leader-elect']).leaderElect).toBe(true);
    expect(config(['--leader-elect=true']).leaderElect).toBe(true);
  });

  it('asks for help', () => {
    expect(parseConfig(['--help'], {})).toEqual({ help: true });
    expect(parseConfig(['-h'], {})).toEqual({ help: true });
  });

  it.each([
    [['--workers=0'], {}, /--workers=0: expected a whole number from 1 to 64/],
    [[], { CONTROLLER_WORKERS: 'many' }, /CONTROLLER_WORKERS=many/],
    [['--install-crd=maybe'], {}, /--install-crd=maybe: expected true or false/],
    [['--lease-duration=soon'], {}, /--lease-duration=soon: expected a duration/],
    [['--renew-deadline=20s'], {}, /renew deadline must be shorter than the lease duration/],
    [['--retry-period=10s'], {}, /retry period must be shorter than the renew deadline/],
    [['--probe-bind-address=8081'], {}, /expected host:port/],
    [['--log-level=loud'], {}, /--log-level=loud: expected one of trace, debug/],
    [['--colour=blue'], {}, /Unknown option '--colour'.*see --help/],
    [['stray'], {}, /stray/],
  ])('refuses %j %j with a message naming the input', (argv, env, message) => {
    expect(() => parseConfig(argv, env)).toThrow(ConfigError);
    expect(() => parseConfig(argv, env)).toThrow(message);
  });

  it('lists every option with its environment variable and default in --help', () => {
    const help = helpText();
    for (const [flag, env] of [
      ['--namespace', 'CONTROLLER_NAMESPACE'],
      ['--label-selector', 'CONTROLLER_LABEL_SELECTOR'],
      ['--workers', 'CONTROLLER_WORKERS'],
      ['--install-crd', 'CONTROLLER_INSTALL_CRD'],
      ['--review-policy', 'CONTROLLER_REVIEW_POLICY'],
      ['--probe-bind-address', 'CONTROLLER_PROBE_BIND_ADDRESS'],
      ['--leader-elect', 'CONTROLLER_LEADER_ELECT'],
      ['--leader-election-namespace', 'CONTROLLER_LEADER_ELECTION_NAMESPACE'],
      ['--leader-election-id', 'CONTROLLER_LEADER_ELECTION_ID'],
      ['--identity', 'POD_NAME'],
      ['--lease-duration', 'CONTROLLER_LEASE_DURATION'],
      ['--renew-deadline', 'CONTROLLER_RENEW_DEADLINE'],
      ['--retry-period', 'CONTROLLER_RETRY_PERIOD'],
      ['--event-qps', 'CONTROLLER_EVENT_QPS'],
      ['--event-burst', 'CONTROLLER_EVENT_BURST'],
      ['--shutdown-timeout', 'CONTROLLER_SHUTDOWN_TIMEOUT'],
      ['--log-level', 'LOG_LEVEL'],
    ]) {
      expect(help).toContain(flag);
      expect(help).toContain(`env ${env}, default: `);
    }
    expect(help).toContain('KUBECONFIG');
  });
});

describe('--help', () => {
  it('shows the defaults the parser really uses', () => {
    const lines = helpText().split('\n');
    const shown = new Map<string, string>();
    lines.forEach((line, i) => {
      const flag = /^ {2}--([a-z-]+)/.exec(line)?.[1];
      const def = /default: (.*)$/.exec(lines[i + 2] ?? '')?.[1];
      if (flag && def) shown.set(flag, def);
    });
    const c = config([]);
    const asShown = (flag: string) => shown.get(flag) ?? '(not shown)';
    expect(Number(asShown('workers'))).toBe(c.workers);
    expect(asShown('install-crd')).toBe(String(c.installCrd));
    expect(asShown('probe-bind-address')).toBe(`:${c.probePort}`);
    expect(asShown('leader-election-id')).toBe(c.leaderElectionId);
    expect(parseDuration(asShown('lease-duration'))).toBe(c.leaseDurationMs);
    expect(parseDuration(asShown('renew-deadline'))).toBe(c.renewDeadlineMs);
    expect(parseDuration(asShown('retry-period'))).toBe(c.retryPeriodMs);
    expect(parseDuration(asShown('shutdown-timeout'))).toBe(c.shutdownTimeoutMs);
    expect(Number(asShown('event-qps'))).toBe(c.eventQps);
    expect(Number(asShown('event-burst'))).toBe(c.eventBurst);
    expect(asShown('log-level')).toBe(c.logLevel);
  });
});
