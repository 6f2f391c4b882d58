import { apiMessage, apiStatus, type EventClient, type Logger } from '@guitars/shared';
import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import type { Metrics } from './metrics.js';
import { BucketRateLimiter, type Now } from './rate-limiter.js';

export type EventType = 'Normal' | 'Warning';

/** How the recorder reaches the apiserver: kube.events. */
export type EventWriter = Pick<EventClient, 'create' | 'countUp'>;

export interface EventRecorderOptions {
  /** source.component and reportingComponent, e.g. guitars-controller. */
  component: string;
  /** reportingInstance and source.host: this replica. */
  instance: string;
  /** Events sent per second over all objects, after a burst of `burst`. */
  qps: number;
  burst: number;
  /** Events waiting to be sent beyond which new ones are dropped. */
  maxQueued?: number;
  /**
   * True while the controller has reconciles waiting: events wait too, so that they never slow
   * the work they describe (their timestamps are those of the work). A flush does not wait.
   */
  busy?: () => boolean;
  now?: Now;
}

/** How often a waiting recorder looks again whether the controller is still busy. */
const BUSY_POLL_MS = 50;
/** On stop, how long the rate limit may hold queued events before they are dropped instead. */
export const FLUSH_GRACE_MS = 1000;

interface Pending {
  namespace: string;
  /** The object the event is about, for logs. */
  name: string;
  /** The event to create, or the name of an existing one to count up. */
  create?: CoreV1Event;
  countUp?: { name: string; count: number; lastTimestamp: Date };
  correlationKey: string;
}

// Like client-go's EventSourceObjectSpamFilter: 25 events per object, then one per 5 minutes.
const PER_OBJECT_BURST = 25;
const PER_OBJECT_QPS = 1 / 300;
const MAX_CORRELATED = 4096;
// Event names are DNS subdomains (≤ 253); leave room for ".<16 hex digits>".
const MAX_NAME_PREFIX = 253 - 17;

/**
 * Writes core/v1 Events about objects (what `kubectl describe guitar` lists), off the reconcile path,
 * in the manner of client-go's record.EventRecorder:
 * - record() never blocks or throws: events go to a bounded queue sent by one loop, rate-limited
 *   over all objects (qps/burst) so that a burst of reviews is not doubled by a burst of events;
 *   when the queue is full, events are dropped and counted;
 * - while reconciles wait (options.busy), events wait: on a small cluster every write counts,
 *   and a review matters more than the event that tells of it;
 * - an event identical to a recent one (same object, type, reason, message) is not created again:
 *   the existing one's count and lastTimestamp are patched, as client-go's correlator does;
 * - each object gets at most 25 events quickly, then one per 5 minutes (client-go's spam filter).
 */
export class EventRecorder {
  private readonly queue: Pending[] = [];
  private readonly maxQueued: number;
  private readonly now: Now;
  private readonly sendLimiter: BucketRateLimiter;
  private readonly perObject = new Map<string, BucketRateLimiter>();
  /** correlation key → the event already in the cluster and its count. */
  private readonly correlated = new Map<string, { name: string; count: number }>();
  private pumping: Promise<void> | undefined;
  /** True while the loop waits for a token it has reserved for the next queued event. */
  private reserved = false;
  private closed = false;
  private sequence = 0n;

  constructor(
    private readonly client: EventWriter,
    private readonly logger: Logger,
    private readonly metrics: Pick<Metrics, 'events'>,
    private readonly options: EventRecorderOptions,
  ) {
    this.maxQueued = options.maxQueued ?? 1000;
    this.now = options.now ?? Date.now;
    this.sendLimiter = new BucketRateLimiter(options.qps, options.burst, this.now);
  }

  record(obj: KubernetesObject, type: EventType, reason: string, message: string): void {
    const meta = obj.metadata;
    if (this.closed || !meta?.name || !meta.namespace) return;
    const objectKey = `${meta.namespace}/${meta.name}/${meta.uid ?? ''}`;
    if (!this.allowedFor(objectKey) || this.queue.length >= this.maxQueued) {
      this.metrics.events.inc({ result: 'dropped' });
      return;
    }
    const correlationKey = `${objectKey}\u0000${type}\u0000${reason}\u0000${message}`;
    const now = new Date(this.now());
    const existing = this.correlated.get(correlationKey);
    if (existing) {
      existing.count += 1;
      this.enqueue({
        namespace: meta.namespace,
        name: meta.name,
        countUp: { name: existing.name, count: existing.count, lastTimestamp: now },
        correlationKey,
      });
      return;
    }
    const event: CoreV1Event = {
      metadata: { name: this.eventName(meta.name), namespace: meta.namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.options.component, host: this.options.instance },
      reportingComponent: this.options.component,
      reportingInstance: this.options.instance,
    };
    this.remember(correlationKey, { name: event.metadata.name as string, count: 1 });
    this.enqueue({ namespace: meta.namespace, name: meta.name, create: event, correlationKey });
  }

  /**
   * For a graceful stop: sends what the rate limit allows within FLUSH_GRACE_MS (and timeoutMs),
   * drops the rest at once, counted and logged, rather than waiting out the timeout for them.
   */
  async flush(timeoutMs: number): Promise<void> {
    this.closed = true;
    // The event the loop holds a token for is sent; beyond it, what the limiter allows in the grace.
    const keep =
      (this.reserved ? 1 : 0) + this.sendLimiter.allowedWithin(Math.min(timeoutMs, FLUSH_GRACE_MS));
    if (this.queue.length > keep) {
      const dropped = this.queue.length - keep;
      this.queue.length = keep;
      this.metrics.events.inc({ result: 'dropped' }, dropped);
      this.logger.info(
        { dropped, qps: this.options.qps, burst: this.options.burst },
        `stopping: dropped ${dropped} events the rate limit would not send in time`,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.pumping ?? Promise.resolve(), timeout]);
    clearTimeout(timer);
    if (this.queue.length > 0) this.metrics.events.inc({ result: 'dropped' }, this.queue.length);
    this.queue.length = 0;
  }

  /** Events waiting to be sent. */
  pending(): number {
    return this.queue.length;
  }

  private allowedFor(objectKey: string): boolean {
    let limiter = this.perObject.get(objectKey);
    if (!limiter) {
      // Bounded memory: forgetting every object's budget at once is crude but cheap, and rare.
      if (this.perObject.size >= MAX_CORRELATED) this.perObject.clear();
      limiter = new BucketRateLimiter(PER_OBJECT_QPS, PER_OBJECT_BURST, this.now);
      this.perObject.set(objectKey, limiter);
    }
    const wait = limiter.when(objectKey);
    if (wait > 0) {
      // Give the token back: a dropped event must not push the next allowed one further away.
      limiter.refund();
      return false;
    }
    return true;
  }

  private remember(key: string, value: { name: string; count: number }): void {
    // A small LRU: the oldest correlation is forgotten first.
    if (this.correlated.size >= MAX_CORRELATED) {
      const oldest = this.correlated.keys().next().value;
      if (oldest !== undefined) this.correlated.delete(oldest);
    }
    this.correlated.set(key, value);
  }

  /** client-go names events "<object>.<unix nanoseconds in hex>"; long names are cut to fit. */
  private eventName(objectName: string): string {
    const prefix = objectName.slice(0, MAX_NAME_PREFIX).replace(/[^a-z0-9]+$/, '');
    this.sequence += 1n;
    const nanos = BigInt(this.now()) * 1_000_000n + (this.sequence % 1_000_000n);
    return `${prefix}.${nanos.toString(16)}`;
  }

  private enqueue(pending: Pending): void {
    this.queue.push(pending);
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  private async pump(): Promise<void> {
    // Start after the caller's synchronous work, so a burst is queued (or dropped) as a whole.
    await Promise.resolve();
    while (this.queue.length > 0) {
      while (!this.closed && this.options.busy?.())
        await new Promise((resolve) => setTimeout(resolve, BUSY_POLL_MS));
      const wait = this.sendLimiter.when('');
      if (wait > 0) {
        this.reserved = true;
        await new Promise((resolve) => setTimeout(resolve, wait));
        this.reserved = false;
      }
      // flush() may have dropped the queue while we waited.
      const next = this.queue.shift();
      if (!next) break;
      await this.send(next);
    }
  }

  private async send(pending: Pending): Promise<void> {
    const { namespace, name, create, countUp, correlationKey } = pending;
    try {
      if (create) {
        // The timestamps are Dates: JSON gives RFC 3339 with milliseconds (toISOString), as
        // client-node's serializer did; the apiserver keeps whole seconds.
        await this.client.create(namespace, create);
        this.metrics.events.inc({ result: 'created' });
      } else if (countUp) {
        await this.client.countUp(namespace, countUp.name, {
          count: countUp.count,
          lastTimestamp: countUp.lastTimestamp.toISOString(),
        });
        this.metrics.events.inc({ result: 'aggregated' });
      }
    } catch (err) {
      // An event that expired (events live an hour) or was never created is started afresh next time.
      this.correlated.delete(correlationKey);
      this.metrics.events.inc({ result: 'failed' });
      this.logger.warn(
        {
          status: apiStatus(err),
          err: apiMessage(err),
          namespace,
          name,
          event: create?.metadata?.name ?? countUp?.name,
        },
        `could not write event: ${apiMessage(err)}`,
      );
    }
  }
}
