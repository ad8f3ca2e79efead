// The vendor portal in a real browser, against a running stack.
//
//   node web/tests/e2e.mjs
//
// Reads PORTAL_URL and PORTAL_DEMO_PASSWORD from the file named by
// ONBOARD_STACK_ENV (default .dev/stack.env; variables already set in the
// environment win). Drives Debian's Chromium (/usr/bin/chromium, or
// CHROMIUM_PATH) with playwright-core: logs in as VEND001, checks the
// client-side header check, uploads testdata/samples/VEND001_products.csv,
// follows it to `partial`, reads the errors, downloads the report, makes the
// stack's database refuse connections (ALLOW_CONNECTIONS false, with psql on
// the stack's DATABASE_URL) to see the "waking up" banner and the page
// recover by itself once it is allowed again, adds a product through the
// form, fixes two failed rows in the grid and resubmits them, uploads JSON in
// upsert mode and reads the price history, logs out.
// Runs axe-core on every main page (fails on serious/critical violations)
// and writes screenshots to docs/screenshots/ (SCREENSHOTS=0 skips them).
// Prints `N passed, N failed` last and exits non-zero on any failure.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assert, axeCheck, finish, firstVendorEmail, launch, pageErrors, readStackEnv, repo, screenshot, settled, test,
} from './browser.mjs';

const REPORT_HEADER = 'Row Number,Vendor Product ID,SKU,Product Name,Error Type,Error Message,Price,Stock Quantity';
const SAMPLE = join(repo, 'testdata/samples/VEND001_products.csv');

// ---- the run ---------------------------------------------------------------

async function main() {
  const stack = readStackEnv();
  if (!stack.portal || !stack.password) {
    console.log(`PORTAL_URL and PORTAL_DEMO_PASSWORD must be set (in the environment or in ${stack.path})`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const base = stack.portal.replace(/\/+$/, '');
  const at = (page) => `${base}/${page}`;
  const email = firstVendorEmail('VEND001');
  const profile = mkdtempSync(join(tmpdir(), 'portal-e2e-'));
  const work = mkdtempSync(join(tmpdir(), 'portal-e2e-files-'));
  const { context, page, executablePath } = await launch(profile);
  console.log(`# portal ${base}, browser ${executablePath}`);

  let uploadId = null;
  try {
    await test('health: the API answers', async () => {
      const res = await page.request.get(`${base}/api/health`);
      assert(res.ok(), `GET /api/health answered ${res.status()}`);
    }, { critical: true });

    await test('a protected page without a session goes to login', async () => {
      await page.goto(at('uploads.html'));
      await page.waitForURL(/\/login\.html\?next=/);
      const next = new URL(page.url()).searchParams.get('next');
      assert(next && next.endsWith('uploads.html'), `next is ${next}`);
    });

    await test('login page: accessible, screenshot', async () => {
      await page.goto(at('login.html'));
      await page.getByLabel('Email').waitFor();
      await axeCheck(page, 'login.html');
      await screenshot(page, 'login');
    });

    await test('sign-up page: accessible', async () => {
      await page.goto(at('signup.html'));
      await page.getByLabel('Company name').waitFor();
      await axeCheck(page, 'signup.html');
    });

    await test('wrong password shows the problem detail', async () => {
      await page.goto(at('login.html'));
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(`${stack.password}-wrong`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.locator('#message[role="alert"]').waitFor();
      const text = await page.locator('#message').innerText();
      assert(text.trim().length > 0, 'no error message shown');
    });

    await test('1. log in as VEND001', async () => {
      await page.goto(at('login.html'));
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(stack.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/(index\.html)?(\?.*)?$/);
      await page.locator('#vendor-name').filter({ hasText: /\S/ }).waitFor();
      const name = await page.locator('#vendor-name').innerText();
      assert(name === 'TechGear', `header shows vendor ${name}`);
      const cookies = await context.cookies(`${base}/api/me`);
      assert(cookies.some((c) => c.name === 'onboard_session' && c.httpOnly), 'no HttpOnly onboard_session cookie');
      const exposed = await page.evaluate(() => document.cookie);
      assert(!/onboard_/.test(exposed), 'session cookie is visible to scripts');
    }, { critical: true });

    await test('upload page rejects a file missing a required column, naming it', async () => {
      const bad = join(work, 'missing_sku.csv');
      writeFileSync(bad, 'vendor_product_id,Product Name,category,price,stock_quantity\nP1,Mouse,Electronics,9.99,3\n');
      await page.goto(at('upload.html'));
      await settled(page);
      await page.locator('#file').setInputFiles(bad);
      const message = page.locator('#message[role="alert"]');
      await message.waitFor();
      const text = await message.innerText();
      assert(/missing the required column: sku\b/.test(text), `message was: ${text}`);
      assert(await page.locator('#start').isDisabled(), 'Upload button is enabled for a bad file');
      const notCsv = join(work, 'products.txt');
      writeFileSync(notCsv, readFileSync(SAMPLE));
      await page.locator('#file').setInputFiles(notCsv);
      await page.locator('#message').filter({ hasText: 'not a .csv, .json, .jsonl or .ndjson file' }).waitFor();
    });

    await test('upload page: accessible', async () => {
      await page.goto(at('upload.html'));
      await settled(page);
      await axeCheck(page, 'upload.html');
    });

    await test('2–3. upload VEND001_products.csv and watch it reach partial', async () => {
      await page.goto(at('upload.html'));
      await settled(page);
      await page.locator('#file').setInputFiles(SAMPLE);
      await page.locator('#file-summary').filter({ hasText: 'Header OK' }).waitFor();
      await page.getByRole('button', { name: 'Upload file' }).click();
      const summary = page.locator('#summary-card');
      await summary.waitFor({ state: 'visible', timeout: 180_000 });
      const status = await summary.locator('.badge').first().innerText();
      assert(status === 'Partial', `the upload ended as ${status}: ${await page.locator('#summary').innerText()}`);
      const href = await summary.getByRole('link', { name: 'View details and errors' }).getAttribute('href');
      uploadId = new URL(href, base).searchParams.get('id');
      assert(/^UPLOAD_\d{8}_\d{6}_[0-9A-F]{12}$/.test(uploadId), `unexpected upload id ${uploadId}`);
      await screenshot(page, 'upload');
    }, { critical: true });

    await test('4. details: errors table, filter, report download', async () => {
      await page.getByRole('link', { name: 'View details and errors' }).click();
      await page.waitForURL(/upload-details\.html\?id=/);
      const rows = page.locator('#errors-table tbody tr');
      await rows.first().waitFor();
      const count = await rows.count();
      assert(count > 0, 'no error rows');
      const first = await rows.first().locator('.error-type').innerText();
      assert(/^[A-Z_]+$/.test(first.trim()), `first error type cell is ${first}`);
      // The status turns partial a moment before the email goes out (the
      // "notified" stage): reload until the timeline has caught up.
      let stages = 0;
      for (let tries = 0; tries < 20; tries += 1) {
        stages = await page.locator('#timeline li.done').count();
        if (stages === 5) break;
        await page.waitForTimeout(500);
        await page.reload();
        await page.locator('#errors-table tbody tr').first().waitFor();
      }
      assert(stages === 5, `expected 5 finished stages, saw ${stages}`);
      await settled(page);
      await axeCheck(page, 'upload-details.html');
      await screenshot(page, 'upload-details');

      // Filter by one type: every row then has it.
      const options = await page.locator('#error-type option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
      assert(options.length > 0, 'no error types to filter by');
      await page.locator('#error-type').selectOption(options[0]);
      await page.waitForFunction((type) => {
        const cells = [...document.querySelectorAll('#errors-table tbody tr .error-type')];
        return cells.length > 0 && cells.every((c) => c.textContent.trim() === type);
      }, options[0]);

      const link = page.getByRole('link', { name: 'Download error report' });
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), link.click()]);
      const path = join(work, 'report.csv');
      await download.saveAs(path);
      const header = readFileSync(path, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0];
      assert(header === REPORT_HEADER, `report header is ${header}`);
    });

    // Issue 15: one product through the form, validated as it is typed by
    // the API (the pipeline's rules), each error beside its field; then in
    // the catalog. Ids are unique per run: the database may be reused.
    const run = Date.now().toString(36).toUpperCase();
    const formSku = `FORM-${run}`;
    // The form's text boxes by their label's start ("Price (required)"); the
    // mode's radio labels mention some of the same words.
    // Category suggests the approved categories: a combobox.
    const field = (label) => page.getByRole(label === 'Category' ? 'combobox' : 'textbox', { name: new RegExp(`^${label}`) });
    await test('add one product through the form; it is in the catalog', async () => {
      await page.goto(at('catalog.html'));
      await settled(page);
      await page.getByRole('link', { name: 'Add a product' }).click();
      await page.waitForURL(/product-new\.html$/);
      await settled(page);
      const price = field('Price');
      await price.fill('$19.99');
      await page.locator('#f-price[aria-invalid="true"]').waitFor();
      const priceError = await page.locator('#f-price-error').innerText();
      assert(/price/i.test(priceError), `the price error says: ${priceError}`);
      const described = await price.getAttribute('aria-describedby');
      assert(described.split(' ').includes('f-price-error'), `aria-describedby is ${described}`);
      await field('SKU').fill(formSku);
      await field('Category').fill('Gadgets');
      await field('Category').blur();
      await page.locator('#f-category[aria-invalid="true"]').waitFor();
      await axeCheck(page, 'product-new.html (errors shown)');
      await screenshot(page, 'product-new');
      await field('Vendor product ID').fill(`FORM${run}`);
      await field('Product name').fill('Desk Lamp (form)');
      await field('Category').fill('Electronics');
      await price.fill('19.99');
      await field('Stock quantity').fill('7');
      await page.waitForFunction(() => !document.querySelector('#product-form [aria-invalid="true"]'));
      await page.getByRole('button', { name: 'Add product' }).click();
      const result = page.locator('#result-card');
      await result.waitFor({ state: 'visible', timeout: 180_000 });
      const status = await result.locator('.badge').first().innerText();
      assert(status === 'Completed', `the form's upload ended as ${status}: ${await result.innerText()}`);
      assert((await result.innerText()).includes('No email was sent'), 'the result does not say no email was sent');
      await axeCheck(page, 'product-new.html (result)');
      await page.getByRole('link', { name: 'See it in the catalog' }).click();
      await page.waitForURL(/catalog\.html\?q=/);
      await settled(page);
      const skus = await page.locator('#list tbody tr td:nth-child(2)').allInnerTexts();
      assert(skus.includes(formSku), `the catalog shows ${skus.join(', ')}`);
    });

    // Issue 15: two failed rows of the partial upload fixed in the grid and
    // resubmitted: a new upload of exactly those rows, complete, linked.
    await test('fix two failed rows in the grid and resubmit; the new upload completes with 2 valid rows', async () => {
      assert(uploadId, 'no upload from step 2');
      await page.goto(at(`upload-details.html?id=${uploadId}`));
      await page.locator('#fix-table tbody tr').first().waitFor();
      await settled(page);
      await axeCheck(page, 'upload-details.html (fix grid)');
      // Keyboard: every cell is a labelled input; Enter moves down the column.
      const first = page.locator('#fix-table tbody tr').first().locator('input[name="price"]');
      const name = await first.evaluate((input) => input.labels.length || [...input.getAttribute('aria-labelledby').split(' ')].map((id) => document.getElementById(id).textContent).join(' '));
      assert(/Price Row \d+/.test(name), `the first price cell is labelled ${name}`);
      await first.focus();
      await page.keyboard.press('Enter');
      const moved = await page.evaluate(() => document.activeElement.id);
      assert(/^fx-\d+-price$/.test(moved) && moved !== await first.getAttribute('id'), `Enter moved focus to ${moved}`);
      const good = (field, n) => ({
        vendor_product_id: `FIX${run}${n}`, sku: `FIX-${run}-${n}`, product_name: `Fixed product ${n}`,
        category: 'Electronics', price: '10.00', stock_quantity: '5',
      })[field] ?? '';
      const rows = page.locator('#fix-table tbody tr');
      const fixedSkus = [];
      const count = await rows.count();
      for (let i = 0; i < count && fixedSkus.length < 2; i += 1) {
        const row = rows.nth(i);
        if ((await row.locator('th .field-error').innerText()).trim()) continue; // a malformed row
        const n = await row.getAttribute('data-row');
        const bad = await row.locator('input[aria-invalid="true"]').evaluateAll((inputs) => inputs.map((x) => x.name));
        if (!bad.length) continue;
        for (const field of bad) await row.locator(`input[name="${field}"]`).fill(good(field, n));
        if (bad.includes('price')) await row.locator('input[name="compare_at_price"]').fill('');
        await row.locator('.row-state').filter({ hasText: /Ready to resubmit|Still/ }).waitFor();
        if ((await row.locator('.row-state').innerText()).includes('Ready')) {
          fixedSkus.push(await row.locator('input[name="sku"]').inputValue());
        }
      }
      assert(fixedSkus.length === 2, `only ${fixedSkus.length} rows could be fixed`);
      // Rows edited but still in error are not resubmitted: only the two.
      const button = page.getByRole('button', { name: 'Resubmit fixed rows (2)' });
      await button.click();
      const result = page.locator('#fix-result');
      await result.filter({ hasText: 'Fixed rows resubmitted' }).waitFor({ timeout: 180_000 });
      const text = await result.innerText();
      assert(/Completed/.test(text) && /2 valid and 0 failed rows/.test(text), `the fix ended: ${text}`);
      await page.locator('#fix-table a.fixed-by').nth(1).waitFor();
      assert(await page.locator('#fix-table a.fixed-by').count() === 2, 'the grid does not show the two rows as fixed');
      await axeCheck(page, 'upload-details.html (after the fix)');
      await screenshot(page, 'upload-details-fix');
      await page.locator('#fix-upload-link').click();
      await page.waitForURL(/upload-details\.html\?id=/);
      await page.locator('#fixes-original').waitFor();
      assert(await page.locator('#fixes-original').innerText() === uploadId, 'the new upload does not link the original');
      assert(await page.locator('#fix-section').isHidden(), 'the complete fix shows a grid of failed rows');
      await page.goto(at('catalog.html'));
      await settled(page);
      for (const sku of fixedSkus) {
        await page.getByLabel('Search by name or SKU').fill(sku);
        await page.getByRole('button', { name: 'Search' }).click();
        await settled(page);
        const skus = await page.locator('#list tbody tr td:nth-child(2)').allInnerTexts();
        assert(skus.includes(sku), `the catalog has no ${sku}: ${skus.join(', ')}`);
      }
    });

    // Issue 15: a JSON file in upsert mode updates the form's product, and
    // the catalog shows its price history.
    await test('a JSON upload in upsert mode updates a product; the catalog shows its history', async () => {
      const file = join(work, 'price-update.json');
      writeFileSync(file, JSON.stringify([{
        vendor_product_id: `FORM${run}`, product_name: 'Desk Lamp (form)', category: 'Electronics',
        sku: formSku, price: '17.50', stock_quantity: 9,
      }]));
      await page.goto(at('upload.html'));
      await settled(page);
      await page.locator('#file').setInputFiles(file);
      await page.locator('#file-summary').filter({ hasText: 'Header OK' }).waitFor();
      await page.getByLabel(/Update my existing products/).check();
      await page.getByRole('button', { name: 'Upload file' }).click();
      const summary = page.locator('#summary-card');
      await summary.waitFor({ state: 'visible', timeout: 180_000 });
      const status = await summary.locator('.badge').first().innerText();
      assert(status === 'Completed', `the JSON upsert ended as ${status}: ${await page.locator('#summary').innerText()}`);
      const updated = await summary.locator('.metric').filter({ hasText: 'Updated' }).locator('.value').innerText();
      assert(updated === '1', `updated ${updated}`);
      await page.goto(at(`catalog.html?q=${encodeURIComponent(formSku)}`));
      await settled(page);
      await page.getByRole('button', { name: 'History' }).first().click();
      const history = page.locator('table.history');
      await history.waitFor();
      const cells = await history.locator('tbody tr').first().locator('td').allInnerTexts();
      assert(cells[1] === '19.99' && cells[2] === '17.50', `history row ${cells.join(' | ')}`);
    });

    await test('uploads list: the new upload, filter by status, accessible, screenshot', async () => {
      await page.goto(at('uploads.html'));
      await settled(page);
      await page.locator(`a[href="upload-details.html?id=${uploadId}"]`).first().waitFor();
      await page.getByLabel('Status').selectOption('partial');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await settled(page);
      const badges = await page.locator('#list tbody .badge').allInnerTexts();
      assert(badges.length > 0 && badges.every((b) => b === 'Partial'), `status filter shows ${badges.join(', ')}`);
      await page.getByRole('button', { name: 'Clear' }).click();
      await settled(page);
      await axeCheck(page, 'uploads.html');
      await screenshot(page, 'uploads');
    });

    await test('catalog: products, search, accessible, screenshot', async () => {
      await page.goto(at('catalog.html'));
      await settled(page);
      const rows = page.locator('#list tbody tr');
      assert(await rows.count() > 0, 'no products in the catalog');
      const sku = (await rows.first().locator('td').nth(1).innerText()).trim();
      await axeCheck(page, 'catalog.html');
      await screenshot(page, 'catalog');
      await page.getByLabel('Search by name or SKU').fill(sku);
      await page.getByRole('button', { name: 'Search' }).click();
      await settled(page);
      const skus = await page.locator('#list tbody tr td:nth-child(2)').allInnerTexts();
      assert(skus.length >= 1 && skus.every((s) => s.toLowerCase().includes(sku.toLowerCase())), `search for ${sku} shows ${skus.join(', ')}`);
    });

    await test('dashboard: metrics, charts, accessible, screenshots', async () => {
      await page.goto(at('index.html'));
      await settled(page);
      assert(await page.locator('#metric-cards .metric').count() === 5, 'expected 5 metric cards');
      assert(await page.locator('#daily-chart svg[role="img"], #daily-chart .empty').count() === 1, 'no daily chart');
      // Keyboard: the first Tab lands on the skip link, which moves focus to the content.
      await page.keyboard.press('Tab');
      assert(await page.evaluate(() => document.activeElement.classList.contains('skip-link')), 'first Tab is not the skip link');
      await page.keyboard.press('Enter');
      assert(await page.evaluate(() => document.activeElement.id === 'main'), 'skip link does not move focus to main');
      await axeCheck(page, 'index.html');
      await screenshot(page, 'dashboard');
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(400); // charts re-render for the new width
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert(overflow <= 1, `the dashboard scrolls sideways by ${overflow}px at 390px`);
      await screenshot(page, 'dashboard-phone');
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    // Vendor text is data on every page: markup in a file name, a product
    // name or an id is shown as the characters it is and never runs, and a
    // spreadsheet formula is shown as typed (the report neutralises it).
    await test('hostile vendor text renders as text on every page', async () => {
      const probe = '<img src=x onerror="window.__pwned=1">';
      const fileName = `${probe}.csv`;
      const validName = '<script>window.__pwned=2</script> Lamp';
      const invalidName = '<svg onload="window.__pwned=3">';
      const formula = '=HYPERLINK("https://evil.example","x")';
      const path = join(work, 'hostile.csv');
      writeFileSync(path, [
        'vendor_product_id,product_name,category,sku,price,stock_quantity',
        `XSS-1,"${validName}",Electronics,E-XSS-0001,19.99,4`,
        `"${formula.replaceAll('"', '""')}","${invalidName.replaceAll('"', '""')}",Electronics,E-XSS-0002,-5,4`,
      ].join('\n') + '\n');
      const hostileFile = join(work, fileName);
      writeFileSync(hostileFile, readFileSync(path));
      const pwned = () => page.evaluate(() => window.__pwned);
      const injected = () => page.evaluate(() => document.querySelectorAll('main img[src="x"], main svg[onload], main script').length);

      await page.goto(at('upload.html'));
      await settled(page);
      await page.locator('#file').setInputFiles(hostileFile);
      await page.locator('#file-summary').filter({ hasText: 'Header OK' }).waitFor();
      await page.getByRole('button', { name: 'Upload file' }).click();
      const summary = page.locator('#summary-card');
      await summary.waitFor({ state: 'visible', timeout: 180_000 });
      assert(await page.locator('#summary').innerText().then((t) => t.includes(fileName)), 'the summary does not show the file name as text');
      const href = await summary.getByRole('link', { name: 'View details and errors' }).getAttribute('href');
      assert(await pwned() === undefined && await injected() === 0, 'the upload page ran vendor markup');

      await page.goto(new URL(href, `${base}/`).toString());
      await page.locator('#errors-table tbody tr').first().waitFor();
      const table = await page.locator('#errors-table').innerText();
      assert(table.includes(invalidName), `the errors table does not show ${invalidName} as text: ${table}`);
      assert(table.includes(formula), `the errors table does not show the formula as typed: ${table}`);
      const heading = await page.locator('main').innerText();
      assert(heading.includes(fileName), 'the details page does not show the file name as text');
      // The fix grid holds the invalid row's text as an input's value.
      await page.locator('#fix-table input[name="product_name"]').first().waitFor();
      const cells = await page.locator('#fix-table input[name="product_name"]').evaluateAll((inputs) => inputs.map((i) => i.value));
      assert(cells.includes(invalidName), `the fix grid does not hold ${invalidName}: ${cells.join(', ')}`);
      assert(await pwned() === undefined && await injected() === 0, 'the details page ran vendor markup');

      await page.goto(at('uploads.html'));
      await settled(page);
      assert((await page.locator('#list').innerText()).includes(fileName), 'the uploads list does not show the file name as text');
      assert(await pwned() === undefined && await injected() === 0, 'the uploads list ran vendor markup');

      await page.goto(at('catalog.html'));
      await settled(page);
      await page.getByLabel('Search by name or SKU').fill('E-XSS-0001');
      await page.getByRole('button', { name: 'Search' }).click();
      await settled(page);
      const catalog = await page.locator('#list').innerText();
      assert(catalog.includes(validName), `the catalog does not show ${validName} as text: ${catalog}`);
      assert(await pwned() === undefined && await injected() === 0, 'the catalog ran vendor markup');

      await page.goto(at('index.html'));
      await settled(page);
      assert(await pwned() === undefined && await injected() === 0, 'the dashboard ran vendor markup');
    });

    // A real outage, not an intercepted response: the stack's database stops
    // accepting connections and its sessions are ended (what the API meets
    // while a paused Aurora cluster resumes), then comes back while the page
    // waits. The API must answer 503 + Retry-After, the page must say so and
    // recover by itself, without a reload.
    await test('the database waking up: 503 + Retry-After, a banner, recovery without a reload', async () => {
      assert(stack.database, `DATABASE_URL is not in ${stack.path}`);
      const url = new URL(stack.database);
      const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
      const admin = new URL(stack.database);
      admin.pathname = '/postgres';
      const ident = `"${name.replaceAll('"', '""')}"`;
      const literal = `'${name.replaceAll("'", "''")}'`;
      const psql = (sql) => {
        const run = spawnSync('psql', [admin.toString(), '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' });
        assert(run.status === 0, `psql: ${run.stderr || run.error}`);
      };
      const allow = (yes) => psql(`ALTER DATABASE ${ident} ALLOW_CONNECTIONS ${yes}`);
      allow(false);
      let reopened = false;
      try {
        psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${literal} AND pid <> pg_backend_pid()`);
        const res = await page.request.get(`${base}/api/categories`);
        assert(res.status() === 503, `GET /api/categories during the outage answered ${res.status()}`);
        assert(/^\d+$/.test(res.headers()['retry-after'] || ''), `no Retry-After: ${JSON.stringify(res.headers())}`);
        assert((res.headers()['content-type'] || '').startsWith('application/problem+json'), 'not problem+json');
        const problem = await res.json();
        assert(/waking up/i.test(problem.title), `title ${problem.title}`);
        const t0 = Date.now();
        await page.goto(at('catalog.html'));
        const banner = page.locator('#waking-banner');
        await banner.waitFor({ state: 'visible', timeout: 15_000 });
        const shownAfter = Date.now() - t0;
        assert(/The database is waking up, retrying/.test(await banner.innerText()), 'banner text');
        const startedAt = page.url();
        allow(true);
        reopened = true;
        await banner.waitFor({ state: 'detached', timeout: 60_000 });
        const goneAfter = Date.now() - t0;
        // Not settled(): networkidle already passed during the wait.
        await page.locator('#list tbody tr').first().waitFor({ timeout: 15_000 });
        await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'), null, { timeout: 15_000 });
        console.log(`# banner shown after ${shownAfter} ms, gone after ${goneAfter} ms (Retry-After 5 s), products after ${Date.now() - t0} ms`);
        assert(page.url() === startedAt, 'the page was reloaded or left');
        assert(await page.locator('#list tbody tr').count() > 0, 'no products after the database came back');
      } finally {
        if (!reopened) allow(true);
      }
    });

    await test('5. log out; a protected page then goes to login; the old session cookie is refused', async () => {
      await page.goto(at('index.html'));
      await settled(page);
      // The session cookie as someone who copied it would replay it.
      const session = (await context.cookies(`${base}/api/me`)).find((c) => c.name === 'onboard_session');
      assert(session && session.value, 'no onboard_session cookie before logout');
      const replay = () => fetch(`${base}/api/me`, { headers: { Cookie: `onboard_session=${session.value}` } });
      const before = await replay();
      assert(before.status === 200, `the copied cookie answered ${before.status} before logout`);
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/login\.html$/);
      await page.goto(at('upload.html'));
      await page.waitForURL(/\/login\.html\?next=/);
      const me = await page.request.get(`${base}/api/me`);
      assert(me.status() === 401, `GET /api/me after logout answered ${me.status()}`);
      const after = await replay();
      assert(after.status === 401, `the copied session cookie answered ${after.status} after logout`);
    });

    await test('no uncaught script errors', async () => {
      assert(pageErrors.length === 0, pageErrors.join('\n'));
    });
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

finish(main());
