// admin-upload.html?id=…: one upload for operators (GET /api/admin/uploads/{id}):
// what the vendor sees, the stage timeline, its dead letters, re-run, and
// its log lines from all three functions with level/function/text filters,
// tailed every 2 s while the upload runs.
import { admin } from '../api.js';
import { $, announce, badge, clearNotice, el, formatDateTime, formatNumber, params, setContent, showNotice, tableWrap, timeEl } from '../app.js';
import { consoleError, ms, poll, startConsolePage } from '../console.js';
import { UploadStatus } from '../words.js';

startConsolePage();
const id = params().get('id') || '';
const message = $('#message');
const logForm = $('#log-filters');
let detail = null;
let lines = [];
let logCursor = null; // where the shown lines end (tail from here)
let nextPage = null; // a further page that exists now

function fact(term, ...value) {
  return [el('dt', { text: term }), el('dd', {}, ...value)];
}

function renderDetail(d) {
  $('#title').textContent = d.file_name;
  $('#subtitle').textContent = d.upload_id;
  setContent($('#summary'),
    fact('Vendor', d.vendor_id),
    fact('Status', badge(d.status), d.attention ? el('span', { class: 'attention', text: ` ${d.attention}` }) : null),
    fact('Products', `${formatNumber(d.total_records)} (${formatNumber(d.valid_records)} valid, ${formatNumber(d.error_records)} with errors)`),
    fact('Object', el('span', { class: 'mono', text: `${d.s3_key} (version ${d.s3_version_id || '—'})` })),
    fact('Failure', d.failure_reason || '—'),
    fact('Re-run of', d.rerun_of ? el('a', { href: `admin-upload.html?id=${encodeURIComponent(d.rerun_of)}`, text: d.rerun_of }) : '—'),
    fact('Re-runs', d.reruns.length ? d.reruns.map((r) => el('div', {}, el('a', { href: `admin-upload.html?id=${encodeURIComponent(r)}`, text: r }))) : '—'));
  setContent($('#timeline'), tableWrap('Stage timeline table', el('table', {},
    el('caption', { class: 'visually-hidden', text: 'Stage timeline' }),
    el('thead', {}, el('tr', {}, ['Stage', 'Started', 'Finished'].map((h) => el('th', { scope: 'col', text: h })), el('th', { scope: 'col', class: 'num', text: 'Took' }))),
    el('tbody', {}, d.stages.map((s) => el('tr', {},
      el('th', { scope: 'row', text: s.name }), el('td', {}, timeEl(s.started_at)), el('td', {}, timeEl(s.finished_at)),
      el('td', { class: 'num', text: s.duration_ms === null ? 'running' : ms(s.duration_ms) })))))));
  setContent($('#dead-letters'), d.dead_letters.length
    ? tableWrap('Dead letters of this upload', el('table', {},
      el('thead', {}, el('tr', {}, ['Queue', 'Sent', 'Message', ''].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, d.dead_letters.map((l) => el('tr', {},
        el('td', { text: l.queue }), el('td', {}, timeEl(l.sent_at)), el('td', { text: l.summary }),
        el('td', {}, l.redrivable ? el('button', { type: 'button', class: 'secondary', text: 'Redrive', onclick: () => redrive(l) }) : el('span', { class: 'muted', text: 'not redrivable' })))))))
    : el('p', { class: 'muted', text: 'None.' }));
  $('#rerun').disabled = d.status === UploadStatus.Processing && !d.attention;
}

async function redrive(letter) {
  try {
    const answer = await admin.redrive(letter.queue, letter.message_id);
    showNotice(message, 'ok', 'Redriven', `${answer.moved} message sent back to the ${letter.queue} queue.`);
    announce('Dead letter redriven.');
  } catch (error) {
    consoleError(message, error, 'Could not redrive');
  }
}

function logFilters() {
  return { level: logForm.level.value, function: logForm.function.value, q: logForm.q.value.trim() };
}

function logRow(l) {
  return el('tr', {},
    el('td', { class: 'nowrap', text: l.timestamp ? formatDateTime(l.timestamp) : '—' }),
    el('td', { text: l.function }),
    el('td', { text: l.level }),
    el('td', {}, el('div', { text: l.message }), el('details', {}, el('summary', { text: 'Whole line' }), el('div', { class: 'log-line', text: JSON.stringify(l.fields) }))));
}

function renderLogs(running) {
  setContent($('#logs'), lines.length
    ? tableWrap('Log lines table', el('table', {},
      el('caption', { class: 'visually-hidden', text: 'Log lines, oldest first' }),
      el('thead', {}, el('tr', {}, ['Time', 'Function', 'Level', 'Message'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, lines.map(logRow))))
    : el('p', { class: 'muted', text: 'No log lines match.' }));
  $('#more-logs').hidden = !nextPage;
  $('#tail').textContent = `${formatNumber(lines.length)} line${lines.length === 1 ? '' : 's'}${running ? '; the upload is running, new lines appear within 2 seconds' : ''}.`;
}

/** Appends the lines after the cursor (the live tail, or "Load more"). */
async function readLogs(reset) {
  if (reset) { lines = []; logCursor = null; }
  const page = await admin.logs(id, { ...logFilters(), limit: 500, cursor: logCursor });
  lines = [...lines, ...(page.items || [])];
  logCursor = page.end_cursor;
  nextPage = page.next_cursor;
  renderLogs(page.running);
  return page.running;
}

let tailing = true;
let loadFailed = false;
async function tick() {
  try {
    detail = await admin.upload(id);
    if (loadFailed) clearNotice(message);
    loadFailed = false;
    renderDetail(detail);
    if (tailing) tailing = await readLogs(lines.length === 0 && logCursor === null);
  } catch (error) {
    loadFailed = true;
    consoleError(message, error, 'Could not load the upload');
    throw error;
  }
}

if (!id) showNotice(message, 'error', 'No upload', 'Open an upload from the list.');
else poll(tick);

logForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    tailing = await readLogs(true);
  } catch (error) {
    consoleError(message, error, 'Could not load the log lines');
  }
});
$('#more-logs').addEventListener('click', () => readLogs(false).catch((error) => consoleError(message, error)));
$('#rerun').addEventListener('click', async () => {
  const button = $('#rerun');
  button.disabled = true;
  try {
    await admin.rerun(id);
    showNotice(message, 'ok', 'Re-run started', 'The stored file was copied as a new upload; it appears under Re-runs when the pipeline has it.');
    announce('Re-run started.');
  } catch (error) {
    consoleError(message, error, 'Could not re-run');
  } finally {
    button.disabled = false;
  }
});
