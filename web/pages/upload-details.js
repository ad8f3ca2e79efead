// upload-details.html?id=…: counts, the stage timeline, failure reason and
// warnings, download links, and the paginated errors table.
import { api, fixFileUrl, reportUrl } from '../api.js';
import {
  $, tableWrap, announce, badge, clearNotice, el, errorTypeLabel, formatDuration, formatNumber, formatPercent,
  params, setContent, showError, showNotice, sleep, startProtectedPage, timeEl,
} from '../app.js';
import { renderFixGrid } from '../fix-grid.js';
import { NotificationOutcome, UploadStatus } from '../words.js';

const ERRORS_PAGE = 50;
const STAGES = [
  ['received', 'Received', 'The file arrived in storage.'],
  ['parsed', 'Parsed', 'The file was read and its rows staged.'],
  ['validated', 'Validated', 'Every product was checked against the rules and the catalog.'],
  ['reported', 'Reported', 'The error report and fix file were written.'],
  ['notified', 'Notified', 'The summary email was sent.'],
];
const id = params().get('id');
const message = $('#message');
const typeSelect = $('#error-type');
let errorCursor = null;
let errorsShown = 0;
let errorBody = null;
let errorToken = 0;
let typesKey = '';

function metric(label, value, sub) {
  return el('li', { class: 'metric' }, el('div', { class: 'label', text: label }), el('div', { class: 'value', text: value }), sub ? el('div', { class: 'sub', text: sub }) : null);
}

function renderHead(u) {
  document.title = `${u.file_name || u.upload_id} · Upload details · Vendor portal`;
  setContent($('#title'), u.file_name || u.upload_id);
  setContent($('#subtitle'), el('span', { class: 'visually-hidden', text: 'Status: ' }), badge(u.status), ' ', el('span', { class: 'muted' }, 'Uploaded ', timeEl(u.uploaded_at)));
  const links = [];
  if (u.report_available) links.push(el('a', { class: 'button', id: 'download-report', href: reportUrl(u.upload_id), download: '', text: 'Download error report' }));
  if (u.fix_file_available) links.push(el('a', { class: 'button secondary', id: 'download-fix', href: fixFileUrl(u.upload_id), download: '', text: 'Download fix file' }));
  setContent($('#downloads'), links);
}

function renderCounts(u) {
  const total = u.total_records;
  setContent($('#counts'),
    metric('Products', formatNumber(total), total === null ? 'not parsed yet' : null),
    metric('Valid', formatNumber(total === null ? null : u.valid_records), total ? formatPercent(u.valid_records / total, 0) : null),
    metric('With errors', formatNumber(total === null ? null : u.error_records), total ? formatPercent(u.error_records / total, 0) : null),
    metric('Error lines', formatNumber(Object.values(u.errors_by_type || {}).reduce((a, b) => a + b, 0)), 'a row can have several'));
}

function renderMessages(u) {
  const failure = $('#failure');
  if (u.failure_reason) showNotice(failure, 'error', 'The file failed as a whole', u.failure_reason);
  else clearNotice(failure);
  const warnings = $('#warnings');
  if (u.warnings && u.warnings.length) {
    showNotice(warnings, 'warn', u.warnings.length === 1 ? 'Warning' : 'Warnings', el('ul', {}, u.warnings.map((w) => el('li', { text: w }))));
  } else clearNotice(warnings);
}

function renderTimeline(u) {
  const byName = new Map((u.stages || []).map((s) => [s.name, s]));
  const reached = STAGES.filter(([name]) => byName.has(name)).length;
  const stopped = u.status === UploadStatus.Failed || (u.status !== UploadStatus.Processing && byName.has('notified'));
  setContent($('#timeline'), STAGES.map(([name, label, text], index) => {
    const s = byName.get(name);
    const done = s && s.finished_at;
    const active = !stopped && !done && (s || index === reached);
    const state = done ? 'done' : active ? 'in progress' : stopped ? 'not reached' : 'waiting';
    return el('li', { class: done ? 'done' : active ? 'active' : '' },
      el('span', { class: 'dot', 'aria-hidden': 'true' }),
      el('div', { class: 'stage-name' }, label, el('span', { class: 'visually-hidden', text: `: ${state}` })),
      el('div', { class: 'stage-meta' }, text),
      s ? el('div', { class: 'stage-meta' },
        s.started_at ? timeEl(s.started_at) : null,
        s.duration_ms !== null && s.duration_ms !== undefined ? ` · took ${formatDuration(s.duration_ms)}` : '')
        : el('div', { class: 'stage-meta', text: state.charAt(0).toUpperCase() + state.slice(1) }));
  }));
  const progress = $('#progress');
  const p = u.progress;
  if (u.status === UploadStatus.Processing && p && p.total) {
    setContent(progress, el('div', { class: 'progress-block' },
      el('div', { class: 'label' }, el('span', { id: 'validate-label', text: 'Validating products' }),
        el('span', { class: 'muted', text: `${formatNumber(p.validated)} of ${formatNumber(p.total)}` })),
      el('progress', { max: p.total, value: p.validated, 'aria-labelledby': 'validate-label' })));
  } else progress.replaceChildren();
}

function renderFacts(u) {
  const first = (u.stages || []).find((s) => s.name === 'received');
  const last = (u.stages || []).find((s) => s.name === 'notified');
  const total = first && last && last.finished_at ? new Date(last.finished_at) - new Date(first.started_at || u.uploaded_at) : null;
  const rows = [
    ['Upload ID', el('span', { class: 'mono', text: u.upload_id })],
    ['File name', u.file_name],
    ['Status', badge(u.status)],
    ['Mode', u.mode === 'upsert' ? 'Upsert (update existing products)' : 'Create (new products only)'],
    ...(u.mode === 'upsert' ? [
      ['Created', formatNumber(u.created_records ?? 0)],
      ['Updated', formatNumber(u.updated_records ?? 0)],
      ['Unchanged', formatNumber(u.unchanged_records ?? 0)],
    ] : []),
    ...(u.submission === 'form' ? [['Source', 'The single-product form']] : []),
    ...(u.submission === 'fix' ? [['Source', el('span', {}, 'Fixed rows of ',
      el('a', { id: 'fixes-original', href: `upload-details.html?id=${encodeURIComponent(u.fixes_upload_id || '')}`, class: 'mono', text: u.fixes_upload_id || 'an earlier upload' }))]] : []),
    ['Email', u.notification === NotificationOutcome.Sent ? 'Sent' : u.notification === NotificationOutcome.NotRequested ? 'Not requested' : u.email_requested ? 'Not sent yet' : 'Not requested'],
    ['Uploaded', timeEl(u.uploaded_at)],
    ['Finished', timeEl(u.completed_at)],
    ['Total time', total !== null && total >= 0 ? formatDuration(total) : '—'],
  ];
  setContent($('#facts'), rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
}

function renderTypeOptions(u) {
  const types = Object.entries(u.errors_by_type || {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const key = JSON.stringify(types);
  if (key === typesKey) return;
  typesKey = key;
  const current = typeSelect.value;
  setContent(typeSelect, el('option', { value: '', text: 'All error types' }),
    types.map(([type, n]) => el('option', { value: type, text: `${errorTypeLabel(type)} (${formatNumber(n)})` })));
  typeSelect.value = types.some(([t]) => t === current) ? current : '';
}

function errorRow(e) {
  return el('tr', {},
    el('td', { class: 'num', text: e.row_number }),
    el('td', { class: 'nowrap' }, el('span', { class: 'mono small error-type', text: e.error_type }),
      e.field ? el('div', { class: 'muted small' }, 'Field ', el('span', { class: 'mono', text: e.field })) : null),
    el('td', { class: 'message', text: e.message }),
    el('td', { class: 'product' },
      el('div', { class: 'clamp', title: e.product_name || null, text: e.product_name || '(no name)' }),
      el('div', { class: 'muted small mono' }, [e.vendor_product_id, e.sku].filter(Boolean).join(' · ') || '—')),
    el('td', { class: 'num', text: e.price ?? '—' }),
    el('td', { class: 'num', text: e.stock_quantity ?? '—' }));
}

function errorTable() {
  errorBody = el('tbody');
  return tableWrap('Row errors', el('table', { id: 'errors-table' },
    el('caption', { class: 'visually-hidden', text: 'Row errors, in report order' }),
    el('thead', {}, el('tr', {},
      ['Row', 'Error type', 'Message', 'Product (ID · SKU)', 'Price', 'Stock']
        .map((h) => el('th', { scope: 'col', class: h === 'Row' || h === 'Price' || h === 'Stock' ? 'num' : null, text: h })))),
    errorBody));
}

async function loadErrors(reset) {
  const mine = ++errorToken;
  const more = $('#errors-more');
  more.disabled = true;
  try {
    const page = await api.listErrors(id, { error_type: typeSelect.value, limit: ERRORS_PAGE, cursor: reset ? null : errorCursor });
    if (mine !== errorToken) return;
    if (reset) { errorsShown = 0; setContent($('#errors'), errorTable()); }
    for (const e of page.items || []) errorBody.append(errorRow(e));
    errorsShown += (page.items || []).length;
    errorCursor = page.next_cursor || null;
    more.hidden = !errorCursor;
    if (!errorsShown) {
      setContent($('#errors'), el('p', { class: 'empty', text: typeSelect.value ? 'No errors of this type.' : 'No row errors: every product in this file was valid.' }));
    }
    const total = page.total ?? errorsShown;
    $('#errors-count').textContent = errorsShown ? `Showing ${formatNumber(errorsShown)} of ${formatNumber(total)} errors.` : '';
  } catch (error) {
    if (mine === errorToken) showError(message, error, 'Could not load the errors');
  } finally {
    if (mine === errorToken) more.disabled = false;
  }
}

function render(u) {
  renderHead(u);
  renderMessages(u);
  renderCounts(u);
  renderTimeline(u);
  renderFacts(u);
  renderTypeOptions(u);
  $('#detail').hidden = false;
}

// The grid of failed rows, once the upload is settled and has errors.
async function loadFixGrid(u, me) {
  if (u.status === UploadStatus.Processing || !u.error_records) return;
  try {
    await renderFixGrid($('#fix-section'), u, me);
  } catch (error) {
    showError(message, error, 'Could not load the failed rows');
  }
}

async function main() {
  const me = await startProtectedPage();
  if (!id) {
    showNotice(message, 'error', 'No upload chosen', el('p', {}, 'Pick one from ', el('a', { href: 'uploads.html', text: 'the uploads list' }), '.'));
    return;
  }
  let upload;
  try {
    upload = await api.getUpload(id);
  } catch (error) {
    showError(message, error, error.status === 404 ? 'Upload not found' : 'Could not load the upload');
    setContent($('#title'), 'Upload not found');
    return;
  }
  render(upload);
  await loadErrors(true);
  await loadFixGrid(upload, me);
  // Still in the pipeline: refresh until it is done, then reload the errors.
  let status = upload.status;
  while (status === UploadStatus.Processing) {
    await sleep(2000);
    try {
      upload = await api.getUpload(id);
    } catch {
      continue;
    }
    render(upload);
    if (upload.status !== UploadStatus.Processing) {
      status = upload.status;
      announce(`The upload finished with status ${upload.status}.`);
      await loadErrors(true);
      await loadFixGrid(upload, me);
    }
  }
}

typeSelect.addEventListener('change', () => {
  loadErrors(true).then(() => announce($('#errors-count').textContent || 'No errors of this type.'));
});
$('#error-filter').addEventListener('submit', (e) => { e.preventDefault(); loadErrors(true); });
$('#errors-more').addEventListener('click', () => loadErrors(false));

main().catch(() => {});
