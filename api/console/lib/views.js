// Views of the inbox saved by name (filters and sort, as the inbox's query string), in this browser's localStorage,
// one list per user. A NIR never gets here: the inbox keeps it out of its query string.

import { store } from './store.js';

const key = () => `console.inbox.views.${store.session?.keyId ?? 'anonymous'}`;

/** `[{ name, query }]`, by name. */
export function savedViews() {
  try {
    const views = JSON.parse(localStorage.getItem(key()) ?? '[]');
    return Array.isArray(views) ? views.filter((v) => v && typeof v.name === 'string' && typeof v.query === 'string') : [];
  } catch {
    return [];
  }
}

function write(views) {
  const sorted = [...views].sort((a, b) => a.name.localeCompare(b.name, 'fr'));
  localStorage.setItem(key(), JSON.stringify(sorted));
  return sorted;
}

/** Saves (or replaces) the view `name`: `query` is the inbox's query string without its page. */
export function saveView(name, query) {
  return write([...savedViews().filter((v) => v.name !== name), { name, query }]);
}

export function deleteView(name) {
  return write(savedViews().filter((v) => v.name !== name));
}
