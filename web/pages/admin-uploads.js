// admin-uploads.html: every vendor's uploads (GET /api/admin/uploads) with
// filters, counts per status, the failed and stuck on top, keyset pages
// ("Load more"). The first page refreshes every 2 s (one request at a time).
import { admin } from '../api.js';
import { $, announce, badge, clearNotice, el, formatNumber, params, replaceParams, setContent, tableWrap, timeEl } from '../app.js';
import { consoleError, poll, startConsolePage } from '../console.js';
import { UploadStatus } from '../words.js';

startConsolePage();
const form = $('#filters');
const message = $('#message');
const FIELDS = ['vendor_id', 'status', 'from', 'to', 'file_name'];
const STATUSES = Object.values(UploadStatus);
let cursor = null;
let extra = []; // rows of the pages after the first ("Load more")

for (const name of FIELDS) {
  const value = params().get(name);
  if (value) form[name].value = value;
}

function filters() {
  return Object.fromEntries(FIELDS.map((f) => [f, form[f].value.trim()]));
}

function row(u) {
  return el('tr', {},
    el('td', {},
      el('a', { href: `admin-upload.html?id=${encodeURIComponent(u.upload_id)}`, text: u.file_name || u.upload_id }),
      el('div', { class: 'muted small mono', text: u.upload_id }),
      u.rerun_of ? el('div', { class: 'muted small', text: `re-run of ${u.rerun_of}` }) : null),
    el('td', { text: u.vendor_id }),
    el('td', {}, badge(u.status), u.attention && u.attention !== UploadStatus.Failed ? el('div', { class: 'attention small', text: u.attention }) : null),
    el('td', { class: 'nowrap' }, timeEl(u.uploaded_at)),
    el('td', { class: 'num', text: formatNumber(u.total_records) }),
    el('td', { class: 'num', text: formatNumber(u.valid_records) }),
    el('td', { class: 'num', text: formatNumber(u.error_records) }),
    el('td', { class: 'nowrap' }, timeEl(u.completed_at)));
}

function table(caption, rows) {
  return tableWrap(caption, el('table', {},
    el('caption', { class: 'visually-hidden', text: caption }),
    el('thead', {}, el('tr', {},
      ['File', 'Vendor', 'Status', 'Uploaded'].map((h) => el('th', { scope: 'col', text: h })),
      ['Products', 'Valid', 'Errors'].map((h) => el('th', { scope: 'col', class: 'num', text: h })),
      el('th', { scope: 'col', text: 'Finished' }))),
    el('tbody', {}, rows)));
}

let first = [];
function render() {
  const rows = [...first, ...extra];
  setContent($('#list'), rows.length ? table('Uploads, newest first', rows.map(row)) : el('div', { class: 'card empty', text: 'No uploads match these filters.' }));
  $('#more').hidden = !cursor;
  $('#count').textContent = `Showing ${formatNumber(rows.length)} upload${rows.length === 1 ? '' : 's'}${cursor ? '; more are available' : ''}.`;
}

async function refresh() {
  try {
    const page = await admin.uploads({ ...filters(), limit: 50 });
    clearNotice(message);
    first = page.items || [];
    if (!extra.length) cursor = page.next_cursor || null;
    setContent($('#counts'), STATUSES.map((s) => el('li', {}, el('strong', { text: formatNumber(page.counts?.[s] || 0) }), el('span', { text: s }))));
    const attention = page.attention || [];
    setContent($('#attention'), attention.length
      ? table('Failed and stuck uploads', attention.map(row))
      : el('p', { class: 'muted', text: 'Nothing failed in the last 24 hours and nothing is stuck.' }));
    render();
  } catch (error) {
    consoleError(message, error, 'Could not load the uploads');
    throw error;
  }
}

let stop = poll(refresh);

form.addEventListener('submit', (event) => {
  event.preventDefault();
  replaceParams(filters());
  extra = [];
  cursor = null;
  stop();
  stop = poll(refresh);
  announce('Filters applied.');
});
$('#clear').addEventListener('click', () => {
  form.reset();
  form.requestSubmit();
});
$('#more').addEventListener('click', async () => {
  try {
    const page = await admin.uploads({ ...filters(), limit: 50, cursor });
    extra = [...extra, ...(page.items || [])];
    cursor = page.next_cursor || null;
    render();
  } catch (error) {
    consoleError(message, error, 'Could not load more uploads');
  }
});
