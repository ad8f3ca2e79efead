// admin-dead-letters.html: GET /api/admin/dead-letters (refreshed every 2 s)
// with a redrive per message and "Redrive all" for the errors queue.
import { admin } from '../api.js';
import { $, announce, clearNotice, el, setContent, showNotice, tableWrap, timeEl } from '../app.js';
import { consoleError, poll, startConsolePage } from '../console.js';

startConsolePage();
const message = $('#message');
const status = el('p', { class: 'muted small', role: 'status' });
let lastIds = null; // the message ids shown; null: nothing rendered yet

async function redrive(queue, messageId) {
  try {
    const answer = await admin.redrive(queue, messageId);
    showNotice(message, 'ok', 'Redriven', `${answer.moved} message${answer.moved === 1 ? '' : 's'} sent back from the ${queue} dead-letter queue.`);
    announce('Redriven.');
    lastIds = null;
    await refresh();
  } catch (error) {
    consoleError(message, error, 'Could not redrive');
  }
}

function render(list) {
  const ids = list.items.map((l) => l.message_id).join(',');
  if (ids === lastIds) return; // unchanged: keep focus where it is
  lastIds = ids;
  status.textContent = `${list.items.length} dead letter${list.items.length === 1 ? '' : 's'}.`;
  setContent($('#list'), status, list.items.length
    ? tableWrap('Dead letters table', el('table', {},
      el('caption', { class: 'visually-hidden', text: 'Dead letters' }),
      el('thead', {}, el('tr', {}, ['Queue', 'Sent', 'Receives', 'Upload', 'Message', 'Action'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, list.items.map((l) => el('tr', {},
        el('td', { text: l.queue }),
        el('td', {}, timeEl(l.sent_at)),
        el('td', { class: 'num', text: l.receive_count ?? '—' }),
        el('td', {}, l.upload_id ? el('a', { href: `admin-upload.html?id=${encodeURIComponent(l.upload_id)}`, class: 'mono', text: l.upload_id }) : el('span', { class: 'muted', text: l.key || '—' })),
        el('td', {}, el('div', { text: l.summary }), el('details', {}, el('summary', { text: 'Body' }), el('div', { class: 'log-line', text: l.body }))),
        el('td', {}, l.redrivable
          ? el('button', { type: 'button', class: 'secondary', text: 'Redrive', 'aria-label': `Redrive message ${l.message_id}`, onclick: () => redrive(l.queue, l.message_id) })
          : el('span', { class: 'muted', text: 'Re-run the upload instead' })))))))
    : el('p', { class: 'muted', text: 'No dead letters. All good.' }));
}

let loadFailed = false;
async function refresh() {
  try {
    const list = await admin.deadLetters();
    if (loadFailed) clearNotice(message);
    loadFailed = false;
    render(list);
  } catch (error) {
    loadFailed = true;
    consoleError(message, error, 'Could not load the dead letters');
    throw error;
  }
}

poll(refresh);
$('#redrive-all').addEventListener('click', () => redrive('errors'));
