// admin-vendors.html: GET /api/admin/vendors with approve, suspend and
// activate (POST /api/admin/vendors/{id}/...); subscriptions follow.
import { admin } from '../api.js';
import { $, announce, el, setContent, showNotice, statusLabel, tableWrap } from '../app.js';
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

async function load() {
  try {
    const list = await admin.vendors();
    setContent($('#list'), tableWrap('Vendors', el('table', {},
      el('caption', { class: 'visually-hidden', text: 'Vendors' }),
      el('thead', {}, el('tr', {}, ['Vendor', 'Name', 'Email', 'Status', 'Email subscription', 'Action'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, list.items.map((v) => el('tr', {},
        el('th', { scope: 'row', class: 'mono', text: v.vendor_id }),
        el('td', { text: v.vendor_name }),
        el('td', { text: v.email }),
        el('td', { text: statusLabel(v.status) }),
        el('td', { text: v.subscribed ? 'subscribed' : 'none' }),
        el('td', {}, (ACTIONS[v.status] || []).map(([action, label]) => el('button', {
          type: 'button', class: 'secondary', text: label, 'aria-label': `${label} ${v.vendor_id}`, onclick: () => act(v, action),
        })))))))));
  } catch (error) {
    consoleError(message, error, 'Could not load the vendors');
  }
}

load();
