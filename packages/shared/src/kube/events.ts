import type { CoreV1Event } from '@kubernetes/client-node';
import type { KubeHttp } from './http.js';
import { eventPath } from './paths.js';

/** The fields of an existing event that a repeat counts up (client-go's correlator). */
export interface EventCountUp {
  count: number;
  /** RFC 3339. */
  lastTimestamp: string;
}

/** core/v1 Events. Writes only: their answers are dropped unread. */
export class EventClient {
  constructor(private readonly http: KubeHttp) {}

  /** Creates the event in `namespace`; its Dates travel as RFC 3339 (the apiserver keeps seconds). */
  async create(namespace: string, event: CoreV1Event): Promise<void> {
    return this.http.send({ method: 'POST', path: eventPath(namespace), body: event });
  }

  /** Counts up an existing event (a JSON merge patch of count and lastTimestamp). */
  async countUp(namespace: string, name: string, patch: EventCountUp): Promise<void> {
    return this.http.send({
      method: 'PATCH',
      path: eventPath(namespace, name),
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }
}
