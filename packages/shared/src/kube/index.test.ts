import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ListerWatcher } from '../informer/lister-watcher.js';
import { connect } from './index.js';

describe('connect', () => {
  it('gives one client per kind of call, and sends nothing until one is made', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const kube = connect(kc);
    expect(Object.keys(kube).sort()).toEqual([
      'accessReviews',
      'close',
      'crds',
      'events',
      'guitars',
      'leases',
      'resources',
    ]);
    // Checked by the compiler: all guitars, or a selection, plug into a reflector.
    const all: ListerWatcher = kube.guitars;
    const some: ListerWatcher = kube.guitars.select({ namespace: 'shop', labelSelector: 'a=b' });
    // Any other kind too, by its group, version and plural.
    const amps: ListerWatcher = kube.resources({
      group: 'test.kit.local',
      version: 'v1',
      plural: 'amplifiers',
    });
    expect([typeof all.list, typeof some.watch, typeof amps.list]).toEqual([
      'function',
      'function',
      'function',
    ]);
    kube.close();
  });

  it('refuses a kubeconfig without a current cluster, saying so', () => {
    expect(() => connect(new KubeConfig())).toThrow('the kubeconfig has no current cluster');
  });
});
