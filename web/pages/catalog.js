// catalog.html: GET /api/products with q and category, cursor pagination.
import { api } from '../api.js';
import {
  $, tableWrap, announce, clearNotice, el, formatNumber, params, replaceParams, setContent, showError,
  startProtectedPage, statusLabel, timeEl,
} from '../app.js';

const PAGE = 20;
const form = $('#search');
const list = $('#list');
const more = $('#more');
const count = $('#count');
const message = $('#message');
let cursor = null;
let shown = 0;
let tbody = null;
let token = 0;

function query() {
  return { q: form.q.value.trim(), category: form.category.value.trim() };
}

// The approved categories, as suggestions for the category filter.
async function loadCategories() {
  try {
    const { items } = await api.categories();
    setContent($('#category-options'), items.map((c) => el('option', { value: c })));
  } catch {
    // Suggestions only: the filter still works by typing.
  }
}

// The product's updates by upserts, in a row under it; the button toggles it.
async function toggleHistory(button, p) {
  const tr = button.closest('tr');
  const open = tr.nextElementSibling?.classList.contains('history-row');
  if (open) {
    tr.nextElementSibling.remove();
    button.setAttribute('aria-expanded', 'false');
    return;
  }
  button.setAttribute('aria-expanded', 'true');
  const cell = el('td', { colspan: '9', text: 'Loading the price history…' });
  tr.after(el('tr', { class: 'history-row' }, cell));
  try {
    const { items } = await api.productHistory(p.sku);
    setContent(cell, items.length
      ? el('table', { class: 'history' },
        el('caption', { text: `Price and stock changes of ${p.sku}, newest first` }),
        el('thead', {}, el('tr', {}, ['Changed', 'Price before', 'Price after', 'Stock before', 'Stock after', 'Upload']
          .map((h) => el('th', { scope: 'col', text: h })))),
        el('tbody', {}, items.map((c) => el('tr', {},
          el('td', {}, timeEl(c.changed_at)),
          el('td', { class: 'num', text: c.previous_price }),
          el('td', { class: 'num', text: c.price }),
          el('td', { class: 'num', text: formatNumber(c.previous_stock_quantity) }),
          el('td', { class: 'num', text: formatNumber(c.stock_quantity) }),
          el('td', {}, el('a', { href: `upload-details.html?id=${encodeURIComponent(c.upload_id)}`, text: 'Upload' }))))))
      : el('p', { class: 'muted', text: 'No changes yet: the product is as its first upload created it.' }));
  } catch (error) {
    setContent(cell, el('p', { text: `Could not load the price history: ${error.message}` }));
  }
}

function row(p) {
  const history = el('button', { type: 'button', class: 'secondary small', 'aria-expanded': 'false', text: 'History' });
  history.addEventListener('click', () => toggleHistory(history, p));
  return el('tr', {},
    el('td', {}, el('div', { text: p.product_name }), p.brand ? el('div', { class: 'muted small', text: p.brand }) : null),
    el('td', { class: 'mono nowrap', text: p.sku }),
    el('td', { class: 'mono nowrap', text: p.vendor_product_id }),
    el('td', {}, el('div', { text: p.category }), p.subcategory ? el('div', { class: 'muted small', text: p.subcategory }) : null),
    el('td', { class: 'num', text: p.price }),
    el('td', { class: 'num', text: formatNumber(p.stock_quantity) }),
    el('td', { text: statusLabel(p.status) }),
    el('td', { class: 'nowrap' }, timeEl(p.created_at),
      p.upload_id ? el('div', { class: 'small' }, el('a', { href: `upload-details.html?id=${encodeURIComponent(p.upload_id)}`, text: 'From upload' })) : null),
    el('td', {}, history));
}

function table() {
  tbody = el('tbody');
  return tableWrap('Products table', el('table', {},
    el('caption', { class: 'visually-hidden', text: 'Products' }),
    el('thead', {}, el('tr', {},
      ['Product', 'SKU', 'Vendor product ID', 'Category', 'Price', 'Stock', 'Status', 'Added', 'Price history']
        .map((h) => el('th', { scope: 'col', class: h === 'Price' || h === 'Stock' ? 'num' : null, text: h })))),
    tbody));
}

async function load(reset) {
  const mine = ++token;
  const q = query();
  clearNotice(message);
  more.disabled = true;
  list.setAttribute('aria-busy', 'true');
  try {
    const page = await api.products({ ...q, limit: PAGE, cursor: reset ? null : cursor });
    if (mine !== token) return;
    if (reset) { shown = 0; setContent(list, table()); }
    for (const p of page.items || []) tbody.append(row(p));
    shown += (page.items || []).length;
    cursor = page.next_cursor || null;
    more.hidden = !cursor;
    if (!shown) {
      setContent(list, el('div', { class: 'card empty', text: q.q || q.category ? 'No products match this search.' : 'No products yet. Products appear here once an upload has valid rows.' }));
    }
    count.textContent = shown ? `Showing ${formatNumber(shown)} product${shown === 1 ? '' : 's'}${cursor ? '; more are available' : ''}.` : '';
    if (!reset) announce(`Loaded ${formatNumber((page.items || []).length)} more products.`);
  } catch (error) {
    if (mine === token) showError(message, error, 'Could not load the catalog');
  } finally {
    if (mine === token) { more.disabled = false; list.removeAttribute('aria-busy'); }
  }
}

const p = params();
form.q.value = p.get('q') || '';
form.category.value = p.get('category') || '';

form.addEventListener('submit', (event) => {
  event.preventDefault();
  replaceParams(query());
  load(true);
});
$('#clear').addEventListener('click', () => {
  form.reset();
  replaceParams({ q: null, category: null });
  load(true);
});
more.addEventListener('click', () => load(false));

startProtectedPage().then(() => { loadCategories(); load(true); }, () => {});
