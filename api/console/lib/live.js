// Live task changes (GET /api/events: server-sent events, same origin, session cookie). One EventSource for the whole
// console, opened with the first subscription and closed a little after the last (navigating from a page to another
// keeps it). `subscribe(fn)` returns the function that unsubscribes; `fn` gets `{ taskId, archiveKey, kind, actor, at }`
// for each task created, claimed, released, escalated or resolved, or `{ kind: 'resync' }` when changes may have been
// missed (the stream came back after a break): then re-read everything shown.

const listeners = new Set();
const CLOSE_AFTER_MS = 5000;
const MAX_RETRY_MS = 30000;

let source = null;
let retryTimer = null;
let closeTimer = null;
let retryMs = 1000;
let openedOnce = false;

function emit(change) {
  for (const fn of [...listeners]) {
    try {
      fn(change);
    } catch (error) {
      console.error(error);
    }
  }
}

function connect() {
  clearTimeout(closeTimer);
  closeTimer = null;
  if (source || retryTimer || typeof EventSource === 'undefined') return;
  const es = new EventSource('/api/events');
  source = es;
  es.addEventListener('open', () => {
    retryMs = 1000;
    if (openedOnce) emit({ kind: 'resync' });
    openedOnce = true;
  });
  es.addEventListener('task', (event) => {
    let change = null;
    try {
      change = JSON.parse(event.data);
    } catch { /* not one of ours */ }
    if (change?.taskId) emit(change);
  });
  es.addEventListener('resync', () => emit({ kind: 'resync' }));
  es.addEventListener('error', () => {
    // CONNECTING: the browser reconnects by itself. CLOSED: refused (401, 503…): tried again later, less and less often.
    if (es.readyState !== EventSource.CLOSED) return;
    if (source === es) source = null;
    if (!listeners.size) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (listeners.size) connect();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  });
}

function disconnect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  source?.close();
  source = null;
  openedOnce = false;
}

export function unsubscribe(fn) {
  listeners.delete(fn);
  if (listeners.size || closeTimer) return;
  closeTimer = setTimeout(() => {
    closeTimer = null;
    if (!listeners.size) disconnect();
  }, CLOSE_AFTER_MS);
}

export function subscribe(fn) {
  listeners.add(fn);
  connect();
  return () => unsubscribe(fn);
}
