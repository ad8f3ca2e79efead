// uploads.html: GET /api/uploads with status/from/to filters and cursor
// pagination ("Load more").
import { api } from '../api.js';
import {
  $, tableWrap, announce, badge, clearNotice, el, formatNumber, params, replaceParams, setContent,
  showError, showNotice, startProtectedPage, timeEl,
} from '../app.js';
import { UploadStatus } from '../words.js';

const PAGE = 20;
const STATUSES = Object.values(UploadStatus);
const form = $('#filters');
const list = $('#list');
const more = $('#more');
const count = $('#count');
const message = $('#message');
let cursor = null;
let shown = 0;
let tbody = null;
let token = 0;

const isDay = (v) => /^\d{4}-\d{2}-\d{2}$/.test(v);

function filters() {
  return { status: form.status.value, from: form.from.value, to: form.to.value };
}

function row(u) {
  return el('tr', {},
    el('td', {},
      el('a', { href: `upload-details.html?id=${encodeURIComponent(u.upload_id)}`, text: u.file_name || u.upload_id }),
      el('div', { class: 'muted small mono', text: u.upload_id })),
    el('td', {}, badge(u.status)),
    el('td', { class: 'nowrap' }, timeEl(u.uploaded_at)),
    el('td', { class: 'num', text: formatNumber(u.total_records) }),
    el('td', { class: 'num', text: formatNumber(u.total_records === null ? null : u.valid_records) }),
    el('td', { class: 'num', text: formatNumber(u.total_records === null ? null : u.error_records) }),
    el('td', { class: 'nowrap' }, timeEl(u.completed_at)));
}

function table() {
  tbody = el('tbody');
  return tableWrap('Uploads table', el('table', {},
    el('caption', { class: 'visually-hidden', text: 'Uploads, newest first' }),
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col', text: 'File' }),
      el('th', { scope: 'col', text: 'Status' }),
      el('th', { scope: 'col', text: 'Uploaded' }),
      el('th', { scope: 'col', class: 'num', text: 'Products' }),
      el('th', { scope: 'col', class: 'num', text: 'Valid' }),
      el('th', { scope: 'col', class: 'num', text: 'Errors' }),
      el('th', { scope: 'col', text: 'Finished' }))),
    tbody));
}

async function load(reset) {
  const mine = ++token;
  const f = filters();
  clearNotice(message);
  if (f.from && f.to && f.from > f.to) {
    showNotice(message, 'error', 'Check the dates', '“From” must be on or before “To”.');
    form.from.focus();
    return;
  }
  more.disabled = true;
  list.setAttribute('aria-busy', 'true');
  try {
    const page = await api.listUploads({ ...f, limit: PAGE, cursor: reset ? null : cursor });
    if (mine !== token) return;
    if (reset) {
      shown = 0;
      setContent(list, table());
    }
    for (const u of page.items || []) tbody.append(row(u));
    shown += (page.items || []).length;
    cursor = page.next_cursor || null;
    more.hidden = !cursor;
    if (!shown) {
      setContent(list, el('div', { class: 'card empty', text: f.status || f.from || f.to ? 'No uploads match these filters.' : 'No uploads yet. Upload your first product file to see it here.' }));
    }
    const text = shown ? `Showing ${formatNumber(shown)} upload${shown === 1 ? '' : 's'}${cursor ? '; more are available' : ''}.` : '';
    count.textContent = text;
    if (!reset) announce(`Loaded ${formatNumber((page.items || []).length)} more uploads.`);
  } catch (error) {
    if (mine === token) showError(message, error, 'Could not load the uploads');
  } finally {
    if (mine === token) { more.disabled = false; list.removeAttribute('aria-busy'); }
  }
}

const p = params();
if (STATUSES.includes(p.get('status'))) form.status.value = p.get('status');
if (isDay(p.get('from') || '')) form.from.value = p.get('from');
if (isDay(p.get('to') || '')) form.to.value = p.get('to');

form.addEventListener('submit', (event) => {
  event.preventDefault();
  replaceParams(filters());
  load(true);
});
$('#clear').addEventListener('click', () => {
  form.reset();
  replaceParams({ status: null, from: null, to: null });
  load(true);
});
more.addEventListener('click', () => load(false));

startProtectedPage().then(() => load(true), () => {});
