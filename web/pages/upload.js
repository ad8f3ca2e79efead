// upload.html: check the file in the browser, ask the API for a presigned
// S3 POST, send the file with progress, then follow the upload through the
// pipeline until it is notified (or failed) and show the outcome.
import { api, ApiError, uploadToPresignedPost } from '../api.js';
import {
  $, announce, badge, clearNotice, el, formatBytes, formatNumber, formatPercent, setContent,
  showError, showNotice, sleep, startProtectedPage,
} from '../app.js';
import { checkCsvFile } from '../csv-check.js';
import { UploadStatus, VendorStatus } from '../words.js';

const input = $('#file');
const zone = $('#dropzone');
const startButton = $('#start');
const resetButton = $('#reset');
const message = $('#message');
const fileSummary = $('#file-summary');
const progressCard = $('#progress-card');
const summaryCard = $('#summary-card');
const phase = $('#phase');

const FIND_TIMEOUT_MS = 120_000;      // how long to wait for the parser to record the upload
const PROCESS_TIMEOUT_MS = 15 * 60_000;
const CLOCK_SKEW_MS = 5 * 60_000;     // browser and server clocks may differ

let selected = null; // a File that passed the checks
let busy = false;

function setPhase(text) {
  phase.textContent = text;
}

async function choose(file) {
  if (busy) return;
  clearNotice(message);
  selected = null;
  startButton.disabled = true;
  summaryCard.hidden = true;
  progressCard.hidden = true;
  if (!file) { fileSummary.hidden = true; return; }
  setContent(fileSummary, el('span', { class: 'name', text: file.name }), el('span', { class: 'muted', text: formatBytes(file.size) }));
  fileSummary.hidden = false;
  let result;
  try {
    result = await checkCsvFile(file);
  } catch (error) {
    result = { ok: false, reason: `The file could not be read: ${error.message}` };
  }
  if (!result.ok) {
    showNotice(message, 'error', 'This file cannot be uploaded', result.reason);
    fileSummary.append(el('span', { class: 'badge failed', text: 'Check failed' }));
    return;
  }
  selected = file;
  fileSummary.append(el('span', { class: 'badge completed', text: 'Header OK' }));
  startButton.disabled = false;
  announce(`${file.name} is ready to upload: the header has all required columns.`);
}

input.addEventListener('change', () => choose(input.files && input.files[0]));

for (const type of ['dragenter', 'dragover']) {
  zone.addEventListener(type, (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = busy ? 'none' : 'copy';
    zone.classList.add('dragover');
  });
}
for (const type of ['dragleave', 'dragend']) zone.addEventListener(type, () => zone.classList.remove('dragover'));
zone.addEventListener('drop', (event) => {
  event.preventDefault();
  zone.classList.remove('dragover');
  const files = event.dataTransfer && event.dataTransfer.files;
  if (!files || !files.length) return;
  if (files.length > 1) {
    showNotice(message, 'error', 'One file at a time', 'Drop a single product file.');
    return;
  }
  choose(files[0]);
});
// Dropping next to the zone must not navigate away from the page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

function setBar(id, done, total) {
  const bar = $(`#${id}-progress`);
  const value = $(`#${id}-value`);
  const percent = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
  bar.value = percent;
  bar.setAttribute('aria-valuetext', `${percent}%`);
  value.textContent = id === 'send'
    ? `${formatBytes(done)} of ${formatBytes(total)} (${percent}%)`
    : `${formatNumber(done)} of ${formatNumber(total)} products (${percent}%)`;
}

const baseName = (key) => String(key || '').split('/').pop();

/** Finds the upload the parser recorded for this file: newest match, not seen before. */
async function findUpload(fileName, keyName, startedAt, known) {
  const deadline = Date.now() + FIND_TIMEOUT_MS;
  while (Date.now() < deadline) {
    await sleep(1000);
    let page;
    try {
      page = await api.listUploads({ limit: 5 });
    } catch (error) {
      if (error instanceof ApiError && error.status >= 500) continue; // transient
      throw error;
    }
    const match = (page.items || [])
      .filter((u) => (u.file_name === fileName || u.file_name === keyName) && !known.has(u.upload_id))
      .filter((u) => new Date(u.uploaded_at).getTime() >= startedAt - CLOCK_SKEW_MS)
      .sort((a, b) => new Date(b.uploaded_at) - new Date(a.uploaded_at))[0];
    if (match) return match;
  }
  return null;
}

const finished = (u) => (u.status !== UploadStatus.Processing && (u.stages || []).some((s) => s.name === 'notified')) || u.status === UploadStatus.Failed;

async function follow(id) {
  const deadline = Date.now() + PROCESS_TIMEOUT_MS;
  let lastText = '';
  $('#validate-block').hidden = false;
  while (Date.now() < deadline) {
    let upload;
    try {
      upload = await api.getUpload(id);
    } catch (error) {
      if (error instanceof ApiError && error.status >= 500) { await sleep(1000); continue; }
      throw error;
    }
    const p = upload.progress || {};
    const total = p.total ?? upload.total_records ?? 0;
    if (total) setBar('validate', p.validated ?? 0, total);
    const stages = (upload.stages || []).map((s) => s.name);
    const text = finished(upload) ? 'Finished.'
      : stages.includes('reported') ? 'Writing the error report and sending the email…'
        : stages.includes('parsed') ? 'Validating products…' : 'Reading the file…';
    if (text !== lastText) { setPhase(text); lastText = text; }
    if (finished(upload)) return upload;
    await sleep(1000);
  }
  return null;
}

function renderSummary(upload) {
  const total = upload.total_records ?? 0;
  const valid = upload.valid_records ?? 0;
  const errors = upload.error_records ?? 0;
  const link = el('a', { class: 'button', href: `upload-details.html?id=${encodeURIComponent(upload.upload_id)}`, text: 'View details and errors' });
  const lines = [];
  if (upload.status === UploadStatus.Failed && upload.failure_reason) lines.push(el('p', { text: upload.failure_reason }));
  setContent($('#summary'),
    el('p', {}, el('span', { class: 'visually-hidden', text: 'Status: ' }), badge(upload.status), ' ', el('span', { class: 'name', text: upload.file_name })),
    el('ul', { class: 'metrics', style: 'margin-top:1rem' },
      el('li', { class: 'metric' }, el('div', { class: 'label', text: 'Products' }), el('div', { class: 'value', text: formatNumber(total) })),
      el('li', { class: 'metric' }, el('div', { class: 'label', text: 'Valid' }), el('div', { class: 'value', text: formatNumber(valid) }), el('div', { class: 'sub', text: total ? formatPercent(valid / total, 0) : '' })),
      el('li', { class: 'metric' }, el('div', { class: 'label', text: 'With errors' }), el('div', { class: 'value', text: formatNumber(errors) })),
      upload.mode === 'upsert' ? [
        el('li', { class: 'metric' }, el('div', { class: 'label', text: 'Created' }), el('div', { class: 'value', text: formatNumber(upload.created_records ?? 0) })),
        el('li', { class: 'metric' }, el('div', { class: 'label', text: 'Updated' }), el('div', { class: 'value', text: formatNumber(upload.updated_records ?? 0) })),
        el('li', { class: 'metric' }, el('div', { class: 'label', text: 'Unchanged' }), el('div', { class: 'value', text: formatNumber(upload.unchanged_records ?? 0) })),
      ] : []),
    lines,
    el('p', { class: 'muted small' }, 'Upload ID ', el('span', { class: 'mono', text: upload.upload_id })),
    el('div', { class: 'button-row' }, link, el('a', { class: 'button secondary', href: 'upload.html', text: 'Upload another file' })));
  summaryCard.hidden = false;
  const outcome = upload.status === UploadStatus.Failed
    ? `Upload failed${upload.failure_reason ? `: ${upload.failure_reason}` : '.'}`
    : `Upload ${upload.status}: ${formatNumber(valid)} of ${formatNumber(total)} products valid, ${formatNumber(errors)} with errors.`;
  announce(outcome);
  link.focus();
}

async function start() {
  if (!selected || busy) return;
  const file = selected;
  busy = true;
  startButton.disabled = true;
  input.disabled = true;
  clearNotice(message);
  summaryCard.hidden = true;
  progressCard.hidden = false;
  $('#validate-block').hidden = true;
  setBar('send', 0, file.size);
  setPhase('Preparing the upload…');
  announce(`Uploading ${file.name}.`);
  try {
    // Uploads of this name already on record are not ours.
    const before = await api.listUploads({ limit: 20 });
    const known = new Set((before.items || []).filter((u) => u.file_name === file.name).map((u) => u.upload_id));
    const startedAt = Date.now();
    const mode = document.querySelector('input[name="mode"]:checked')?.value || 'create';
    const target = await api.createUpload(file.name, mode);
    if (target.max_bytes && file.size > target.max_bytes) {
      throw new Error(`The file is larger than the ${formatBytes(target.max_bytes)} limit.`);
    }
    setPhase('Sending the file…');
    await uploadToPresignedPost(target, file, (loaded, total) => setBar('send', loaded, total)).done;
    setBar('send', file.size, file.size);
    setPhase('File received. Waiting for processing to start…');
    announce('File sent. Waiting for processing.');
    const found = await findUpload(file.name, baseName(target.key), startedAt, known);
    if (!found) {
      showNotice(message, 'warn', 'Still waiting for the upload to appear',
        el('p', {}, 'The file was sent, but processing has not started yet. It will show on ', el('a', { href: 'uploads.html', text: 'the uploads page' }), ' when it does.'));
      announce('The file was sent, but processing has not started yet.');
      return;
    }
    announce('Processing started.');
    const upload = await follow(found.upload_id);
    if (!upload) {
      showNotice(message, 'warn', 'Processing is taking long',
        el('p', {}, 'Follow it on ', el('a', { href: `upload-details.html?id=${encodeURIComponent(found.upload_id)}`, text: 'the details page' }), '.'));
      return;
    }
    if (upload.total_records) setBar('validate', upload.progress?.validated ?? upload.total_records, upload.total_records);
    renderSummary(upload);
  } catch (error) {
    showError(message, error, 'The upload did not go through');
    setPhase('Stopped.');
  } finally {
    busy = false;
    input.disabled = false;
    resetButton.hidden = false;
    selected = null;
  }
}

startButton.addEventListener('click', start);
resetButton.addEventListener('click', () => {
  input.value = '';
  resetButton.hidden = true;
  fileSummary.hidden = true;
  progressCard.hidden = true;
  summaryCard.hidden = true;
  clearNotice(message);
  input.focus();
});

startProtectedPage().then((me) => {
  if (me && me.status !== VendorStatus.Active) {
    input.disabled = true;
    zone.setAttribute('aria-disabled', 'true');
  }
}, () => {});
