// index.html: GET /api/metrics?since=… for 7, 30 or 90 days.
import { api } from '../api.js';
import {
  $, announce, badge, clearNotice, el, errorTypeLabel, formatDay, formatDuration, formatNumber,
  formatPercent, params, replaceParams, setContent, showError, startProtectedPage, timeEl,
} from '../app.js';
import { barLineChart, horizontalBarChart } from '../charts.js';
import { UploadStatus } from '../words.js';

const PERIODS = ['7', '30', '90'];
const select = $('#period');
const message = $('#message');
let metrics = null;
let loadToken = 0;

/** The UTC day `days - 1` days before today, so the period has `days` days including today. */
function sinceDay(days) {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() - (days - 1));
  return d.toISOString().slice(0, 10);
}

/** Every day from `since` to today, with the API's days (which may be sparse) filled in. */
function allDays(since, daily) {
  const byDate = new Map(daily.map((d) => [String(d.date).slice(0, 10), d]));
  const out = [];
  const day = new Date(`${since}T00:00:00Z`);
  const end = new Date();
  for (let i = 0; i < 400 && day <= end; i += 1) {
    const key = day.toISOString().slice(0, 10);
    out.push(byDate.get(key) || { date: key, uploads: 0, rows: 0, valid_rows: 0, success_rate: null });
    day.setUTCDate(day.getUTCDate() + 1);
  }
  // Days the API has that fall outside the range (time zones) still show.
  for (const d of daily) if (!out.some((o) => o.date === String(d.date).slice(0, 10))) out.push(d);
  return out.sort((a, b) => String(a.date).localeCompare(String(b.date)));
}

function card(label, value, sub) {
  return el('li', { class: 'metric' },
    el('div', { class: 'label', text: label }),
    el('div', { class: 'value', text: value }),
    sub ? el('div', { class: 'sub', text: sub }) : null);
}

function renderCards(m) {
  const s = m.uploads_by_status || {};
  const statusLine = [UploadStatus.Completed, UploadStatus.Partial, UploadStatus.Failed, UploadStatus.Processing]
    .filter((k) => s[k]).map((k) => `${formatNumber(s[k])} ${k}`).join(' · ') || 'No uploads yet';
  const list = $('#metric-cards');
  setContent(list,
    card('Uploads', formatNumber(m.uploads_total), statusLine),
    card('Rows processed', formatNumber(m.rows_processed), `${formatNumber(m.valid_rows)} valid · ${formatNumber(m.error_rows)} with errors`),
    card('Success rate', formatPercent(m.success_rate), 'valid rows ÷ rows processed'),
    card('Median processing time', formatDuration(m.processing_ms ? m.processing_ms.median : null), 'from upload to email'),
    card('95th percentile time', formatDuration(m.processing_ms ? m.processing_ms.p95 : null), '95% of uploads finish faster'));
  list.removeAttribute('aria-busy');
}

function shortDay(date) {
  const [, mo, d] = String(date).split('-');
  return `${Number(d)}/${Number(mo)}`;
}

function renderDaily(m, since) {
  const host = $('#daily-chart');
  const days = allDays(since, m.daily || []);
  const total = days.reduce((sum, d) => sum + (d.uploads || 0), 0);
  if (!total) {
    setContent(host, el('p', { class: 'empty', text: 'No uploads in this period.' }));
    return;
  }
  const busiest = days.reduce((a, b) => (b.uploads > a.uploads ? b : a));
  const rated = days.filter((d) => d.success_rate !== null && d.success_rate !== undefined);
  const avg = m.success_rate;
  const description = `${total} uploads over ${days.length} days; the busiest day was ${formatDay(busiest.date)} with ${busiest.uploads}. `
    + `Success rate over the period ${formatPercent(avg)}${rated.length ? `, ranging from ${formatPercent(Math.min(...rated.map((d) => d.success_rate)))} to ${formatPercent(Math.max(...rated.map((d) => d.success_rate)))} per day` : ''}. The data table below lists every day.`;
  setContent(host, barLineChart({
    title: 'Uploads and success rate per day',
    description,
    points: days.map((d) => ({ label: formatDay(d.date), shortLabel: shortDay(d.date), bar: d.uploads || 0, line: d.success_rate ?? null })),
    barName: 'Uploads',
    lineName: 'Success rate',
    formatLine: (v) => formatPercent(v),
    width: host.clientWidth || 520,
    tableHeaders: ['Day', 'Uploads', 'Rows', 'Valid rows', 'Success rate'],
    tableRow: (p, i) => [p.label, formatNumber(days[i].uploads), formatNumber(days[i].rows), formatNumber(days[i].valid_rows), formatPercent(days[i].success_rate)],
  }));
}

function renderTypes(m) {
  const host = $('#types-chart');
  const items = (m.errors_by_type || []).filter((e) => e.count > 0).map((e) => ({ label: errorTypeLabel(e.error_type), value: e.count }));
  if (!items.length) {
    setContent(host, el('p', { class: 'empty', text: 'No row errors in this period.' }));
    return;
  }
  const total = items.reduce((s, i) => s + i.value, 0);
  const top = [...items].sort((a, b) => b.value - a.value)[0];
  setContent(host, horizontalBarChart({
    title: 'Errors by type',
    description: `${formatNumber(total)} errors of ${items.length} types; the most common is ${top.label} with ${formatNumber(top.value)}. The data table below lists every type.`,
    items,
    width: host.clientWidth || 520,
    valueName: 'errors',
    formatValue: formatNumber,
  }));
}

function renderFailures(m) {
  const host = $('#failures');
  const failures = m.recent_failures || [];
  if (!failures.length) {
    setContent(host, el('p', { class: 'empty', text: 'No failed uploads in this period.' }));
    return;
  }
  setContent(host, el('ul', { class: 'failures' }, failures.map((f) => el('li', {},
    el('div', { class: 'row1' },
      el('a', { href: `upload-details.html?id=${encodeURIComponent(f.upload_id)}`, text: f.file_name || f.upload_id }),
      badge(f.status),
      el('span', { class: 'muted small' }, timeEl(f.uploaded_at))),
    f.failure_reason ? el('div', { class: 'small', text: f.failure_reason }) : null,
    el('div', { class: 'muted small mono', text: f.upload_id })))));
}

function renderAll(since) {
  if (!metrics) return;
  renderCards(metrics);
  renderDaily(metrics, since);
  renderTypes(metrics);
  renderFailures(metrics);
}

async function load() {
  const days = Number(select.value);
  const since = sinceDay(days);
  const token = ++loadToken;
  clearNotice(message);
  $('#period-text').textContent = `Your uploads since ${formatDay(since)}.`;
  $('#metric-cards').setAttribute('aria-busy', 'true');
  try {
    const m = await api.metrics({ since });
    if (token !== loadToken) return;
    metrics = m;
    renderAll(since);
    announce(`Dashboard updated for the last ${days} days: ${formatNumber(m.uploads_total)} uploads, success rate ${formatPercent(m.success_rate)}.`);
  } catch (error) {
    if (token !== loadToken) return;
    showError(message, error, 'Could not load the dashboard');
  }
}

const initial = params().get('days');
if (PERIODS.includes(initial)) select.value = initial;
select.addEventListener('change', () => {
  replaceParams({ days: select.value === '30' ? null : select.value });
  load();
});
$('#period-form').addEventListener('submit', (e) => { e.preventDefault(); load(); });

let resizeTimer = null;
let lastWidth = window.innerWidth;
window.addEventListener('resize', () => {
  if (window.innerWidth === lastWidth) return;
  lastWidth = window.innerWidth;
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => renderAll(sinceDay(Number(select.value))), 150);
});

startProtectedPage().then(load, () => {});
