export type Admission<T> =
  | { admitted: true /** Let go to make room: the caller closes it. */; evicted?: T }
  | { admitted: false /** Which limit refused it. */; limit: 'client' | 'total' };

/**
 * Places (connections, streams) shared among clients: each client holds at most its own limit,
 * all together at most `max`. When all are taken, a client holding fewer than the busiest one
 * takes the busiest's newest place, so clients from many addresses can fill it but never lock
 * out the rest: the busiest are refused, never everyone.
 */
export class FairShare<T> {
  private readonly held = new Map<string, Set<T>>();
  private total = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.total;
  }

  admit(key: string, item: T, perClient: number): Admission<T> {
    const mine = this.held.get(key)?.size ?? 0;
    if (mine >= perClient) return { admitted: false, limit: 'client' };
    let evicted: T | undefined;
    if (this.total >= this.max) {
      const [busiestKey, busiest] = this.busiest();
      // Only from a client still busier than this one once it has this place.
      if (busiestKey === undefined || busiest.size <= mine + 1) return { admitted: false, limit: 'total' };
      evicted = [...busiest].at(-1) as T;
      this.release(busiestKey, evicted);
    }
    const set = this.held.get(key) ?? new Set<T>();
    set.add(item);
    this.held.set(key, set);
    this.total++;
    return evicted === undefined ? { admitted: true } : { admitted: true, evicted };
  }

  /** Gives the place back; a no-op for an item already let go. */
  release(key: string, item: T): void {
    const set = this.held.get(key);
    if (!set?.delete(item)) return;
    this.total--;
    if (set.size === 0) this.held.delete(key);
  }

  /** Scanned only when full: the clients, at most `max` of them, are fewer than the places. */
  private busiest(): [string | undefined, Set<T>] {
    let found: [string | undefined, Set<T>] = [undefined, new Set()];
    for (const [key, set] of this.held) if (set.size > found[1].size) found = [key, set];
    return found;
  }
}
