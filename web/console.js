// The operator console's shared code (docs/console.md): its header (the
// console's own navigation; vendors are never linked here, and the API
// refuses them anyway), a polling loop that refreshes a view at most once
// per interval and never overlaps requests, and small helpers. Text only
// through el()/textContent, as everywhere in the portal.

import { api, ApiError, isRedirecting } from './api.js';
import { el, setContent, showNotice, siteHeader } from './app.js';

/** How often a live view refreshes (the requirements: within 2 s). */
export const POLL_MS = 2000;

const NAV = [
  ['admin-uploads.html', 'Uploads'],
  ['admin-monitor.html', 'Monitor'],
  ['admin-dead-letters.html', 'Dead letters'],
  ['admin-vendors.html', 'Vendors'],
  ['admin-query.html', 'Queries'],
];

function currentFile() {
  return window.location.pathname.split('/').pop() || '';
}

/** The console's header: brand, navigation, Log out. */
export function startConsolePage() {
  const header = siteHeader();
  const here = currentFile();
  const nav = el('nav', { class: 'site-nav', 'aria-label': 'Console' },
    el('ul', {}, NAV.map(([href, label]) => el('li', {},
      el('a', { href, 'aria-current': here === href || (here === 'admin-upload.html' && href === 'admin-uploads.html') ? 'page' : null, text: label })))));
  const button = el('button', { type: 'button', class: 'secondary', id: 'logout', text: 'Log out' });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try { await api.logout(); } catch { /* gone already */ }
    window.location.assign('login.html');
  });
  setContent(header, el('div', { class: 'bar' },
    el('a', { class: 'brand', href: 'admin-uploads.html' },
      el('span', { class: 'brand-mark', 'aria-hidden': 'true', text: 'OC' }),
      el('span', { text: 'Operator console' })),
    nav,
    el('div', { class: 'account' }, button)));
}

/** Shows an API error; a vendor's session gets the console's refusal. */
export function consoleError(box, error, title) {
  if (isRedirecting()) return;
  if (error instanceof ApiError && error.status === 403) {
    showNotice(box, 'error', 'Operators only', 'This console is for operators (the admins group). Vendors use the portal.',
      el('p', {}, el('a', { href: 'index.html', text: 'Go to the vendor portal' })));
    return;
  }
  showNotice(box, 'error', title || 'Something went wrong', error instanceof Error ? error.message : String(error));
}

/**
 * Runs `tick` now and then every `ms`, one call at a time: the next starts
 * `ms` after the previous one started (or when it ends, if it took longer).
 * Paused while the tab is hidden. Returns `stop`.
 */
export function poll(tick, ms = POLL_MS) {
  let stopped = false;
  let timer = null;
  const run = async () => {
    if (stopped) return;
    if (document.hidden) {
      timer = setTimeout(run, ms);
      return;
    }
    const started = Date.now();
    try { await tick(); } catch { /* the view shows its own error */ }
    if (!stopped) timer = setTimeout(run, Math.max(0, ms - (Date.now() - started)));
  };
  run();
  return () => { stopped = true; clearTimeout(timer); };
}

/** A short, readable duration of seconds-long things. */
export function ms(value) {
  if (value === null || value === undefined) return '—';
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}
