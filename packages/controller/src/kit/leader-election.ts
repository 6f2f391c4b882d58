import {
  apiMessage,
  apiStatus,
  type ForbiddenReporter,
  type Lease,
  type LeaseClient,
  type LeaseSpec,
  type Logger,
} from '@guitars/shared';
import type { Now } from './rate-limiter.js';

/** How the elector reaches the apiserver: kube.leases. */
export type LeaseStore = Pick<LeaseClient, 'get' | 'create' | 'update'>;
export type { Lease, LeaseSpec };

/**
 * A MicroTime as the apiserver writes it (Go's RFC3339Micro, 2006-01-02T15:04:05.000000Z07:00):
 * a Date's JSON has 3 fractional digits, which that layout does not accept.
 */
function microTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, -1)}000Z`;
}

export interface LeaderElectionOptions {
  /** The Lease's namespace and name. */
  namespace: string;
  name: string;
  /** Who we are in holderIdentity: unique per replica (the pod name). */
  identity: string;
  /** How long a lease holds without renewal; a standby waits this long after the last renewal it saw. */
  leaseDurationMs: number;
  /** A leader that has not renewed for this long stops leading (< leaseDurationMs). */
  renewDeadlineMs: number;
  /** Time between tries to acquire or renew. */
  retryPeriodMs: number;
  now?: Now;
  /**
   * Explains a 403 (who we are, what was refused, the fix) in place of the elector's own warning,
   * and hears when the Lease can be read and written again.
   */
  forbidden?: Pick<ForbiddenReporter, 'report' | 'clear'>;
}

/** The call a refusal of the elector's is filed under (ForbiddenReporter). */
export const LEADER_ELECTION_CALL = 'leader election';

export interface LeaderCallbacks {
  onStartedLeading(): void;
  /** Called when leadership is lost or released; the replica must stop writing at once. */
  onStoppedLeading(): void;
}

/**
 * Leader election on a coordination.k8s.io Lease, with client-go's semantics:
 * - the Lease's resourceVersion is the optimistic lock: every acquire or renew is a replace
 *   that fails with 409 if another replica wrote in between;
 * - a lease held by another is taken only when the local clock has seen no change to it for
 *   leaseDurationSeconds (local observation time, not renewTime, so clock skew between
 *   replicas does not matter);
 * - a leader that cannot renew within renewDeadline stops leading before its lease can expire
 *   for others; stop() releases the lease (holder cleared) so a standby takes over at once.
 * Unlike client-go's default, losing the lease does not exit the process: the replica goes back
 * to standby, keeping its cache warm, and campaigns again.
 */
export class LeaderElector {
  private readonly now: Now;
  private leading = false;
  private stopped = false;
  private observed: { resourceVersion: string; spec: LeaseSpec } | undefined;
  private observedAt = 0;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly leases: LeaseStore,
    private readonly logger: Logger,
    private readonly options: LeaderElectionOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns, leads, and campaigns again after a loss, until stop(). */
  run(callbacks: LeaderCallbacks): void {
    this.loop ??= this.campaign(callbacks);
  }

  /**
   * Stops campaigning. A leader first runs `beforeRelease` (finish the work done under the lease),
   * then releases the lease so a standby takes over at once.
   */
  async stop(beforeRelease?: () => Promise<void>): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    if (this.leading) {
      await beforeRelease?.();
      this.leading = false;
      await this.release();
    }
  }

  private async campaign(callbacks: LeaderCallbacks): Promise<void> {
    const { identity, namespace, name } = this.options;
    while (!this.stopped) {
      const renewed = await this.tryAcquireOrRenew();
      if (this.stopped) break;
      if (renewed) {
        this.lastRenew = this.now();
        if (!this.leading) {
          this.leading = true;
          this.logger.info({ identity, lease: `${namespace}/${name}` }, 'became leader');
          callbacks.onStartedLeading();
        }
      } else if (this.leading && this.now() - this.lastRenew >= this.options.renewDeadlineMs) {
        this.leading = false;
        this.logger.warn(
          { identity, lease: `${namespace}/${name}` },
          'lost leadership: could not renew the lease in time; stopping work and campaigning again',
        );
        callbacks.onStoppedLeading();
      }
      // client-go jitters the retry period by up to 20% so standbys do not try in lockstep.
      await this.sleep(this.options.retryPeriodMs * (this.leading ? 1 : 1 + Math.random() * 0.2));
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { identity } = this.options;
    const now = this.now();
    try {
      const lease = await this.withDeadline(this.read());
      const spec = lease.spec ?? {};
      const resourceVersion = lease.metadata?.resourceVersion ?? '';
      if (this.observed?.resourceVersion !== resourceVersion) {
        this.observed = { resourceVersion, spec };
        this.observedAt = now;
      }
      const holder = spec.holderIdentity ?? '';
      const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
      if (holder !== '' && holder !== identity && this.observedAt + durationMs > now) {
        // A standby that may read the Lease is as it should be.
        this.allowed();
        return false;
      }
      const mine = holder === identity;
      const body = this.lease(resourceVersion, {
        ...this.spec(now),
        // Kept as the apiserver wrote it (already RFC3339Micro): no round trip through a Date,
        // which would drop the microseconds another writer (client-go) may have put there.
        acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine || holder === '' ? 0 : 1),
      });
      const updated = await this.withDeadline(this.replace(body));
      this.observe(updated, now);
      this.allowed();
      return true;
    } catch (err) {
      const status = apiStatus(err);
      if (status === 404) return this.create(now);
      // 409: another replica wrote first; it is the leader now (or renewed). Not worth a warning.
      if (status !== 409 && !this.refused(err)) {
        this.logger.warn({ status, err: apiMessage(err) }, `leader election: ${apiMessage(err)}`);
      }
      return false;
    }
  }

  private async create(now: number): Promise<boolean> {
    const { namespace } = this.options;
    try {
      const body = this.lease(undefined, {
        ...this.spec(now),
        acquireTime: microTime(now),
        leaseTransitions: 0,
      });
      const created = await this.withDeadline(this.leases.create(namespace, body));
      this.observe(created, now);
      this.allowed();
      return true;
    } catch (err) {
      if (apiStatus(err) !== 409 && !this.refused(err)) {
        this.logger.warn(
          { status: apiStatus(err), err: apiMessage(err) },
          `leader election: ${apiMessage(err)}`,
        );
      }
      return false;
    }
  }

  /** Clears the holder, as client-go's ReleaseOnCancel does, so a standby need not wait for expiry. */
  private async release(): Promise<void> {
    const { namespace, name } = this.options;
    try {
      const lease = await this.withDeadline(this.read());
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      const now = microTime(this.now());
      // No holderIdentity: the replace clears it.
      const body = this.lease(lease.metadata?.resourceVersion, {
        leaseDurationSeconds: 1,
        renewTime: now,
        acquireTime: now,
        leaseTransitions: lease.spec.leaseTransitions ?? 0,
      });
      await this.withDeadline(this.replace(body));
      this.logger.info(
        { identity: this.options.identity, lease: `${namespace}/${name}` },
        'released the lease',
      );
    } catch (err) {
      this.logger.warn(
        { status: apiStatus(err), err: apiMessage(err) },
        `could not release the lease: ${apiMessage(err)}`,
      );
    }
  }

  /** True when `err` was a 403, explained by the reporter. */
  private refused(err: unknown): boolean {
    return this.options.forbidden?.report(LEADER_ELECTION_CALL, err) ?? false;
  }

  private allowed(): void {
    this.options.forbidden?.clear(LEADER_ELECTION_CALL);
  }

  /** The spec of a lease held by this replica, renewed at `now`. */
  private spec(now: number): LeaseSpec {
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.options.leaseDurationMs / 1000)),
      renewTime: microTime(now),
    };
  }

  /** The whole Lease to create or replace; a replace carries resourceVersion as its lock. */
  private lease(resourceVersion: string | undefined, spec: LeaseSpec): Lease {
    const { namespace, name } = this.options;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace, resourceVersion },
      spec,
    };
  }

  private read(): Promise<Lease> {
    const { namespace, name } = this.options;
    return this.leases.get(namespace, name);
  }

  private replace(body: Lease): Promise<Lease> {
    const { namespace, name } = this.options;
    return this.leases.update(namespace, name, body);
  }

  private observe(lease: Lease, now: number): void {
    this.observed = { resourceVersion: lease.metadata?.resourceVersion ?? '', spec: lease.spec ?? {} };
    this.observedAt = now;
  }

  /** An API call that takes longer than the renew deadline counts as failed (client-go's context timeout). */
  private withDeadline<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('leader election call timed out')),
        this.options.renewDeadlineMs,
      );
    });
    return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => resolve();
      this.timer = setTimeout(resolve, ms);
    });
  }
}
