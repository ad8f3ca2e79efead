// Shared page code: DOM building (text only, never innerHTML with data),
// the header with the vendor's name and Log out, the aria-live announcer,
// formatting, status badges and problem display.

import { api, ApiError, isRedirecting } from './api.js';
import { UploadStatus, VendorStatus } from './words.js';

/**
 * Builds an element. `attrs`: attributes, plus `class`, `text` (textContent),
 * `dataset` and `on<event>` handlers. `children`: nodes, strings (as text)
 * or null/false (skipped). Everything goes in as text, never as markup.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces a node's content. */
export function setContent(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * A horizontally scrollable table box: focusable and named, so keyboard
 * users can scroll it too (WCAG 2.1.1).
 */
export function tableWrap(label, table) {
  return el('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: '0' }, table);
}

// ---- Announcements -------------------------------------------------------

/** Speaks a status change through the page's polite live region. */
export function announce(message) {
  let region = document.getElementById('live-region');
  if (!region) {
    region = el('div', { id: 'live-region', class: 'visually-hidden', 'aria-live': 'polite', 'aria-atomic': 'true' });
    document.body.append(region);
  }
  // Clear first so the same message twice is still read.
  region.textContent = '';
  setTimeout(() => { region.textContent = message; }, 50);
}

/**
 * Shows a message in a notice box. Errors use role="alert" (assertive);
 * others are polite. `kind`: error | ok | warn | info.
 */
export function showNotice(container, kind, title, ...body) {
  if (!container) return;
  container.className = `notice ${kind}`;
  container.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  setContent(container, title ? el('strong', { text: title }) : null, ...body.map((b) => (typeof b === 'string' ? el('p', { text: b }) : b)));
}

export function clearNotice(container) {
  if (!container) return;
  container.replaceChildren();
  container.className = 'notice';
  container.removeAttribute('role');
}

/** Shows an API error (its problem+json detail) in `container`. */
export function showError(container, error, title = 'Something went wrong') {
  if (isRedirecting()) return; // on the way to the login page
  const message = error instanceof Error ? error.message : String(error);
  showNotice(container, 'error', title, message);
}

/**
 * Marks the form input the problem's `field` names (aria-invalid plus a
 * message tied with aria-describedby) and focuses it. Returns whether one
 * was found.
 */
export function markFieldError(form, error) {
  clearFieldErrors(form);
  if (!(error instanceof ApiError) || !error.field) return false;
  const input = form.querySelector(`[name="${CSS.escape(error.field)}"]`);
  if (!input) return false;
  const id = `${input.id || input.name}-error`;
  const message = el('p', { id, class: 'field-error', text: error.message });
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
  input.insertAdjacentElement('afterend', message);
  input.focus();
  return true;
}

export function clearFieldErrors(form) {
  for (const message of form.querySelectorAll('.field-error')) {
    const input = form.querySelector(`[aria-describedby~="${CSS.escape(message.id)}"]`);
    if (input) {
      input.removeAttribute('aria-invalid');
      const rest = input.getAttribute('aria-describedby').split(' ').filter((x) => x !== message.id);
      if (rest.length) input.setAttribute('aria-describedby', rest.join(' '));
      else input.removeAttribute('aria-describedby');
    }
    message.remove();
  }
}

// ---- Formatting ----------------------------------------------------------

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const number = new Intl.NumberFormat();

export function formatDateTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : dateTime.format(date);
}

/** A <time> element with the machine-readable value. */
export function timeEl(value) {
  if (!value) return document.createTextNode('—');
  return el('time', { datetime: value, text: formatDateTime(value) });
}

/** `YYYY-MM-DD` (a day, not an instant) shown as a local date without shifting it. */
export function formatDay(day) {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(day || '');
  if (!match) return day || '—';
  return dateOnly.format(new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
}

export function formatNumber(value) {
  return value === null || value === undefined ? '—' : number.format(value);
}

export function formatPercent(ratio, digits = 1) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits).replace(/\.0+$/, '')}%`;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds % 60)} s`;
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const STATUS_LABELS = {
  [UploadStatus.Processing]: 'Processing',
  [UploadStatus.Completed]: 'Completed',
  [UploadStatus.Partial]: 'Partial',
  [UploadStatus.Failed]: 'Failed',
  [VendorStatus.Active]: 'Active',
  [VendorStatus.PendingApproval]: 'Pending approval',
  [VendorStatus.Suspended]: 'Suspended',
};

export function statusLabel(status) {
  return STATUS_LABELS[status] || String(status || 'Unknown');
}

/** A status badge: colour, shape and the status as text. */
export function badge(status) {
  const known = Object.values(UploadStatus).includes(status);
  return el('span', { class: `badge ${known ? status : 'neutral'}`, text: statusLabel(status) });
}

/** The error type as words: INVALID_PRICE → Invalid price. */
export function errorTypeLabel(type) {
  const words = String(type || '').toLowerCase().split('_').filter(Boolean);
  if (!words.length) return 'Unknown';
  const text = words.join(' ').replace(/\bsku\b/, 'SKU').replace(/\burl\b/, 'URL').replace(/\bid\b/, 'ID');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---- URL state -------------------------------------------------------------

export function params() {
  return new URLSearchParams(window.location.search);
}

/** Rewrites this page's query string (no reload, no history entry). */
export function replaceParams(values) {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === '') url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
}

/**
 * A `next` value from login.html?next=… made safe: only a path on this
 * origin (a page or an /api link such as a report), never another site.
 */
export function safeNext(raw, fallback = 'index.html') {
  if (!raw) return fallback;
  try {
    const url = new URL(raw, window.location.href);
    if (url.origin !== window.location.origin) return fallback;
    if (/login\.html$|signup\.html$/.test(url.pathname)) return fallback;
    return url.pathname + url.search + url.hash;
  } catch {
    return fallback;
  }
}

// ---- Header ----------------------------------------------------------------

const NAV = [
  ['index.html', 'Dashboard'],
  ['upload.html', 'Upload'],
  ['uploads.html', 'Uploads'],
  ['catalog.html', 'Catalog'],
  ['product-new.html', 'Add product'],
];

function brand() {
  return el('a', { class: 'brand', href: 'index.html' },
    el('span', { class: 'brand-mark', 'aria-hidden': 'true', text: 'PO' }),
    el('span', { text: 'Vendor portal' }));
}

function currentFile() {
  const file = window.location.pathname.split('/').pop();
  return file || 'index.html';
}

/**
 * The frame every page shares, written here once rather than in each page:
 * the skip link and the header, first in <body>, so the skip link is the
 * first Tab stop. Returns the header for the page's kind to fill.
 */
export function siteHeader() {
  let header = document.getElementById('site-header');
  if (!header) {
    header = el('header', { id: 'site-header', class: 'site-header' });
    document.body.prepend(el('a', { class: 'skip-link', href: '#main', text: 'Skip to main content' }), header);
  }
  return header;
}

/** The header of the public pages (login, sign-up). */
export function renderPublicHeader() {
  setContent(siteHeader(), el('div', { class: 'bar' }, brand()));
}

async function logout(button) {
  button.disabled = true;
  try {
    await api.logout();
  } catch {
    // The cookies may be gone already; go to login either way.
  }
  window.location.assign('login.html');
}

function renderHeader(me) {
  const header = siteHeader();
  const here = currentFile();
  const nav = el('nav', { class: 'site-nav', 'aria-label': 'Main' },
    el('ul', {}, NAV.map(([href, label]) => el('li', {},
      el('a', { href, 'aria-current': here === href || (here === 'upload-details.html' && href === 'uploads.html') ? 'page' : null, text: label })))));
  const button = el('button', { type: 'button', class: 'secondary', id: 'logout', text: 'Log out' });
  button.addEventListener('click', () => logout(button));
  const account = el('div', { class: 'account' },
    el('span', {}, el('span', { class: 'visually-hidden', text: 'Signed in as ' }),
      el('span', { class: 'vendor-name', id: 'vendor-name', text: me ? me.vendor_name : '' }),
      me ? el('span', { class: 'muted', text: ` (${me.vendor_id})` }) : null),
    button);
  setContent(header, el('div', { class: 'bar' }, brand(), nav, account));
}

/** A banner for a vendor that cannot upload yet. */
function renderAccountBanner(me) {
  if (!me || me.status === VendorStatus.Active) return;
  const main = document.getElementById('main');
  if (!main) return;
  const box = el('div', { class: 'notice warn', role: 'status' });
  const text = me.status === VendorStatus.PendingApproval
    ? 'Your account is awaiting operator approval. You can look around, but uploads are enabled once an operator approves it.'
    : 'Your account is suspended. Uploads are disabled; contact the marketplace operator.';
  setContent(box, el('strong', { text: `Account ${statusLabel(me.status).toLowerCase()}` }), el('p', { text }));
  main.prepend(box);
}

/**
 * Starts a protected page: loads the vendor (redirecting to login without a
 * session), renders the header and returns the `Me` object.
 */
export async function startProtectedPage() {
  renderHeader(null);
  try {
    const me = await api.me();
    renderHeader(me);
    renderAccountBanner(me);
    return me;
  } catch (error) {
    if (isRedirecting()) return new Promise(() => {}); // on the way to the login page
    const main = document.getElementById('main');
    const box = el('div', { class: 'notice error' });
    main.prepend(box);
    showError(box, error, 'Could not load your account');
    throw error;
  }
}

/** Sleeps, for polling. */
export const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
