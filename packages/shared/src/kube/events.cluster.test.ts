import { Cluster } from '@guitars/testenv';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { apiStatus } from './errors.js';
import { connect } from './index.js';
import { InvalidNameError } from './names.js';

const cluster = new Cluster(inject('testenv'));
const kube = connect(cluster.adminConfig());
afterAll(() => kube.close());

interface Event {
  count?: number;
  lastTimestamp?: string;
  reason?: string;
  involvedObject?: { name?: string };
}
const kubectlEvent = async (namespace: string, name: string) =>
  JSON.parse(await cluster.kubectlOk(['get', 'event', name, '-n', namespace, '-o', 'json'])) as Event;

describe('kube.events', () => {
  it('creates an event, then counts it up, as kubectl shows', async () => {
    const namespace = await cluster.createNamespace('kube-events');
    const at = new Date('2026-01-02T03:04:05.678Z');
    await kube.events.create(namespace, {
      metadata: { name: 'strat.1', namespace },
      involvedObject: { apiVersion: 'kool.karmalabs.local/v1', kind: 'Guitar', name: 'strat', namespace },
      type: 'Normal',
      reason: 'Reviewed',
      message: 'a great guitar',
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component: 'door-test' },
    });
    expect(await kubectlEvent(namespace, 'strat.1')).toMatchObject({
      count: 1,
      reason: 'Reviewed',
      involvedObject: { name: 'strat' },
      // Dates travel as RFC 3339; the apiserver keeps whole seconds.
      lastTimestamp: '2026-01-02T03:04:05Z',
    });
    await kube.events.countUp(namespace, 'strat.1', { count: 2, lastTimestamp: '2026-01-02T03:05:00Z' });
    expect(await kubectlEvent(namespace, 'strat.1')).toMatchObject({
      count: 2,
      lastTimestamp: '2026-01-02T03:05:00Z',
    });
  });

  it('answers a count-up of no event with 404, and refuses a hostile name before sending', async () => {
    const namespace = await cluster.createNamespace('kube-events');
    const err = await kube.events
      .countUp(namespace, 'none', { count: 2, lastTimestamp: '2026-01-02T03:05:00Z' })
      .catch((e: unknown) => e);
    expect(apiStatus(err)).toBe(404);
    await expect(kube.events.countUp(namespace, '..', { count: 1, lastTimestamp: '' })).rejects.toThrow(
      InvalidNameError,
    );
    await expect(kube.events.create('a/b', { metadata: {}, involvedObject: {} })).rejects.toThrow(
      InvalidNameError,
    );
  });
});
