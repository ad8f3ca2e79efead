// product-new.html: one product, validated as the vendor types by the API
// (POST /api/products/validate, the pipeline's rules), each error beside its
// field; submitted as a one-row upload (POST /api/products) and followed
// through the pipeline. No email unless "Email me the result" is ticked.
import { api } from '../api.js';
import {
  $, announce, badge, clearNotice, el, formatNumber, setContent, showError, showNotice,
  startProtectedPage,
} from '../app.js';
import { COLUMNS, errorsByField, followSubmission, liveValidator } from '../product-fields.js';
import { VendorStatus } from '../words.js';

const form = $('#product-form');
const message = $('#message');
const phase = $('#phase');
const submitButton = $('#submit');
// Errors show for fields the vendor has been in (all of them after a try
// to submit), so the first keystroke does not paint the form red.
const touched = new Set();
let busy = false;

const inputId = (name) => `f-${name}`;

function buildFields() {
  setContent($('#fields'), COLUMNS.map((c) => {
    const id = inputId(c.name);
    const input = el('input', {
      id, name: c.name, type: c.name === 'image_url' ? 'url' : 'text', autocomplete: 'off',
      'aria-describedby': `${id}-hint ${id}-error`, 'aria-required': c.required ? 'true' : null,
      list: c.name === 'category' ? 'category-options' : null,
      inputmode: ['price', 'compare_at_price', 'weight_kg'].includes(c.name) ? 'decimal' : c.name === 'stock_quantity' ? 'numeric' : null,
    });
    return el('div', { class: 'form-row' },
      el('label', { for: id }, c.label, c.required ? el('span', { class: 'muted', text: ' (required)' }) : null),
      input,
      el('p', { id: `${id}-hint`, class: 'hint', text: c.hint }),
      el('p', { id: `${id}-error`, class: 'field-error' }));
  }), el('datalist', { id: 'category-options' }));
}

const mode = () => form.querySelector('input[name="mode"]:checked')?.value || 'create';

function values() {
  const product = {};
  for (const c of COLUMNS) product[c.name] = form.elements[c.name].value;
  return product;
}

/** Puts each error beside its field (only for touched fields). */
function showVerdict(verdict) {
  const byField = errorsByField(verdict.errors);
  for (const c of COLUMNS) {
    const input = form.elements[c.name];
    const errors = touched.has(c.name) ? byField.get(c.name) || [] : [];
    const box = $(`#${inputId(c.name)}-error`);
    box.textContent = errors.map((e) => e.message).join(' ');
    if (errors.length) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  const rowLevel = byField.get(null) || [];
  if (rowLevel.length) showNotice(message, 'error', 'This product cannot be added', ...rowLevel.map((e) => e.message));
}

const validator = liveValidator(mode, showVerdict, (error) => showError(message, error, 'Could not check the product'));

form.addEventListener('input', (event) => {
  if (busy) return;
  if (event.target.name && event.target.name !== 'email_result') {
    if (event.target.name !== 'mode') touched.add(event.target.name);
    validator.schedule(values());
  }
});
form.addEventListener('focusout', (event) => {
  const name = event.target.name;
  if (name && COLUMNS.some((c) => c.name === name) && !touched.has(name)) {
    touched.add(name);
    validator.schedule(values());
  }
});

function renderResult(upload, receipt) {
  const product = values();
  const detailsLink = el('a', { class: 'button', href: `upload-details.html?id=${encodeURIComponent(upload.upload_id)}`, text: 'View the upload' });
  const done = upload.valid_records > 0;
  setContent($('#result'),
    el('p', {}, el('span', { class: 'visually-hidden', text: 'Status: ' }), badge(upload.status), ' ',
      done
        ? `${product.sku} was ${upload.updated_records ? 'updated' : upload.unchanged_records ? 'already up to date' : 'added'}.`
        : `${product.sku} was not added: ${upload.failure_reason || 'see the upload for its errors'}.`),
    el('p', { class: 'muted small', text: receipt.email_requested ? 'The result is also on its way by email.' : 'No email was sent, as you did not ask for one.' }),
    el('div', { class: 'button-row' },
      detailsLink,
      done ? el('a', { class: 'button secondary', href: `catalog.html?q=${encodeURIComponent(product.sku)}`, text: 'See it in the catalog' }) : null));
  $('#result-card').hidden = false;
  announce(done ? `Product ${product.sku} saved: ${formatNumber(upload.valid_records)} valid row.` : `Product ${product.sku} was not saved.`);
  $('#result-card').focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (busy) return;
  clearNotice(message);
  $('#result-card').hidden = true;
  for (const c of COLUMNS) touched.add(c.name);
  let verdict;
  try {
    verdict = await validator.now(values());
  } catch {
    return;
  }
  if (!verdict.valid) {
    const first = COLUMNS.find((c) => errorsByField(verdict.errors).has(c.name));
    if (first) form.elements[first.name].focus();
    announce(`The product has ${verdict.errors.length} problem${verdict.errors.length === 1 ? '' : 's'} to fix.`);
    return;
  }
  busy = true;
  submitButton.disabled = true;
  try {
    const receipt = await api.submitProduct({ ...values(), mode: mode(), email_result: form.elements.email_result.checked });
    announce('Product submitted. Waiting for the pipeline.');
    const upload = await followSubmission(receipt, (text) => { phase.textContent = text; });
    phase.textContent = upload ? 'Finished.' : '';
    if (!upload) {
      showNotice(message, 'warn', 'Still being processed', el('p', {}, 'It will show on ', el('a', { href: 'uploads.html', text: 'the uploads page' }), ' when it is done.'));
      return;
    }
    renderResult(upload, receipt);
  } catch (error) {
    phase.textContent = '';
    showError(message, error, 'The product was not submitted');
  } finally {
    busy = false;
    submitButton.disabled = false;
  }
});

$('#reset').addEventListener('click', () => {
  form.reset();
  touched.clear();
  showVerdict({ valid: false, errors: [] });
  clearNotice(message);
  $('#result-card').hidden = true;
  phase.textContent = '';
  form.elements[COLUMNS[0].name].focus();
});

buildFields();
startProtectedPage().then(async (me) => {
  if (me && me.status !== VendorStatus.Active) submitButton.disabled = true;
  try {
    const { items } = await api.categories();
    setContent($('#category-options'), items.map((c) => el('option', { value: c })));
  } catch {
    // Suggestions only.
  }
}, () => {});
