import { describe, expect, it } from 'vitest';
import { BuildProgress, duration } from './build-progress.js';

function progress() {
  const lines: string[] = [];
  let now = 1_000_000;
  const p = new BuildProgress(
    (line) => lines.push(line),
    () => now,
  );
  return {
    p,
    lines,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('BuildProgress', () => {
  it('logs phases and Go lines as they come, and once a minute how long the phase has run', () => {
    const { p, lines, advance } = progress();
    p.tick();
    expect(lines).toEqual([]);
    p.line('[testenv] downloading modules for kube-apiserver and kubectl (first time: a few minutes)');
    p.line('go: downloading k8s.io/api v0.36.3');
    p.line('');
    advance(60_000);
    p.tick();
    expect(lines).toEqual([
      '[testenv] downloading modules for kube-apiserver and kubectl (first time: a few minutes)',
      '  go: downloading k8s.io/api v0.36.3',
      '[testenv] downloading modules for kube-apiserver and kubectl: 1 min 0 s so far',
    ]);
  });

  it('counts the packages go build -v names instead of logging them', () => {
    const { p, lines, advance } = progress();
    p.line('[testenv] resolving etcd v3.6.8');
    advance(30_000);
    p.line('[testenv] compiling kube-apiserver v1.36.3 (1127 packages)');
    for (const pkg of [
      'internal/goarch',
      'k8s.io/api/core/v1',
      'go.etcd.io/etcd/server/v3',
      'sigs.k8s.io/yaml',
    ])
      p.line(pkg);
    advance(125_000);
    p.tick();
    expect(lines).toEqual([
      '[testenv] resolving etcd v3.6.8',
      '[testenv] compiling kube-apiserver v1.36.3 (1127 packages)',
      '[testenv] compiling kube-apiserver v1.36.3: 4 of 1127 packages, 2 min 5 s so far (2 min 35 s in all)',
    ]);
  });

  it('starts counting again at the next phase, and never past the total', () => {
    const { p, lines } = progress();
    p.line('[testenv] compiling kubectl v1.36.3 (1 package)');
    p.line('k8s.io/kubectl/pkg/cmd');
    p.line('k8s.io/kubernetes/cmd/kubectl');
    p.tick();
    p.line('[testenv] compiling etcd v3.6.8 (250 packages)');
    p.line('go.etcd.io/etcd/server/v3');
    p.tick();
    expect(lines.filter((line) => line.includes('so far'))).toEqual([
      '[testenv] compiling kubectl v1.36.3: 1 of 1 packages, 0 s so far',
      '[testenv] compiling etcd v3.6.8: 1 of 250 packages, 0 s so far',
    ]);
  });

  it('logs compile errors, which are not import paths', () => {
    const { p, lines } = progress();
    p.line('[testenv] compiling etcd v3.6.8 (250 packages)');
    p.line('# go.etcd.io/etcd/server/v3/embed');
    p.line('embed/config.go:12:2: undefined: foo');
    p.tick();
    expect(lines).toEqual([
      '[testenv] compiling etcd v3.6.8 (250 packages)',
      '  # go.etcd.io/etcd/server/v3/embed',
      '  embed/config.go:12:2: undefined: foo',
      '[testenv] compiling etcd v3.6.8: 0 of 250 packages, 0 s so far',
    ]);
  });

  it('says no count in phases that compile nothing', () => {
    const { p, lines } = progress();
    p.line('[testenv] resolving etcd v3.6.8');
    p.line('go.etcd.io/etcd/server/v3');
    p.tick();
    expect(lines).toEqual([
      '[testenv] resolving etcd v3.6.8',
      '  go.etcd.io/etcd/server/v3',
      '[testenv] resolving etcd v3.6.8: 0 s so far',
    ]);
  });
});

describe('duration', () => {
  it('reads in minutes and seconds', () => {
    expect(duration(42_000)).toBe('42 s');
    expect(duration(125_400)).toBe('2 min 5 s');
    expect(duration(3_600_000)).toBe('60 min 0 s');
  });
});
