import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import type {
  ListerWatcher,
  ListOptions,
  ListPage,
  WatchEventHandler,
  WatchOptions,
} from './lister-watcher.js';
import { Reflector, type ReflectorSink } from './reflector.js';

function guitar(name: string, resourceVersion: string): KubernetesObject {
  return { metadata: { namespace: 'shop', name, resourceVersion } };
}

/** A watch the test drives: send events, end it. */
interface OpenWatch {
  options: WatchOptions;
  send: WatchEventHandler;
  done: (err: unknown) => void;
  aborted: boolean;
}

/**
 * A ListerWatcher the test scripts: `pages` answer the lists in turn (an Error fails one), and
 * `accept` decides each watch: true to open it, an Error to refuse it.
 */
function scripted(pages: Array<ListPage | Error>, accept: () => true | Error = () => true) {
  const lists: ListOptions[] = [];
  const watches: OpenWatch[] = [];
  const lw: ListerWatcher = {
    list: async (options) => {
      lists.push(options);
      const page = pages.shift();
      if (!page) throw new Error('no more pages scripted');
      if (page instanceof Error) throw page;
      return page;
    },
    watch: async (options, send, done) => {
      const controller = new AbortController();
      const verdict = accept();
      if (verdict instanceof Error) {
        done(verdict);
        return controller;
      }
      const watch: OpenWatch = { options, send, done, aborted: false };
      controller.signal.addEventListener('abort', () => {
        watch.aborted = true;
      });
      watches.push(watch);
      return controller;
    },
  };
  return { lw, lists, watches };
}

function recordingSink() {
  const log: string[] = [];
  const sink: ReflectorSink = {
    replace: (items) => log.push(`replace ${items.map((o) => o.metadata?.name).join(',')}`),
    apply: (type, obj) => log.push(`${type} ${obj.metadata?.name}`),
    watching: (watching) => log.push(`watching ${watching}`),
    error: (err, retryInMs) => log.push(`error ${(err as Error).message} ${retryInMs}`),
  };
  return { sink, log };
}

const page = (items: KubernetesObject[], resourceVersion: string, next?: string): ListPage => ({
  items,
  metadata: { resourceVersion, ...(next ? { continue: next } : {}) },
});
const fast = { minBackoffMs: 1, maxBackoffMs: 4 };

describe('Reflector', () => {
  it('lists page by page, then watches from the list with bookmarks and a 5 to 10 min timeout', async () => {
    const { lw, lists, watches } = scripted([
      page([guitar('a', '1'), guitar('b', '2')], '10', 'token-1'),
      page([guitar('c', '3')], '10'),
    ]);
    const { sink, log } = recordingSink();
    const reflector = new Reflector(lw, sink, { pageSize: 2 });
    reflector.run();
    await vi.waitFor(() => expect(watches).toHaveLength(1));
    expect(lists).toEqual([{ limit: 2 }, { limit: 2, continue: 'token-1' }]);
    const options = watches[0]?.options;
    expect(options?.resourceVersion).toBe('10');
    expect(options?.allowWatchBookmarks).toBe(true);
    expect(options?.timeoutSeconds).toBeGreaterThanOrEqual(300);
    expect(options?.timeoutSeconds).toBeLessThan(600);
    await vi.waitFor(() => expect(log).toEqual(['replace a,b,c', 'watching true']));
    reflector.stop();
    expect(watches[0]?.aborted).toBe(true);
  });

  it('resumes from the last version seen after an end or an idle timeout, without listing', async () => {
    const { lw, lists, watches } = scripted([page([], '10')]);
    const { sink, log } = recordingSink();
    const reflector = new Reflector(lw, sink, fast);
    reflector.run();
    await vi.waitFor(() => expect(watches).toHaveLength(1));
    watches[0]?.send('ADDED', guitar('a', '11'));
    watches[0]?.send('BOOKMARK', { metadata: { resourceVersion: '15' } });
    watches[0]?.done(null);
    await vi.waitFor(() => expect(watches).toHaveLength(2));
    expect(watches[1]?.options.resourceVersion).toBe('15');
    watches[1]?.send('MODIFIED', guitar('a', '16'));
    const idle = new Error('nothing received');
    idle.name = 'TimeoutError';
    watches[1]?.done(idle);
    await vi.waitFor(() => expect(watches).toHaveLength(3));
    expect(watches[2]?.options.resourceVersion).toBe('16');
    expect(lists).toHaveLength(1);
    expect(reflector.lastSyncResourceVersion()).toBe('16');
    // Still in sync throughout: no failure, no change of state to report.
    await vi.waitFor(() =>
      expect(log).toEqual([
        'replace ',
        'watching true',
        'ADDED a',
        'watching true',
        'MODIFIED a',
        'watching true',
      ]),
    );
    reflector.stop();
  });

  it('lists again at once on 410 Gone, in a watch event or an answer, reporting no failure', async () => {
    const gone = Object.assign(new Error('HTTP 410'), { code: 410 });
    let watchNumber = 0;
    const { lw, lists, watches } = scripted(
      [page([guitar('a', '1')], '10'), page([guitar('b', '12')], '20'), page([], '30')],
      () => (++watchNumber === 3 ? gone : true),
    );
    const { sink, log } = recordingSink();
    const reflector = new Reflector(lw, sink, fast);
    reflector.run();
    await vi.waitFor(() => expect(watches).toHaveLength(1));
    watches[0]?.send('ADDED', guitar('c', '11'));
    watches[0]?.send('ERROR', {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version',
    });
    await vi.waitFor(() => expect(watches).toHaveLength(2));
    expect(watches[0]?.aborted).toBe(true);
    expect(watches[1]?.options.resourceVersion).toBe('20');
    watches[1]?.send('ADDED', guitar('d', '21'));
    watches[1]?.done(null);
    // The third watch is refused with 410 itself.
    await vi.waitFor(() => expect(lists).toHaveLength(3));
    await vi.waitFor(() => expect(watches).toHaveLength(3));
    expect(watches[2]?.options.resourceVersion).toBe('30');
    expect(log.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(log.filter((l) => l.startsWith('replace'))).toEqual(['replace a', 'replace b', 'replace ']);
    reflector.stop();
  });

  it('backs off, not loops, when the version just listed is gone already', async () => {
    const { lw, watches } = scripted([page([], '10'), page([], '11')]);
    const { sink, log } = recordingSink();
    const reflector = new Reflector(lw, sink, fast);
    reflector.run();
    await vi.waitFor(() => expect(watches).toHaveLength(1));
    watches[0]?.send('ERROR', { code: 410, message: 'too old resource version' });
    await vi.waitFor(() => expect(watches).toHaveLength(2));
    expect(log.filter((l) => l.startsWith('error'))).toHaveLength(1);
    expect(log[2]).toMatch(/^watching false$/);
    expect(log[3]).toMatch(/^error too old resource version [1-2]$/);
    reflector.stop();
  });

  it('treats a watch that ends at once without an event as a failure', async () => {
    const { lw, watches } = scripted([page([], '10')]);
    const { sink, log } = recordingSink();
    const reflector = new Reflector(lw, sink, fast);
    reflector.run();
    await vi.waitFor(() => expect(watches).toHaveLength(1));
    watches[0]?.done(null);
    await vi.waitFor(() => expect(watches).toHaveLength(2));
    expect(log.find((l) => l.startsWith('error'))).toMatch(
      /^error the watch ended after \d+ ms without an event/,
    );
    expect(watches[1]?.options.resourceVersion).toBe('10');
    reflector.stop();
  });

  it("waits what a 429 or 503 answer's Retry-After says, at most the largest backoff", async () => {
    const busy = Object.assign(new Error('storage is (re)initializing'), {
      code: 429,
      headers: { 'retry-after': '1' },
    });
    const { lw, lists } = scripted([busy, page([], '10')]);
    const { sink, log } = recordingSink();
    const reflector = new Reflector(lw, sink, { minBackoffMs: 1, maxBackoffMs: 300 });
    reflector.run();
    await vi.waitFor(() => expect(lists).toHaveLength(2));
    expect(log[0]).toBe('error storage is (re)initializing 300');
    reflector.stop();
  });

  it('stops during a backoff: no further try', async () => {
    vi.useFakeTimers();
    try {
      const { lw, lists } = scripted([new Error('refused')]);
      const { sink, log } = recordingSink();
      const reflector = new Reflector(lw, sink, { minBackoffMs: 50, maxBackoffMs: 100 });
      reflector.run();
      await vi.advanceTimersByTimeAsync(0);
      expect(log).toEqual([expect.stringMatching(/^error refused (5\d|[6-9]\d|100)$/)]);
      reflector.stop();
      // Past the backoff: a try it had scheduled would have happened by now.
      await vi.advanceTimersByTimeAsync(1000);
      expect(lists).toHaveLength(1);
      expect(log).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
