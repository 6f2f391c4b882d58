// Live updates for the guitar list. Without JavaScript the page is complete; with it, the list
// follows the cluster: the server pushes a small `change` event (Server-Sent Events) for every
// guitar added, reviewed or deleted, and this script re-fetches the part of the page it shows
// (already rendered and escaped by the server), so filters and pages stay right.
(() => {
  const section = document.getElementById('guitars');
  const status = document.getElementById('live-status');
  if (!section || !('EventSource' in window) || !('fetch' in window)) return;

  const DEBOUNCE_MS = 100;
  const AGE_REFRESH_MS = 30_000;
  const MAX_RETRY_MS = 30_000;
  let timer;
  let loading = false;
  let again = false;
  let retryMs = 1000;
  let source;

  const setStatus = (online) => {
    if (!status) return;
    status.hidden = false;
    status.textContent = online ? 'Live' : 'Reconnecting…';
    status.classList.toggle('offline', !online);
  };

  // One request at a time; changes arriving meanwhile cause exactly one more.
  const refresh = async () => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const response = await fetch(section.dataset.fragment, {
        headers: { Accept: 'text/html' },
        cache: 'no-store',
        credentials: 'same-origin',
      });
      if (response.ok) section.innerHTML = await response.text();
    } catch {
      // Offline for a moment: the next event or reconnect refreshes again.
    } finally {
      loading = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  };

  const connect = () => {
    source = new EventSource('/events');
    source.addEventListener('change', schedule);
    source.addEventListener('open', () => {
      // Changes made between the page's render and this stream's start, or while disconnected,
      // sent no event here: catch up once.
      schedule();
      retryMs = 1000;
      setStatus(true);
    });
    source.addEventListener('error', () => {
      setStatus(false);
      // CLOSED: the browser gave up (e.g. a 503); retry ourselves, backing off.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    });
  };

  connect();
  // Ages ("5s", "3m") move on even when nothing changes.
  setInterval(() => {
    if (document.visibilityState === 'visible') schedule();
  }, AGE_REFRESH_MS);
  window.addEventListener('pagehide', () => source?.close());
  window.addEventListener('pageshow', (event) => {
    // Back from the back/forward cache: the stream was closed on the way out.
    if (event.persisted) {
      connect();
      schedule();
    }
  });
})();
