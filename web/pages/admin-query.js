// admin-query.html: POST /api/admin/query with saved example queries, the
// rows as a table and a CSV download (POST /api/admin/query/csv: the server
// writes it, every cell neutralised for a spreadsheet like the error report).
import { admin } from '../api.js';
import { $, announce, clearNotice, el, formatNumber, markFieldError, clearFieldErrors, setContent, tableWrap } from '../app.js';
import { consoleError, startConsolePage } from '../console.js';

startConsolePage();
const form = $('#query-form');
const message = $('#message');
let lastSql = null;

const EXAMPLES = [
  ['Uploads per vendor and status', "SELECT vendor_id, status, count(*) AS uploads\n  FROM console_uploads\n GROUP BY vendor_id, status\n ORDER BY vendor_id, status"],
  ['Most common errors (7 days)', "SELECT error_type, count(*) AS errors\n  FROM console_errors\n WHERE created_at > now() - interval '7 days'\n GROUP BY error_type\n ORDER BY errors DESC"],
  ['Slowest uploads', 'SELECT upload_id, vendor_id, file_name, total_records, processing_ms\n  FROM console_uploads\n WHERE processing_ms IS NOT NULL\n ORDER BY processing_ms DESC\n LIMIT 20'],
  ['Failed uploads', 'SELECT upload_id, vendor_id, file_name, failure_reason, upload_timestamp\n  FROM console_uploads\n WHERE status = \'failed\'\n ORDER BY upload_timestamp DESC\n LIMIT 50'],
  ['Catalog by category', 'SELECT category, count(*) AS products, round(avg(price), 2) AS average_price\n  FROM console_products\n GROUP BY category\n ORDER BY products DESC'],
  ['Vendors', 'SELECT vendor_id, vendor_name, status, created_at FROM console_vendors ORDER BY vendor_id'],
];

setContent($('#examples'), EXAMPLES.map(([label, sql]) => el('li', {},
  el('button', {
    type: 'button', class: 'secondary', text: label,
    onclick: () => { form.sql.value = sql; form.requestSubmit(); },
  }))));

function render(answer) {
  $('#result-info').textContent = `${formatNumber(answer.rows.length)} row${answer.rows.length === 1 ? '' : 's'} in ${answer.elapsed_ms} ms${answer.truncated ? ` (only the first ${formatNumber(answer.row_limit)})` : ''}.`;
  setContent($('#result'), answer.rows.length
    ? tableWrap('Query result', el('table', {},
      el('caption', { class: 'visually-hidden', text: 'Query result' }),
      el('thead', {}, el('tr', {}, answer.columns.map((c) => el('th', { scope: 'col', text: c.name, title: c.type })))),
      el('tbody', {}, answer.rows.map((r) => el('tr', {}, r.map((v) => el('td', { class: v === null ? 'muted' : null, text: v === null ? 'NULL' : v })))))))
    : el('p', { class: 'muted', text: 'No rows.' }));
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearNotice(message);
  clearFieldErrors(form);
  const run = $('#run');
  run.disabled = true;
  announce('Running the query…');
  try {
    const sql = form.sql.value;
    render(await admin.query(sql));
    lastSql = sql;
    $('#csv').disabled = false;
    announce('Query done.');
  } catch (error) {
    lastSql = null;
    $('#csv').disabled = true;
    setContent($('#result'));
    $('#result-info').textContent = '';
    consoleError(message, error, 'The query was refused');
    markFieldError(form, error);
  } finally {
    run.disabled = false;
  }
});

$('#csv').addEventListener('click', async () => {
  if (lastSql === null) return;
  clearNotice(message);
  let text;
  try {
    text = await admin.queryCsv(lastSql);
  } catch (error) {
    consoleError(message, error, 'The download failed');
    return;
  }
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const link = el('a', { href: url, download: 'query.csv' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
});
