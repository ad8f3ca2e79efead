// admin-vendors.html: GET /api/admin/vendors with approve, suspend and
// activate (POST /api/admin/vendors/{id}/...) and a change of email
// (POST /api/admin/vendors/{id}/email); subscriptions follow.
import { admin } from '../api.js';
import { $, announce, clearFieldErrors, el, markFieldError, setContent, showNotice, statusLabel, tableWrap } from '../app.js';
import { consoleError, startConsolePage } from '../console.js';

startConsolePage();
const message = $('#message');

const ACTIONS = {
  pending_approval: [['approve', 'Approve']],
  active: [['suspend', 'Suspend']],
  suspended: [['activate', 'Activate']],
};

async function act(vendor, action) {
  try {
    const change = await admin.vendorAction(vendor.vendor_id, action);
    showNotice(message, 'ok', `${vendor.vendor_id} is ${statusLabel(change.status).toLowerCase()}`,
      `Was ${statusLabel(change.was).toLowerCase()}. Subscribed: ${change.subscription.subscribed.join(', ') || 'none'}; unsubscribed: ${change.subscription.unsubscribed.join(', ') || 'none'}.`);
    announce(`${vendor.vendor_id} ${change.status}.`);
    await load();
  } catch (error) {
    consoleError(message, error, `Could not ${action} ${vendor.vendor_id}`);
  }
}

/** An inline form under the vendor's row: the new address, Save, Cancel. */
function emailForm(vendor, row) {
  const inputId = `email-${vendor.vendor_id}`;
  const form = el('form', { class: 'inline-form', novalidate: true },
    el('label', { for: inputId, text: `New email for ${vendor.vendor_id}` }),
    el('input', { id: inputId, name: 'email', type: 'email', required: true, autocomplete: 'off', value: vendor.email }),
    el('button', { type: 'submit', text: 'Save email' }),
    el('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: () => { formRow.remove(); } }));
  const formRow = el('tr', { class: 'email-edit' }, el('td', { colspan: 6 }, form));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    try {
      const change = await admin.vendorEmail(vendor.vendor_id, form.email.value);
      showNotice(message, 'ok', change.changed ? `${vendor.vendor_id}'s email is now ${change.email}` : `${vendor.vendor_id}'s email was already ${change.email}`,
        `Was ${change.was}. Subscribed: ${change.subscription.subscribed.join(', ') || 'none'}; unsubscribed: ${change.subscription.unsubscribed.join(', ') || 'none'}.`);
      announce(`${vendor.vendor_id} email changed.`);
      await load();
    } catch (error) {
      if (!markFieldError(form, error)) consoleError(message, error, `Could not change ${vendor.vendor_id}'s email`);
    }
  });
  row.after(formRow);
  form.email.focus();
}

async function load() {
  try {
    const list = await admin.vendors();
    setContent($('#list'), tableWrap('Vendors', el('table', {},
      el('caption', { class: 'visually-hidden', text: 'Vendors' }),
      el('thead', {}, el('tr', {}, ['Vendor', 'Name', 'Email', 'Status', 'Email subscription', 'Action'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, list.items.map((v) => {
        const row = el('tr', {},
          el('th', { scope: 'row', class: 'mono', text: v.vendor_id }),
          el('td', { text: v.vendor_name }),
          el('td', { text: v.email }),
          el('td', { text: statusLabel(v.status) }),
          el('td', { text: v.subscribed ? 'subscribed' : 'none' }),
          el('td', {},
            (ACTIONS[v.status] || []).map(([action, label]) => el('button', {
              type: 'button', class: 'secondary', text: label, 'aria-label': `${label} ${v.vendor_id}`, onclick: () => act(v, action),
            })),
            el('button', {
              type: 'button', class: 'secondary', text: 'Change email', 'aria-label': `Change email of ${v.vendor_id}`,
              onclick: () => { if (!row.nextElementSibling?.classList.contains('email-edit')) emailForm(v, row); },
            })));
        return row;
      })))));
  } catch (error) {
    consoleError(message, error, 'Could not load the vendors');
  }
}

load();
