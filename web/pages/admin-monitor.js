// admin-monitor.html: GET /api/admin/monitor every 2 s: per function the
// invocations, errors, error rate, p50/p95/max duration, cold starts and
// throttles, a chart of invocations with the error rate, and the
// dead-letter queues' depths.
import { admin } from '../api.js';
import { $, clearNotice, el, formatNumber, formatPercent, setContent, tableWrap } from '../app.js';
import { barLineChart } from '../charts.js';
import { consoleError, ms, poll, startConsolePage } from '../console.js';

startConsolePage();
const message = $('#message');
const select = $('#window');
const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });
let lastShape = '';

function renderTable(functions) {
  setContent($('#table'), tableWrap('Functions table', el('table', {},
    el('caption', { class: 'visually-hidden', text: 'Pipeline functions over the window' }),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Function' }),
      ['Invocations', 'Errors', 'Error rate', 'p50', 'p95', 'Max', 'Cold starts', 'Throttles'].map((h) => el('th', { scope: 'col', class: 'num', text: h })),
      el('th', { scope: 'col', text: 'Pipeline counts' }))),
    el('tbody', {}, functions.map((f) => el('tr', {},
      el('th', { scope: 'row', text: f.function }),
      el('td', { class: 'num', text: formatNumber(f.invocations) }),
      el('td', { class: 'num', text: formatNumber(f.errors) }),
      el('td', { class: 'num', text: formatPercent(f.error_rate) }),
      el('td', { class: 'num', text: ms(f.duration_ms.p50) }),
      el('td', { class: 'num', text: ms(f.duration_ms.p95) }),
      el('td', { class: 'num', text: ms(f.duration_ms.max) }),
      el('td', { class: 'num', text: formatNumber(f.cold_starts) }),
      el('td', { class: 'num', text: formatNumber(f.throttles) }),
      // The function's own embedded metrics (RowsParsed, ProductsValidated…).
      el('td', { text: Object.entries(f.counts).map(([name, total]) => `${name} ${formatNumber(total)}`).join(', ') || '—' })))))));
}

function renderCharts(data) {
  // Charts are rebuilt only when their numbers change, so a reader's
  // focus or open data table is not lost every 2 seconds.
  const shape = JSON.stringify(data.functions.map((f) => f.series));
  if (shape === lastShape) return;
  lastShape = shape;
  const host = $('#charts');
  const long = data.step_s >= 3600;
  const label = (t) => (long ? dateTime : time).format(new Date(t));
  setContent(host, data.functions.map((f) => el('div', { class: 'card' },
    el('h3', { text: f.function }),
    barLineChart({
      title: `${f.function}: invocations and error rate`,
      description: `${formatNumber(f.invocations)} invocations and ${formatNumber(f.errors)} errors in the window, per ${data.step_s / 60}-minute step.`,
      points: f.series.map((p) => ({ label: label(p.t), shortLabel: label(p.t), bar: p.invocations, line: p.invocations ? p.errors / p.invocations : null })),
      barName: 'Invocations',
      lineName: 'Error rate',
      formatLine: (v) => formatPercent(v),
      width: Math.max(300, (host.clientWidth || 640) / Math.min(3, data.functions.length) - 24),
      height: 200,
      tableHeaders: ['Time', 'Invocations', 'Errors'],
      tableRow: (p, i) => [p.label, formatNumber(f.series[i].invocations), formatNumber(f.series[i].errors)],
    }))));
}

let loadFailed = false;
async function refresh() {
  try {
    const data = await admin.monitor({ window: select.value });
    if (loadFailed) clearNotice(message);
    loadFailed = false;
    setContent($('#queues'), data.dead_letters.map((q) => el('li', {},
      el('strong', { text: formatNumber(q.depth) }),
      el('a', { href: 'admin-dead-letters.html', text: `${q.queue} dead letters` }))));
    renderTable(data.functions);
    renderCharts(data);
  } catch (error) {
    loadFailed = true;
    consoleError(message, error, 'Could not load the monitor');
    throw error;
  }
}

let stop = poll(refresh);
select.addEventListener('change', () => {
  lastShape = '';
  stop();
  stop = poll(refresh);
});
