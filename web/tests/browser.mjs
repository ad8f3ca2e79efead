// What the browser tests share (web/tests/e2e.mjs, the vendor portal, and
// web/tests/admin-e2e.mjs, the operator console): the stack's settings, a
// tiny test runner, axe-core, screenshots, waiting for a page to settle, and
// the headless Chromium.

import { chromium } from 'playwright-core';
import axe from 'axe-core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = join(repo, 'docs/screenshots');
const TAKE_SHOTS = process.env.SCREENSHOTS !== '0';

export function readStackEnv() {
  const file = process.env.ONBOARD_STACK_ENV || '.dev/stack.env';
  const path = existsSync(file) ? resolve(file) : resolve(repo, file);
  const values = {};
  if (existsSync(path)) {
    for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith('#') || !trimmed.includes('=')) continue;
      const i = trimmed.indexOf('=');
      values[trimmed.slice(0, i).trim()] = trimmed.slice(i + 1).trim();
    }
  }
  const get = (key) => process.env[key] || values[key];
  return {
    path,
    get,
    portal: get('PORTAL_URL'),
    password: get('PORTAL_DEMO_PASSWORD'),
    database: get('DATABASE_URL'),
  };
}

export function firstVendorEmail(id) {
  const lines = readFileSync(join(repo, 'testdata/vendors.csv'), 'utf8').split(/\r?\n/);
  const row = lines.map((l) => l.split(',')).find((cells) => cells[0] === id);
  if (!row) throw new Error(`${id} is not in testdata/vendors.csv`);
  return row[2];
}

// ---- a tiny runner ---------------------------------------------------------

let passed = 0;
let failed = 0;
let blocked = null; // set when a step the rest depend on fails

export async function test(name, fn, { critical = false } = {}) {
  if (blocked) {
    failed += 1;
    console.log(`not ok - ${name} (skipped: ${blocked} failed)`);
    return;
  }
  const started = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(error && error.stack || error).split('\n').slice(0, 6).join('\n  ')}`);
    if (critical) blocked = name;
  }
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// ---- browser helpers -------------------------------------------------------

export const pageErrors = [];

export async function axeCheck(page, label) {
  await page.addScriptTag({ content: axe.source });
  const result = await page.evaluate(async () => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    resultTypes: ['violations'],
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.violations.filter((v) => !bad.includes(v));
  if (minor.length) console.log(`  # axe ${label}: ${minor.length} minor/moderate: ${minor.map((v) => v.id).join(', ')}`);
  if (bad.length) {
    const lines = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n      ${v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary.replace(/\s+/g, ' ')}`).join('\n      ')}`);
    throw new Error(`axe found ${bad.length} serious/critical violation(s) on ${label}:\n    ${lines.join('\n    ')}`);
  }
}

export async function screenshot(page, name) {
  if (!TAKE_SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Waits until the page's data has loaded (no aria-busy, no pending fetches for a moment). */
export async function settled(page) {
  await page.waitForLoadState('networkidle', { timeout: 15_000 }).catch(() => {});
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'), null, { timeout: 15_000 });
}

/** The counts so far: `N passed, N failed`. */
export function results() {
  return { passed, failed };
}

/** Headless Chromium with a fresh profile in `profile`. */
export async function launch(profile) {
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  return { context, page, executablePath };
}

/** Ends the run: prints the counts and exits non-zero on any failure. */
export function finish(run) {
  run.then(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  }, (error) => {
    console.log(`error: ${error && error.stack || error}`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  });
}
