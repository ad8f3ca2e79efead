// The vendor API client (docs/vendor-portal.md). Same origin, cookies only:
// the browser never sees a token. On a 401 the session is refreshed once
// (POST /api/auth/refresh) and the call retried; if that fails too, the
// page goes to login.html?next=<this page>. A 503 with Retry-After (the
// database waking up after a quiet period, ~15 s) shows a banner and is
// retried by itself, honouring Retry-After, for up to WAKE_BUDGET_MS.

const API = '/api';

/** An API failure, carrying the problem+json fields (RFC 9457) when present. */
export class ApiError extends Error {
  constructor(status, problem = {}) {
    const detail = typeof problem.detail === 'string' && problem.detail ? problem.detail : null;
    const title = typeof problem.title === 'string' && problem.title ? problem.title : null;
    super(detail || title || defaultMessage(status));
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.field = typeof problem.field === 'string' ? problem.field : null;
    this.type = typeof problem.type === 'string' ? problem.type : null;
  }
}

function defaultMessage(status) {
  if (status === 0) return 'Could not reach the server. Check your connection and try again.';
  if (status === 401) return 'Your session has ended. Please log in again.';
  if (status === 403) return 'You are not allowed to do this.';
  if (status === 404) return 'Not found.';
  if (status === 413) return 'The request is too large.';
  if (status === 429) return 'Too many requests. Please wait a moment and try again.';
  if (status >= 500) return `The server had a problem (HTTP ${status}). Please try again.`;
  return `The request failed (HTTP ${status}).`;
}

/** Builds `/api<path>?<query>`, leaving out empty query values. */
export function apiUrl(path, query) {
  const url = new URL(API + path, window.location.origin);
  if (query) {
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
    }
  }
  return url.pathname + url.search;
}

/** The page to come back to after logging in (path, query and hash of this page). */
export function currentPage() {
  const { pathname, search, hash } = window.location;
  return pathname + search + hash;
}

export function loginUrl(next = currentPage()) {
  return `login.html?next=${encodeURIComponent(next)}`;
}

let redirecting = false;
/** Whether this page is on its way to the login page (after a 401). */
export const isRedirecting = () => redirecting;

export function redirectToLogin() {
  if (redirecting) return;
  redirecting = true;
  window.location.assign(loginUrl());
}

async function send(method, url, body) {
  const init = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json, application/problem+json' },
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(url, init);
  } catch {
    throw new ApiError(0);
  }
}

/** How long a call keeps retrying a 503 with Retry-After. */
export const WAKE_BUDGET_MS = 60_000;

/** Seconds of a Retry-After header (delta-seconds or an HTTP date), or null. */
export function retryAfterMs(value, now = Date.now()) {
  if (value === null || value === undefined || String(value).trim() === '') return null;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

// The banner is shared by concurrent calls: shown while any of them waits.
let waiting = 0;
function wakingBanner(show) {
  waiting = Math.max(0, waiting + (show ? 1 : -1));
  let box = document.getElementById('waking-banner');
  if (waiting > 0 && !box) {
    box = document.createElement('div');
    box.id = 'waking-banner';
    box.className = 'notice info';
    box.setAttribute('role', 'status');
    box.textContent = 'The database is waking up, retrying…';
    const main = document.getElementById('main');
    if (main) main.prepend(box); else document.body.prepend(box);
  } else if (waiting === 0 && box) {
    box.remove();
  }
}

/**
 * `send`, retrying a 503 that carries Retry-After until WAKE_BUDGET_MS has
 * passed; any other answer (or a 503 without Retry-After) is returned.
 */
async function sendWaking(method, url, body) {
  const started = Date.now();
  let res = await send(method, url, body);
  if (res.status !== 503) return res;
  let shown = false;
  try {
    for (;;) {
      const delay = retryAfterMs(res.headers.get('Retry-After'));
      if (delay === null || Date.now() - started + delay > WAKE_BUDGET_MS) return res;
      if (!shown) { wakingBanner(true); shown = true; }
      await new Promise((resolve) => { setTimeout(resolve, Math.max(delay, 250)); });
      res = await send(method, url, body);
      if (res.status !== 503) return res;
    }
  } finally {
    if (shown) wakingBanner(false);
  }
}

// One refresh at a time: concurrent 401s share it.
let refreshing = null;
function refreshSession() {
  if (!refreshing) {
    refreshing = send('POST', apiUrl('/auth/refresh'))
      .then((res) => res.ok)
      .catch(() => false)
      .finally(() => { setTimeout(() => { refreshing = null; }, 0); });
  }
  return refreshing;
}

async function readError(res) {
  let problem = {};
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { problem = await res.json(); } catch { problem = {}; }
  }
  return new ApiError(res.status, problem);
}

/**
 * Calls the API. Options: `query` (object), `body` (JSON), `auth` (default
 * true: refresh and redirect on 401; false for the auth endpoints, whose
 * 401 means wrong credentials).
 */
export async function request(method, path, { query, body, auth = true } = {}) {
  const url = apiUrl(path, query);
  let res = await sendWaking(method, url, body);
  if (res.status === 401 && auth) {
    if (await refreshSession()) res = await sendWaking(method, url, body);
    if (res.status === 401) {
      redirectToLogin();
      throw new ApiError(401);
    }
  }
  if (!res.ok) throw await readError(res);
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) return res.json();
  return res.text();
}

export const api = {
  health: () => request('GET', '/health', { auth: false }),
  signup: (vendor_name, email, password) =>
    request('POST', '/auth/signup', { body: { vendor_name, email, password }, auth: false }),
  confirm: (email, code) => request('POST', '/auth/confirm', { body: { email, code }, auth: false }),
  login: (email, password) => request('POST', '/auth/login', { body: { email, password }, auth: false }),
  // Cognito's side first (revoke the refresh token: the auth part), then
  // the API's (refuse the session from now on: the data part), which
  // clears the cookies. Either failing still ends in the login page.
  logout: async () => {
    try { await request('POST', '/auth/revoke', { auth: false }); } catch { /* best effort */ }
    return request('POST', '/auth/logout', { auth: false });
  },
  me: () => request('GET', '/me'),
  createUpload: (file_name, mode = 'create') => request('POST', '/uploads', { body: { file_name, mode } }),
  productHistory: (sku) => request('GET', `/products/${encodeURIComponent(sku)}/history`),
  // The pipeline's rules on one product (the form and the failed-rows grid).
  validateProduct: (product) => request('POST', '/products/validate', { body: product }),
  submitProduct: (product) => request('POST', '/products', { body: product }),
  failedRows: (id, query) => request('GET', `/uploads/${encodeURIComponent(id)}/failed-rows`, { query }),
  submitFixes: (id, rows, emailResult) =>
    request('POST', `/uploads/${encodeURIComponent(id)}/fixes`, { body: { rows, email_result: emailResult } }),
  listUploads: (query) => request('GET', '/uploads', { query }),
  getUpload: (id) => request('GET', `/uploads/${encodeURIComponent(id)}`),
  listErrors: (id, query) => request('GET', `/uploads/${encodeURIComponent(id)}/errors`, { query }),
  products: (query) => request('GET', '/products', { query }),
  categories: () => request('GET', '/categories'),
  metrics: (query) => request('GET', '/metrics', { query }),
};

/** The operator console's calls (/api/admin, the admins group only). */
export const admin = {
  uploads: (query) => request('GET', '/admin/uploads', { query }),
  upload: (id) => request('GET', `/admin/uploads/${encodeURIComponent(id)}`),
  logs: (id, query) => request('GET', `/admin/uploads/${encodeURIComponent(id)}/logs`, { query }),
  rerun: (id) => request('POST', `/admin/uploads/${encodeURIComponent(id)}/rerun`),
  monitor: (query) => request('GET', '/admin/monitor', { query }),
  deadLetters: (query) => request('GET', '/admin/dead-letters', { query }),
  redrive: (queue, messageId) =>
    request('POST', `/admin/dead-letters/${encodeURIComponent(queue)}/redrive`, { query: { message_id: messageId } }),
  vendors: () => request('GET', '/admin/vendors'),
  vendorAction: (id, action) => request('POST', `/admin/vendors/${encodeURIComponent(id)}/${action}`),
  vendorEmail: (id, email) => request('POST', `/admin/vendors/${encodeURIComponent(id)}/email`, { body: { email } }),
  query: (sql) => request('POST', '/admin/query', { body: { sql } }),
  /** The same query as CSV text, written and neutralised by the server. */
  queryCsv: (sql) => request('POST', '/admin/query/csv', { body: { sql } }),
};

/** Plain links (the API answers with a redirect to a short-lived S3 URL). */
export const reportUrl = (id) => apiUrl(`/uploads/${encodeURIComponent(id)}/report`);
export const fixFileUrl = (id) => apiUrl(`/uploads/${encodeURIComponent(id)}/fix-file`);

/**
 * Sends a file to a presigned S3 POST: every field first, then `file` last.
 * Resolves when S3 answers 2xx; `onProgress(loaded, total)` as bytes go out.
 * Returns an `abort()` alongside the promise.
 */
export function uploadToPresignedPost({ url, fields }, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields || {})) form.append(name, value);
    form.append('file', file, file.name);
    xhr.open('POST', url);
    xhr.upload.addEventListener('progress', (event) => {
      if (onProgress) onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onProgress) onProgress(file.size, file.size);
        resolve();
      } else {
        reject(new ApiError(xhr.status, { detail: storageMessage(xhr) }));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, {
      detail: 'The file could not be sent to storage (network error). Please try again.',
    })));
    xhr.addEventListener('abort', () => reject(new ApiError(0, { detail: 'The upload was cancelled.' })));
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

// S3 answers errors as XML: show its <Message> if there is one.
function storageMessage(xhr) {
  const text = xhr.responseText || '';
  const match = /<Message>([^<]*)<\/Message>/.exec(text);
  const reason = match ? match[1] : `HTTP ${xhr.status}`;
  return `Storage refused the file: ${reason}`;
}
