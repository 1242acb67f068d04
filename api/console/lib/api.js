// The JSON API, same origin, session cookie. 401 → the login page (the app listens to `unauthorized`);
// 403 → the page shows « accès refusé ». Errors are problem details (RFC 9457): `{ type, title, status, detail, code,
// errors?: [{ path, message }] }`, `title` and `detail` in French; the error's message is the detail.

export class ApiError extends Error {
  constructor(status, body, path) {
    super(body?.detail || body?.message || `Erreur ${status}`);
    this.code = body?.code ?? null;
    this.title = body?.title ?? null;
    this.status = status;
    this.body = body ?? {};
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
    this.path = path;
  }
}

export const events = new EventTarget();

/** A response's body: JSON as it is, any other text as `{ message }` (its start). */
function parseBody(status, type, text) {
  if (status === 204 || !text) return null;
  if ((type ?? '').includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }
  return { message: text.slice(0, 300) };
}

const UNREACHABLE = 'Le serveur ne répond pas. Vérifiez la connexion et réessayez.';

/** The error of a refused request; a 401 sends the app to the login page (unless `quiet401`). */
function refusal(status, data, path, quiet401) {
  const error = new ApiError(status, data, path);
  if (status === 401 && !quiet401) events.dispatchEvent(new CustomEvent('unauthorized', { detail: error }));
  return error;
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
    throw new ApiError(0, { message: UNREACHABLE }, path);
  }
  const data = parseBody(res.status, res.headers.get('content-type'), await res.text());
  if (res.ok) return data;
  throw refusal(res.status, data, path, quiet401);
}

/**
 * POSTs a multipart form (a file upload) and answers as `api` does. Through XMLHttpRequest, for what fetch cannot
 * tell: `onProgress({ loaded, total })` while the file goes up, then `onProgress({ sent: true })` once it is all sent
 * (the server is working on it).
 */
export function upload(path, form, { signal, onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress?.({ loaded: event.loaded, total: event.total });
    });
    xhr.upload.addEventListener('load', () => onProgress?.({ sent: true }));
    xhr.addEventListener('load', () => {
      const data = parseBody(xhr.status, xhr.getResponseHeader('content-type'), xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(refusal(xhr.status, data, path, false));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { message: UNREACHABLE }, path)));
    xhr.addEventListener('abort', () => reject(new DOMException('Envoi annulé', 'AbortError')));
    if (signal?.aborted) {
      reject(new DOMException('Envoi annulé', 'AbortError'));
      return;
    }
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

export const get = (path, query, signal) => api(path, { query, signal });
export const post = (path, body = {}, signal) => api(path, { method: 'POST', body, signal });
