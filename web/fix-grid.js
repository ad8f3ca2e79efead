// The failed-rows grid of upload-details.html: one row per failed source row
// (GET /api/uploads/{id}/failed-rows), a real input per product column,
// each labelled by its column and row, each error beside its cell. Edited
// rows are re-validated live through the API (the pipeline's rules); the
// rows that pass are resubmitted as a new upload of only those rows
// (POST /api/uploads/{id}/fixes), in the original's mode, linked to it.
// Vendor text only ever goes in as text (el() and input values).
import { api } from './api.js';
import { $, announce, badge, el, formatNumber, setContent, showError, showNotice, tableWrap } from './app.js';
import { COLUMNS, errorsByField, followSubmission, liveValidator } from './product-fields.js';
import { UploadStatus, VendorStatus } from './words.js';

const LIMIT = 500;
const WIDE = new Set(['product_name', 'description', 'image_url']);
const label = (name) => COLUMNS.find((c) => c.name === name)?.label || name;

function fixState(fix) {
  if (!fix) return null;
  const outcome = fix.outcome === 'valid' ? 'now valid' : fix.outcome === 'invalid' ? 'still failed' : 'being validated';
  return el('span', {}, 'Fixed later by ',
    fix.upload_id
      ? el('a', { href: `upload-details.html?id=${encodeURIComponent(fix.upload_id)}`, class: 'fixed-by', text: fix.upload_id })
      : 'an upload being picked up',
    ` (${outcome})`);
}

/** Shows `errors` beside the row's cells (and whole-row ones by its number). */
function paintErrors(row, errors) {
  const byField = errorsByField(errors);
  for (const [name, input] of row.inputs) {
    const messages = (byField.get(name) || []).map((e) => e.message);
    row.errorBoxes.get(name).textContent = messages.join(' ');
    if (messages.length) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', `${input.id}-error`);
    } else {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    }
  }
  row.rowErrors.textContent = (byField.get(null) || []).map((e) => e.message).join(' ');
}

export async function renderFixGrid(section, upload, me) {
  const data = await api.failedRows(upload.upload_id, { limit: LIMIT });
  const items = data.items || [];
  if (!items.length) { section.hidden = true; return; }
  section.hidden = false;
  const rows = [];
  const submit = $('#fix-submit', section);
  const count = $('#fix-count', section);
  const ready = () => rows.filter((r) => r.edited && r.valid);

  function refreshButton() {
    const n = ready().length;
    submit.textContent = n ? `Resubmit fixed rows (${formatNumber(n)})` : 'Resubmit fixed rows';
    submit.disabled = n === 0 || (me && me.status !== VendorStatus.Active);
  }

  const head = el('tr', {},
    el('th', { scope: 'col', id: 'fx-col-row', text: 'Row' }),
    data.columns.map((name) => el('th', { scope: 'col', id: `fx-col-${name}`, text: label(name) })),
    el('th', { scope: 'col', text: 'State' }));
  const body = el('tbody');
  for (const item of items) {
    const n = item.row_number;
    const row = { number: n, inputs: new Map(), errorBoxes: new Map(), edited: false, valid: false };
    row.rowErrors = el('div', { class: 'field-error' });
    row.state = el('div', { class: 'row-state' }, fixState(item.fixed_by) || 'Not edited');
    const tr = el('tr', { dataset: { row: String(n) } },
      el('th', { scope: 'row', class: 'num' }, el('span', { id: `fx-row-${n}`, text: `Row ${n}` }), row.rowErrors));
    for (const name of data.columns) {
      const id = `fx-${n}-${name}`;
      const input = el('input', {
        id, type: 'text', name, autocomplete: 'off', 'aria-labelledby': `fx-col-${name} fx-row-${n}`,
      });
      input.value = item.values[name] ?? '';
      const box = el('div', { id: `${id}-error`, class: 'field-error' });
      row.inputs.set(name, input);
      row.errorBoxes.set(name, box);
      tr.append(el('td', { class: WIDE.has(name) ? 'wide' : null }, input, box));
    }
    tr.append(el('td', {}, row.state));
    row.tr = tr;
    row.values = () => Object.fromEntries([...row.inputs].map(([name, input]) => [name, input.value]));
    row.validator = liveValidator(() => data.mode, (verdict) => {
      row.valid = verdict.valid;
      paintErrors(row, verdict.errors);
      tr.classList.toggle('ready', verdict.valid);
      setContent(row.state, verdict.valid
        ? 'Ready to resubmit'
        : `Still ${verdict.errors.length} error${verdict.errors.length === 1 ? '' : 's'}`);
      refreshButton();
    }, (error) => showError($('#message'), error, 'Could not check the row'));
    tr.addEventListener('input', () => {
      row.edited = true;
      row.valid = false;
      tr.classList.remove('ready');
      setContent(row.state, 'Checking…');
      refreshButton();
      row.validator.schedule(row.values());
    });
    paintErrors(row, item.errors);
    rows.push(row);
    body.append(tr);
  }
  // Enter moves down the column, Shift+Enter up, as in a spreadsheet; Tab
  // moves along the row, as everywhere.
  body.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.target.tagName !== 'INPUT') return;
    event.preventDefault();
    const at = rows.findIndex((r) => r.tr.contains(event.target));
    const next = rows[at + (event.shiftKey ? -1 : 1)];
    if (next) next.inputs.get(event.target.name).focus();
  });
  setContent($('#fix-grid', section), tableWrap('Failed rows to fix', el('table', { class: 'fix-grid', id: 'fix-table' },
    el('caption', { class: 'visually-hidden', text: 'Failed rows: each cell is editable, its error is shown beside it' }),
    el('thead', {}, head), body)));
  count.textContent = data.total > items.length
    ? `Showing the first ${formatNumber(items.length)} of ${formatNumber(data.total)} failed rows; fix these, then come back for the rest.`
    : `${formatNumber(items.length)} failed row${items.length === 1 ? '' : 's'}.`;
  refreshButton();

  submit.onclick = async () => {
    const fixed = ready();
    if (!fixed.length) return;
    submit.disabled = true;
    const phase = $('#fix-phase', section);
    const result = $('#fix-result', section);
    result.replaceChildren();
    try {
      const receipt = await api.submitFixes(upload.upload_id,
        fixed.map((r) => ({ row_number: r.number, ...r.values() })), $('#fix-email', section).checked);
      announce(`${fixed.length} fixed rows submitted as a new upload.`);
      const done = await followSubmission(receipt, (text) => { phase.textContent = text; });
      phase.textContent = '';
      if (!done) {
        showNotice(result, 'warn', 'Still being processed', 'The new upload will show on the uploads page when it is done.');
        return;
      }
      showNotice(result, done.status === UploadStatus.Completed ? 'ok' : 'warn', 'Fixed rows resubmitted',
        el('p', {}, badge(done.status), ` The new upload has ${formatNumber(done.valid_records)} valid and ${formatNumber(done.error_records)} failed rows. `,
          el('a', { id: 'fix-upload-link', href: `upload-details.html?id=${encodeURIComponent(done.upload_id)}`, text: 'View the new upload' })));
      announce(`The fix finished: ${done.valid_records} valid, ${done.error_records} failed.`);
      await renderFixGrid(section, upload, me);
    } catch (error) {
      phase.textContent = '';
      showError(result, error, 'The fixed rows were not resubmitted');
      refreshButton();
    }
  };
}
