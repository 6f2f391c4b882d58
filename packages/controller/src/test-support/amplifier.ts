import type { ResourceType } from '@guitars/shared';
import type { KubernetesObject } from '@kubernetes/client-node';
import { done, type Reconciler, requeueAfter, TerminalError } from '../kit/reconciler.js';
import type { KitTools } from '../kit/run.js';

/**
 * A made-up second kind, to prove the kit is not the Guitar's: an Amplifier plays the sound its
 * spec names once its tubes have warmed up, and says so in its status.
 */
export interface Amplifier extends KubernetesObject {
  spec?: { sound?: string; warmUpMs?: number };
  status?: { playing?: string };
}

export const AMPLIFIERS: ResourceType = { group: 'test.kit.local', version: 'v1', plural: 'amplifiers' };

/** Its CRD, applied to the test apiserver: no status subresource, so one merge patch writes status. */
export const AMPLIFIER_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${AMPLIFIERS.plural}.${AMPLIFIERS.group}` },
  spec: {
    group: AMPLIFIERS.group,
    names: { kind: 'Amplifier', plural: AMPLIFIERS.plural, singular: 'amplifier', listKind: 'AmplifierList' },
    scope: 'Namespaced',
    versions: [
      {
        name: AMPLIFIERS.version,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: { sound: { type: 'string' }, warmUpMs: { type: 'integer', minimum: 0 } },
              },
              status: { type: 'object', properties: { playing: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

/**
 * The Amplifier reconciler: all a controller of this kind has to write. Not warm yet: requeue
 * after the rest of the warm-up. No sound: a TerminalError, as retrying cannot invent one. A
 * failed write (a 403, a conflict) is thrown and retried with backoff by the kit.
 */
export function amplifierReconciler({ kube, recorder }: KitTools<Amplifier>): Reconciler<Amplifier> {
  const amps = kube.resources<Amplifier>(AMPLIFIERS);
  // key → when this replica first saw the amplifier switched on.
  const switchedOn = new Map<string, number>();
  return {
    async reconcile(amp, key) {
      if (!amp) {
        switchedOn.delete(key);
        return done();
      }
      const sound = amp.spec?.sound;
      if (sound === undefined) throw new TerminalError('amplifier skipped: spec.sound is missing', 'invalid');
      if (amp.status?.playing === sound) return done('unchanged');
      const now = Date.now();
      const since = switchedOn.get(key) ?? now;
      switchedOn.set(key, since);
      const warmAt = since + (amp.spec?.warmUpMs ?? 0);
      if (now < warmAt) return requeueAfter(warmAt - now);

      const { namespace = '', name = '', resourceVersion = '' } = amp.metadata ?? {};
      await amps.patch(namespace, name, { metadata: { resourceVersion }, status: { playing: sound } });
      recorder.record(amp, 'Normal', 'Playing', `playing ${sound}`);
      return done('played');
    },
  };
}
