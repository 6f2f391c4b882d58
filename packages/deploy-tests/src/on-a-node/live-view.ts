import { get, type IncomingMessage } from 'node:http';

interface ListAnswer {
  items: Array<{ name: string; namespace: string; review?: boolean }>;
}

/**
 * What the UI's live page (packages/ui/public/live.js) does, without a browser: holds the /events
 * stream, and on each `change` event, and each time the stream (re)opens, re-fetches the list it
 * shows. Reconnects after the `retry:` the server sent, as EventSource does. `names` is what the
 * page would show: if a change is lost (a stream dropped with nothing to catch up), it goes stale.
 */
export class LiveView {
  names = new Set<string>();
  /** Streams opened (the first, then one per reconnect). */
  opened = 0;
  /** The pods' answers to the stream, in order of opening: 200, or 503 while one is full. */
  readonly statuses: number[] = [];
  private response: IncomingMessage | undefined;
  private closed = false;
  private retryMs = 2000;
  private fetching: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly base: string,
    private readonly namespace: string,
  ) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.closed = true;
    this.response?.destroy();
  }

  private connect(): void {
    if (this.closed) return;
    const req = get(`${this.base}/events`, { headers: { Accept: 'text/event-stream' } }, (res) => {
      this.statuses.push(res.statusCode ?? 0);
      if (res.statusCode !== 200) {
        res.resume();
        res.on('end', () => this.reconnect());
        return;
      }
      this.response = res;
      this.opened++;
      void this.refresh();
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          this.event(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      });
      res.on('close', () => this.reconnect());
      res.on('error', () => {});
    });
    req.on('error', () => this.reconnect());
  }

  private reconnect(): void {
    if (this.closed) return;
    setTimeout(() => this.connect(), this.retryMs).unref();
  }

  private event(block: string): void {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    const retry = Number(fields.get('retry'));
    if (Number.isFinite(retry) && retry > 0) this.retryMs = retry;
    if (fields.get('event') === 'change') void this.refresh();
  }

  /** One fetch at a time; changes meanwhile cause exactly one more, as live.js does. */
  private async refresh(): Promise<void> {
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = (async () => {
      try {
        const res = await fetch(
          `${this.base}/api/guitars?namespace=${encodeURIComponent(this.namespace)}&perPage=500`,
          { headers: { Accept: 'application/json' } },
        );
        if (res.ok) this.names = new Set(((await res.json()) as ListAnswer).items.map((g) => g.name));
      } catch {
        // Between pods: the next event or reconnect fetches again.
      }
    })();
    await this.fetching;
    this.fetching = undefined;
    if (this.again) {
      this.again = false;
      await this.refresh();
    }
  }
}
