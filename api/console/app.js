// The console: session, navigation bar, and a small router over the History API (deep links: /console/taches/…).
// Pages are modules under pages/, loaded on first use. Nothing here ever puts a NIR in the URL or the title.

import { api, events, ApiError } from './lib/api.js';
import { h, icon, clear, replace } from './lib/dom.js';
import { formatNumber } from './lib/format.js';
import { canResolve, store, setMotifs } from './lib/store.js';
import { setLabels } from './lib/labels.js';
import { avatar, errorState, loading, roleLabel } from './lib/ui.js';

const APP_NAME = 'Rejets TP';
const main = document.getElementById('main');

const ROUTES = [
  { pattern: /^\/console\/?$/, redirect: '/console/taches' },
  { pattern: /^\/console\/connexion\/?$/, page: 'login', public: true },
  { pattern: /^\/console\/taches\/?$/, page: 'inbox', nav: 'tasks' },
  { pattern: /^\/console\/taches\/([^/]+)\/?$/, page: 'task', nav: 'tasks', params: ['id'] },
  { pattern: /^\/console\/factures\/?$/, page: 'invoices', nav: 'invoices' },
  { pattern: /^\/console\/factures\/([^/]+)\/?$/, page: 'invoice', nav: 'invoices', params: ['id'] },
  { pattern: /^\/console\/emails\/?$/, page: 'outbox', nav: 'outbox' },
  { pattern: /^\/console\/emails\/([^/]+)\/?$/, page: 'email', nav: 'outbox', params: ['id'] },
  { pattern: /^\/console\/lots\/?$/, page: 'batches', nav: 'batches' },
  { pattern: /^\/console\/lots\/([^/]+)\/?$/, page: 'batch', nav: 'batches', params: ['id'] },
  // Reached from the inbox (« Importer une Trame ») and a batch's page: part of the managers' tasks.
  { pattern: /^\/console\/trame\/?$/, page: 'trame', nav: 'tasks' },
  { pattern: /^\/console\/acces\/?$/, page: 'access', nav: 'access' },
  { pattern: /^\/console\/tableau-de-bord\/?$/, page: 'dashboard', nav: 'dashboard' },
  { pattern: /^\/console\/rejeu\/?$/, page: 'backtest', nav: 'backtest' },
  { pattern: /^\/console\/webhooks\/?$/, page: 'webhooks', nav: 'webhooks' },
];

/** The audit log (GET /api/audit): admins and auditors. */
const canReadAudit = () => store.session?.role === 'admin' || store.session?.role === 'auditor';

let current = null; // { controller, cleanups }
let firstRender = true;

function match(pathname) {
  for (const route of ROUTES) {
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    const params = {};
    (route.params ?? []).forEach((name, i) => { params[name] = decodeURIComponent(m[i + 1]); });
    return { route, params };
  }
  return null;
}

export function navigate(path, { replace = false, state = null } = {}) {
  if (replace) history.replaceState(state, '', path);
  else history.pushState(state, '', path);
  render();
}

function setTitle(title) {
  document.title = title ? `${title} · ${APP_NAME}` : `Console des gestionnaires · ${APP_NAME}`;
}

async function render() {
  if (current) {
    current.controller.abort();
    for (const fn of current.cleanups) {
      try { fn(); } catch { /* a page's cleanup never blocks navigation */ }
    }
  }
  const controller = new AbortController();
  const cleanups = [];
  current = { controller, cleanups };

  const url = new URL(location.href);
  const from = url.searchParams.get('next');
  if (from && from.startsWith('/temporal/') && !store.session) sessionStorage.setItem('console.after-login', from);
  const found = match(url.pathname);
  if (!found) return navigate('/console/taches', { replace: true });
  const { route, params } = found;
  if (route.redirect) return navigate(route.redirect, { replace: true });

  if (!route.public && !store.session) {
    if (!sessionStorage.getItem('console.after-login')?.startsWith('/temporal/')) {
      sessionStorage.setItem('console.after-login', url.pathname + url.search);
    }
    return navigate('/console/connexion', { replace: true });
  }
  if (route.page === 'login' && store.session) return navigate('/console/taches', { replace: true });

  renderChrome(route, url);
  clear(main);
  main.append(loading());
  const ctx = {
    main, params, query: url.searchParams, state: history.state, signal: controller.signal,
    onCleanup: (fn) => cleanups.push(fn), setTitle, navigate, refresh: render,
    afterLogin: () => start(),
  };
  try {
    const module = await import(`./pages/${route.page}.js`);
    if (controller.signal.aborted) return;
    await module.default(ctx);
  } catch (error) {
    if (controller.signal.aborted || error?.name === 'AbortError') return;
    if (error instanceof ApiError && error.status === 401) return; // the login page is on its way
    console.error(error);
    clear(main);
    main.append(errorState(error));
    setTitle(error?.status === 403 ? 'Accès refusé' : 'Erreur');
  }
  if (controller.signal.aborted) return;
  if (!firstRender) {
    const heading = document.getElementById('page-title');
    (heading ?? main).focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
  firstRender = false;
}

// ---- Top bar ----

const counts = { at: 0, open: null, mine: null, overdue: null };

async function refreshCounts(force = false) {
  if (!store.session || (!force && Date.now() - counts.at < 15000)) return;
  counts.at = Date.now();
  try {
    const [open, mine] = await Promise.all([
      api('/api/tasks', { query: { status: 'open', limit: 1 } }),
      canResolve() ? api('/api/tasks', { query: { status: 'open', assignee: meParam(), limit: 1 } }) : { total: null },
    ]);
    counts.open = open.total;
    counts.overdue = open.overdueCount;
    counts.mine = mine.total;
  } catch {
    counts.open = counts.mine = counts.overdue = null;
  }
  updateNavCounts();
}

/** The `assignee` value for « moi ». */
export function meParam() {
  return 'me';
}

/** Entries whose label goes first when the bar is too narrow for every label (their icon stays, the name in its title). */
const SECONDARY_NAV = new Set(['dashboard', 'backtest', 'access', 'webhooks']);

function navItem(key, href, label, iconName, activeKey, countKey) {
  const active = key === activeKey;
  return h('li', null, h('a', {
    href, class: ['nav-link', active && 'active', SECONDARY_NAV.has(key) && 'nav-secondary'], 'aria-current': active ? 'page' : null,
    dataset: { nav: key }, title: label,
  },
    icon(iconName), h('span', { class: 'nav-label' }, label),
    countKey ? h('span', { class: 'nav-count', dataset: { count: countKey }, hidden: true }) : null));
}

function renderChrome(route, url) {
  const topbar = document.getElementById('topbar');
  document.body.classList.toggle('is-public', Boolean(route.public));
  if (route.public || !store.session) {
    topbar.hidden = true;
    return;
  }
  topbar.hidden = false;
  let active = route.nav;
  if (route.page === 'inbox' && url.searchParams.get('assignee') === 'moi' && canResolve()) active = 'mine';
  const list = document.getElementById('nav-list');
  replace(list, 
    navItem('tasks', '/console/taches', 'Tâches', 'inbox', active, 'open'),
    // Only those who hold tasks have « Mes tâches » (an auditor reads them).
    canResolve() ? navItem('mine', '/console/taches?assignee=moi', 'Mes tâches', 'user', active, 'mine') : null,
    navItem('invoices', '/console/factures', 'Factures', 'file', active),
    store.features.outbox ? navItem('outbox', '/console/emails', 'E-mails', 'mail', active) : null,
    store.features.batches ? navItem('batches', '/console/lots', 'Lots', 'layers', active) : null,
    ['manager', 'auditor', 'admin'].includes(store.session.role) ? navItem('dashboard', '/console/tableau-de-bord', 'Tableau de bord', 'chart', active) : null,
    ['manager', 'auditor', 'admin'].includes(store.session.role) ? navItem('backtest', '/console/rejeu', 'Rejeu', 'refresh', active) : null,
    canReadAudit() ? navItem('access', '/console/acces', 'Accès', 'lock', active) : null,
    store.session.role === 'admin' ? navItem('webhooks', '/console/webhooks', 'Webhooks', 'send', active) : null,
  );
  const s = store.session;
  replace(document.getElementById('userbox'), 
    h('span', { class: 'user' }, avatar(s.name, { me: true }),
      h('span', { class: 'user-text' }, h('span', { class: 'user-name' }, s.name), h('span', { class: 'user-role' }, roleLabel(s.role)))),
    h('button', { type: 'button', class: 'btn btn-ghost-inverse', onclick: logout }, icon('logout'), h('span', null, 'Se déconnecter')),
  );
  updateNavCounts();
  refreshCounts();
}

/**
 * The bar on a laptop or desktop screen: every label when they fit; else the secondary entries' icons alone, from the
 * last one on, as many as needed, then every entry's (names kept for screen readers and in the titles). Phones have
 * their tab bar (styles.css).
 */
function fitNav() {
  const bar = document.querySelector('.topbar-inner');
  if (!bar) return;
  bar.classList.remove('nav-compact-all');
  const secondary = [...bar.querySelectorAll('.nav-secondary')].reverse();
  for (const link of secondary) link.classList.remove('nav-icon-only');
  if (window.innerWidth <= 720) return;
  const overflows = () => bar.scrollWidth > bar.clientWidth;
  for (const link of secondary) {
    if (!overflows()) return;
    link.classList.add('nav-icon-only');
  }
  if (overflows()) bar.classList.add('nav-compact-all');
}
window.addEventListener('resize', fitNav);

function updateNavCounts() {
  for (const el of document.querySelectorAll('[data-count]')) {
    const value = counts[el.dataset.count];
    el.hidden = value === null || value === undefined;
    const what = el.dataset.count === 'open' ? ' tâches ouvertes' : ' tâches qui vous sont assignées';
    replace(el, value === null || value === undefined ? '' : formatNumber(value), h('span', { class: 'visually-hidden' }, what));
    el.classList.toggle('nav-count-alert', el.dataset.count === 'open' && counts.overdue > 0);
  }
  fitNav();
}

/** Redraws the navigation bar for the current URL (after a page changed its own query string). */
export function refreshChrome() {
  const url = new URL(location.href);
  const found = match(url.pathname);
  if (found && store.session) renderChrome(found.route, url);
}

export function invalidateCounts() {
  counts.at = 0;
  refreshCounts(true);
}

async function logout() {
  try {
    await api('/api/session', { method: 'DELETE', quiet401: true });
  } catch { /* the session is gone either way */ }
  store.session = null;
  navigate('/console/connexion', { replace: true });
}

// ---- Start ----

async function probe(path) {
  try {
    await api(path, { quiet401: true });
    return true;
  } catch (error) {
    // A route that does not exist yet (code route_not_found). A missing record on a route that exists is not that.
    if (error.status === 404) return error.body?.code !== 'route_not_found';
    return error.status !== 403 && error.status !== 501;
  }
}

export async function start() {
  try {
    store.session = await api('/api/session', { quiet401: true });
  } catch (error) {
    store.session = null;
    if (error.status !== 401) {
      replace(main, errorState(error));
      return;
    }
  }
  if (store.session) {
    let motifs, labels;
    try {
      // The labels carry the NIR's pattern, without which no NIR could be masked: the console does not start without them.
      [motifs, labels] = await Promise.all([api('/api/motifs'), api('/api/labels')]);
    } catch (error) {
      replace(main, errorState(error));
      return;
    }
    setMotifs(motifs);
    setLabels(labels);
    const [outbox, batches] = await Promise.all([probe('/api/outbox?limit=1'), probe('/api/batches/sonde-console')]);
    store.features.outbox = outbox;
    store.features.batches = batches;
    counts.at = 0;
  }
  const next = sessionStorage.getItem('console.after-login');
  if (store.session && location.pathname.startsWith('/console/connexion')) {
    sessionStorage.removeItem('console.after-login');
    // Sent here by the Temporal UI (/temporal/…, served from this origin): back there once logged in.
    if (next && next.startsWith('/temporal/')) return location.assign(next);
    return navigate(next && !next.startsWith('/console/connexion') ? next : '/console/taches', { replace: true });
  }
  return render();
}

events.addEventListener('unauthorized', () => {
  if (!store.session && location.pathname.startsWith('/console/connexion')) return;
  store.session = null;
  if (!location.pathname.startsWith('/console/connexion')) {
    sessionStorage.setItem('console.after-login', location.pathname + location.search);
  }
  navigate('/console/connexion', { replace: true });
});

document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest?.('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/console')) return;
  event.preventDefault();
  if (url.pathname + url.search === location.pathname + location.search && !a.dataset.force) return;
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => render());

// `/` focuses the page's search field (as in most task lists), unless one is typing already.
document.addEventListener('keydown', (event) => {
  if (event.key !== '/' || event.metaKey || event.ctrlKey || event.altKey) return;
  const t = event.target;
  if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  const search = document.querySelector('[data-search]');
  if (search) {
    event.preventDefault();
    search.focus();
    search.select?.();
  }
});

start();
