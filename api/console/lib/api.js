// The JSON API, same origin, session cookie. 401 → the login page (the app listens to `unauthorized`);
// 403 → the page shows « accès refusé ». Errors are `{ message, errors?: [{ path, message }] }`.

export class ApiError extends Error {
  constructor(status, body, path) {
    super(body?.message || `Erreur ${status}`);
    this.status = status;
    this.body = body ?? {};
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
    this.path = path;
  }
}

export const events = new EventTarget();

async function readBody(res) {
  const type = res.headers.get('content-type') ?? '';
  if (res.status === 204) return null;
  if (type.includes('json')) {
    try {
      return await res.json();
    } catch {
      return null;
    }
  }
  const text = await res.text();
  return text ? { message: text.slice(0, 300) } : null;
}

/** `api('/api/tasks', { query: { status: 'open' } })`, `api('/api/tasks/x/claim', { method: 'POST', body: {} })`. */
export async function api(path, { method = 'GET', body, query, signal, quiet401 = false } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '' || v === false) continue;
      params.set(k, String(v));
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  const init = { method, credentials: 'same-origin', signal, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, { message: 'Le serveur ne répond pas. Vérifiez la connexion et réessayez.' }, path);
  }
  const data = await readBody(res);
  if (res.ok) return data;
  const error = new ApiError(res.status, data, path);
  if (res.status === 401 && !quiet401) events.dispatchEvent(new CustomEvent('unauthorized', { detail: error }));
  throw error;
}

export const get = (path, query, signal) => api(path, { query, signal });
export const post = (path, body = {}, signal) => api(path, { method: 'POST', body, signal });
