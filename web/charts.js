// Small inline-SVG charts with a text alternative: each chart is a
// <figure> whose SVG is role="img" with a title and a description, followed
// by a <details> data table. Sized in CSS pixels of the container, so text
// stays legible; call again on resize.

import { el, tableWrap } from './app.js';

const SVG = 'http://www.w3.org/2000/svg';
let uid = 0;

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** A "nice" upper bound for an axis: 1, 2, 5 × 10^n. */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

function dataTable(caption, headers, rows) {
  return el('details', { class: 'chart-data' },
    el('summary', { text: `${caption}: data table` }),
    tableWrap(caption,
      el('table', {},
        el('caption', { class: 'visually-hidden', text: caption }),
        el('thead', {}, el('tr', {}, headers.map((h, i) => el('th', { scope: 'col', class: i ? 'num' : null, text: h })))),
        el('tbody', {}, rows.map((row) => el('tr', {}, row.map((cell, i) => (i
          ? el('td', { class: 'num', text: cell })
          : el('th', { scope: 'row', text: cell })))))))));
}

function frame(title, description, width, height) {
  const id = `chart-${++uid}`;
  const svg = svgEl('svg', {
    viewBox: `0 0 ${width} ${height}`, width, height,
    role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`,
    preserveAspectRatio: 'xMidYMid meet',
  });
  svg.append(svgEl('title', { id: `${id}-title` }, title), svgEl('desc', { id: `${id}-desc` }, description));
  return svg;
}

/**
 * Bars (counts, left axis) with a line (a 0–1 ratio, right axis) per day.
 * `points`: [{ label, shortLabel, bar, line }] where `line` may be null.
 */
export function barLineChart({ title, description, points, barName, lineName, width, height = 240, formatLine, tableHeaders, tableRow }) {
  const w = Math.max(280, Math.floor(width));
  const margin = { top: 14, right: 46, bottom: 28, left: 40 };
  const plotW = w - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const svg = frame(title, description, w, height);
  // Four gridlines at whole-number steps of 1, 2 or 5 × 10^n.
  const step = Math.max(1, niceMax(Math.max(0, ...points.map((p) => p.bar)) / 4));
  const maxBar = step * 4;
  const n = Math.max(points.length, 1);
  const slot = plotW / n;
  const barW = Math.max(2, Math.min(28, slot * 0.7));
  const x = (i) => margin.left + slot * i + slot / 2;
  const yBar = (v) => margin.top + plotH - (v / maxBar) * plotH;
  const yLine = (v) => margin.top + plotH - v * plotH;

  const axis = svgEl('g', { class: 'axis', 'aria-hidden': 'true' });
  for (let t = 0; t <= 4; t += 1) {
    const y = margin.top + plotH - (plotH * t) / 4;
    axis.append(svgEl('line', { class: 'gridline', x1: margin.left, x2: margin.left + plotW, y1: y, y2: y }));
    const barTick = (maxBar * t) / 4;
    axis.append(svgEl('text', { x: margin.left - 6, y: y + 4, 'text-anchor': 'end' }, barTick));
    axis.append(svgEl('text', { x: margin.left + plotW + 6, y: y + 4, 'text-anchor': 'start' }, `${t * 25}%`));
  }
  // Date labels: as many as fit without overlapping.
  const every = Math.max(1, Math.ceil(n / Math.floor(plotW / 56)));
  points.forEach((p, i) => {
    if (i % every === 0) {
      axis.append(svgEl('text', { x: x(i), y: height - 8, 'text-anchor': 'middle' }, p.shortLabel || p.label));
    }
  });
  axis.append(svgEl('line', { class: 'baseline', x1: margin.left, x2: margin.left + plotW, y1: margin.top + plotH, y2: margin.top + plotH }));
  svg.append(axis);

  const bars = svgEl('g', { 'aria-hidden': 'true' });
  points.forEach((p, i) => {
    if (p.bar > 0) {
      const y = yBar(p.bar);
      const rect = svgEl('rect', { class: 'bar', x: x(i) - barW / 2, y, width: barW, height: margin.top + plotH - y, rx: 2 });
      rect.append(svgEl('title', {}, `${p.label}: ${p.bar} ${barName}`));
      bars.append(rect);
    }
  });
  svg.append(bars);

  // The line joins the days that have a ratio; days without rows have none.
  const line = svgEl('g', { 'aria-hidden': 'true' });
  const joined = points.map((p, i) => (p.line === null || p.line === undefined ? null : `${x(i)},${yLine(p.line)}`)).filter(Boolean);
  if (joined.length > 1) line.append(svgEl('polyline', { class: 'line', points: joined.join(' ') }));
  points.forEach((p, i) => {
    if (p.line === null || p.line === undefined) return;
    const dot = svgEl('circle', { class: 'point', cx: x(i), cy: yLine(p.line), r: 3.5 });
    dot.append(svgEl('title', {}, `${p.label}: ${lineName} ${formatLine(p.line)}`));
    line.append(dot);
  });
  svg.append(line);

  const legend = el('ul', { class: 'chart-legend', 'aria-hidden': 'true' },
    el('li', {}, el('span', { class: 'swatch bars' }), `${barName} (left axis)`),
    el('li', {}, el('span', { class: 'swatch line' }), `${lineName} (right axis)`));
  return el('figure', { class: 'chart' }, legend, svg,
    dataTable(title, tableHeaders, points.map(tableRow)));
}

/** Horizontal bars, one per item, largest first: [{ label, value }]. */
export function horizontalBarChart({ title, description, items, width, valueName, formatValue = String }) {
  const w = Math.max(280, Math.floor(width));
  const sorted = [...items].sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
  const stacked = w < 480; // narrow: each label sits above its bar
  const rowH = stacked ? 42 : 30;
  const labelW = stacked ? 0 : Math.min(220, Math.max(120, Math.floor(w * 0.38)));
  const valueW = 48;
  const height = Math.max(rowH, sorted.length * rowH) + 4;
  const svg = frame(title, description, w, height);
  const max = Math.max(1, ...sorted.map((i) => i.value));
  const plotW = w - labelW - valueW;
  const group = svgEl('g', { 'aria-hidden': 'true' });
  sorted.forEach((item, i) => {
    const y = i * rowH + 2;
    const barLen = Math.max(2, (item.value / max) * plotW);
    const barY = stacked ? y + 20 : y + 5;
    const barH = stacked ? 16 : rowH - 10;
    if (stacked) group.append(svgEl('text', { class: 'label-text', x: 0, y: y + 13 }, item.label));
    else group.append(svgEl('text', { class: 'label-text', x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end' }, item.label.length > 34 ? `${item.label.slice(0, 32)}…` : item.label));
    const rect = svgEl('rect', { class: 'bar hbar', x: labelW, y: barY, width: barLen, height: barH, rx: 3 });
    rect.append(svgEl('title', {}, `${item.label}: ${formatValue(item.value)} ${valueName}`));
    group.append(rect);
    group.append(svgEl('text', { class: 'value-text', x: labelW + barLen + 6, y: barY + barH / 2 + 4 }, formatValue(item.value)));
  });
  svg.append(group);
  return el('figure', { class: 'chart' }, svg,
    dataTable(title, ['Error type', valueName.charAt(0).toUpperCase() + valueName.slice(1)], sorted.map((i) => [i.label, formatValue(i.value)])));
}
