// The operator console in a real browser, against a running stack
// (docs/console.md). Run by scripts/test-web.sh after e2e.mjs:
//
//   node web/tests/admin-e2e.mjs
//
// Reads PORTAL_URL, PORTAL_DEMO_PASSWORD, PORTAL_OPERATOR_EMAIL,
// PORTAL_OPERATOR_PASSWORD, AWS_ENDPOINT_URL, AWS_REGION and ERROR_DLQ_URL
// from ONBOARD_STACK_ENV (default .dev/stack.env). Two vendors upload through
// the portal's API (VEND001 a sample with errors, VEND002 a file whose every
// row is refused, so it fails after all three functions saw it); a dead
// letter is put on the errors DLQ (a completion notice of work already
// done). Then, as the operator: both vendors' uploads; the failed upload's
// log lines from all three functions; the monitor's charts with non-zero
// invocations; the dead letter redriven; a re-run of VEND001's upload to
// completion; a saved query with its CSV; the vendors page with a change
// of email; vendor-controlled text (a file name, product names, a formula, a
// vendor name from sign-up) shown as text on every console page and
// neutralised in the query CSV; a vendor's session refused. axe-core on every console page; screenshots
// docs/screenshots/admin-*.png.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assert, axeCheck, finish, firstVendorEmail, launch, pageErrors, readStackEnv, repo, screenshot, settled, test,
} from './browser.mjs';

const SAMPLE = join(repo, 'testdata/samples/VEND001_products.csv');
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

function allInvalid(rows) {
  const lines = ['vendor_product_id,product_name,category,sku,price,stock_quantity'];
  for (let i = 0; i < rows; i += 1) lines.push(`BAD${i},Thing ${i},Electronics,E2E-BAD-${Date.now()}-${i},-1,5`);
  return `${lines.join('\n')}\n`;
}

async function main() {
  const stack = readStackEnv();
  const need = ['PORTAL_URL', 'PORTAL_DEMO_PASSWORD', 'PORTAL_OPERATOR_EMAIL', 'PORTAL_OPERATOR_PASSWORD', 'AWS_ENDPOINT_URL', 'ERROR_DLQ_URL'];
  const missing = need.filter((k) => !stack.get(k));
  if (missing.length) {
    console.log(`${missing.join(', ')} must be set (in the environment or in ${stack.path})`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const base = stack.portal.replace(/\/+$/, '');
  const at = (page) => `${base}/${page}`;
  const profile = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  const { context, page, executablePath } = await launch(profile);
  console.log(`# console ${base}, browser ${executablePath}`);
  const api = page.request;
  const stamp = Date.now();
  const goodName = `console-e2e-${stamp}.csv`;
  const badName = `console-e2e-bad-${stamp}.csv`;
  let goodId = null;
  let badId = null;
  let hostileId = null;
  // Vendor-controlled text: markup that would run if a page used innerHTML,
  // and a formula a spreadsheet would run.
  const hostileName = `<img src=x onerror="window.__pwned=1">-${stamp}.csv`;
  const hostileValid = '<script>window.__pwned=2</script> Lamp';
  const hostileInvalid = '<svg onload="window.__pwned=3">';
  const hostileFormula = '=HYPERLINK("https://evil.example","x")';
  const hostileVendor = `<img src=y onerror="window.__pwned=4"> Co ${stamp}`;
  const hostileSku = `E-XSS-${stamp}`;
  const hostileCsv = [
    'vendor_product_id,product_name,category,sku,price,stock_quantity',
    `XSS-${stamp}-1,"${hostileValid}",Electronics,${hostileSku}-1,19.99,4`,
    `"${hostileFormula.replaceAll('"', '""')}","${hostileInvalid.replaceAll('"', '""')}",Electronics,${hostileSku}-2,-5,4`,
  ].join('\n') + '\n';

  async function vendorLogin(id) {
    const res = await api.post(`${base}/api/auth/login`, { data: { email: firstVendorEmail(id), password: stack.password } });
    assert(res.ok(), `${id} login answered ${res.status()}`);
  }

  async function upload(name, text) {
    const res = await api.post(`${base}/api/uploads`, { data: { file_name: name } });
    assert(res.status() === 201, `POST /api/uploads answered ${res.status()}`);
    const form = await res.json();
    const s3 = await api.post(form.url, {
      multipart: { ...form.fields, file: { name, mimeType: 'text/csv', buffer: Buffer.from(text) } },
    });
    assert(s3.ok(), `the presigned POST answered ${s3.status()}`);
  }

  /** The vendor's upload of `name`, once the vendor has been told. */
  async function told(name) {
    const started = Date.now();
    for (;;) {
      const list = await (await api.get(`${base}/api/uploads?limit=20`)).json();
      const found = (list.items || []).find((u) => u.file_name === name);
      if (found) {
        const detail = await (await api.get(`${base}/api/uploads/${found.upload_id}`)).json();
        if (detail.stages.some((s) => s.name === 'notified' && s.finished_at)) return detail;
      }
      assert(Date.now() - started < 180_000, `${name} never finished`);
      await sleep(500);
    }
  }

  /** Puts a message on the errors DLQ through the emulator's SQS query API. */
  async function deadLetter(body) {
    const region = stack.get('AWS_REGION') || 'us-east-1';
    const res = await fetch(stack.get('ERROR_DLQ_URL'), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: new URLSearchParams({ Action: 'SendMessage', Version: '2012-11-05', MessageBody: body }).toString(),
    });
    assert(res.ok, `SendMessage to the errors DLQ answered ${res.status}: ${await res.text()}`);
  }

  try {
    await test('setup: two vendors upload, one file fails, a dead letter waits', async () => {
      await vendorLogin('VEND001');
      await upload(goodName, readFileSync(SAMPLE, 'utf8'));
      goodId = (await told(goodName)).upload_id;
      await upload(hostileName, hostileCsv);
      hostileId = (await told(hostileName)).upload_id;
      await vendorLogin('VEND002');
      await upload(badName, allInvalid(6));
      const bad = await told(badName);
      assert(bad.status === 'failed', `the bad file ended ${bad.status}`);
      badId = bad.upload_id;
      await deadLetter(JSON.stringify({ kind: 'upload_complete', upload_id: goodId, vendor_id: 'VEND001' }));
      // A vendor name is vendor text too: sign-up takes it as typed.
      await api.post(`${base}/api/auth/logout`);
      const signup = await api.post(`${base}/api/auth/signup`, {
        data: { vendor_name: hostileVendor, email: `hostile-${stamp}@example.com`, password: `Hostile-${stamp}-Pw!` },
      });
      assert(signup.ok(), `the hostile sign-up answered ${signup.status()}: ${await signup.text()}`);
      // Its first log-in puts it in the approval queue (the auth part that
      // signs up has no database); moto takes any confirmation code.
      const hostileLogin = { email: `hostile-${stamp}@example.com`, password: `Hostile-${stamp}-Pw!` };
      const confirmed = await api.post(`${base}/api/auth/confirm`, { data: { email: hostileLogin.email, code: '123456' } });
      assert(confirmed.ok(), `confirming the hostile sign-up answered ${confirmed.status()}`);
      const loggedIn = await api.post(`${base}/api/auth/login`, { data: hostileLogin });
      assert(loggedIn.ok(), `the hostile vendor's log-in answered ${loggedIn.status()}`);
      const me = await api.get(`${base}/api/me`);
      assert(me.ok() && (await me.json()).status === 'pending_approval', `the hostile vendor's /api/me answered ${me.status()}`);
      await api.post(`${base}/api/auth/logout`);
      await vendorLogin('VEND002');
    }, { critical: true });

    await test("a vendor's session is refused by the console", async () => {
      await page.goto(at('admin-uploads.html'));
      await page.locator('#message[role="alert"]').filter({ hasText: 'Operators only' }).waitFor();
      // Leave the page before logging out, so its next poll's 401 cannot
      // start a redirect to the login page that races the next test's.
      await page.goto('about:blank');
      await api.post(`${base}/api/auth/logout`);
    });

    await test('the operator logs in and lands on all uploads', async () => {
      await page.goto(at('login.html'));
      await page.getByLabel('Email').fill(stack.get('PORTAL_OPERATOR_EMAIL'));
      await page.getByLabel('Password').fill(stack.get('PORTAL_OPERATOR_PASSWORD'));
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/admin-uploads\.html/);
    }, { critical: true });

    await test("all uploads: both vendors', the failure on top, accessible, screenshot", async () => {
      await page.locator(`#list a[href="admin-upload.html?id=${goodId}"]`).waitFor();
      await page.locator(`#list a[href="admin-upload.html?id=${badId}"]`).waitFor();
      const vendors = await page.locator('#list tbody tr td:nth-child(2)').allInnerTexts();
      assert(vendors.includes('VEND001') && vendors.includes('VEND002'), `vendors listed: ${[...new Set(vendors)].join(', ')}`);
      await page.locator(`#attention a[href="admin-upload.html?id=${badId}"]`).waitFor();
      await page.getByLabel('Vendor').fill('VEND002');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForFunction(() => {
        const cells = [...document.querySelectorAll('#list tbody tr td:nth-child(2)')];
        return cells.length > 0 && cells.every((c) => c.textContent === 'VEND002');
      });
      await page.getByRole('button', { name: 'Clear' }).click();
      await page.locator(`#list a[href="admin-upload.html?id=${goodId}"]`).waitFor();
      await axeCheck(page, 'admin-uploads.html');
      await screenshot(page, 'admin-uploads');
    });

    await test("the failed upload's log lines come from all three functions, filters work, accessible, screenshot", async () => {
      await page.goto(at(`admin-upload.html?id=${badId}`));
      await page.waitForFunction(() => {
        const functions = new Set([...document.querySelectorAll('#logs tbody tr td:nth-child(2)')].map((c) => c.textContent));
        return ['csv-parser', 'product-validator', 'error-processor'].every((f) => functions.has(f));
      }, null, { timeout: 30_000 });
      await page.locator('#timeline tbody tr').first().waitFor();
      await page.getByLabel('Text').fill('vendor notified');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll('#logs tbody tr')];
        return rows.length === 1 && rows[0].querySelector('td:nth-child(2)').textContent === 'error-processor';
      });
      await page.getByLabel('Text').fill('');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForFunction(() => document.querySelectorAll('#logs tbody tr').length > 1);
      await axeCheck(page, 'admin-upload.html');
      await screenshot(page, 'admin-upload');
    });

    await test('the monitor: charts with non-zero invocations, accessible, screenshot', async () => {
      await page.goto(at('admin-monitor.html'));
      await page.getByLabel('Window', { exact: true }).selectOption('15m');
      await page.waitForFunction(() => document.querySelectorAll('#charts svg[role="img"]').length === 3);
      await page.waitForFunction(() => [...document.querySelectorAll('#table tbody tr')]
        .every((r) => Number(r.querySelector('td').textContent.replace(/\D/g, '')) > 0));
      const bars = await page.locator('#charts rect.bar').count();
      assert(bars > 0, 'no bars in the charts');
      await page.locator('#queues li').first().waitFor();
      await axeCheck(page, 'admin-monitor.html');
      await screenshot(page, 'admin-monitor');
    });

    await test('dead letters: listed with their upload, redriven, accessible, screenshot', async () => {
      await page.goto(at('admin-dead-letters.html'));
      const link = page.locator(`#list a[href="admin-upload.html?id=${goodId}"]`);
      await link.waitFor();
      await axeCheck(page, 'admin-dead-letters.html');
      await screenshot(page, 'admin-dead-letters');
      await page.locator('#list tr', { has: page.locator(`a[href="admin-upload.html?id=${goodId}"]`) })
        .getByRole('button', { name: /Redrive/ }).click();
      await page.locator('#message.ok').filter({ hasText: 'Redriven' }).waitFor();
      await link.waitFor({ state: 'detached' });
    });

    await test("re-run VEND001's upload: a new upload runs to completion", async () => {
      await page.goto(at(`admin-upload.html?id=${goodId}`));
      await page.locator('#summary dd').first().waitFor();
      await page.getByRole('button', { name: 'Re-run this upload' }).click();
      await page.locator('#message').filter({ hasText: 'Re-run started' }).waitFor();
      const rerun = page.locator('#summary a[href^="admin-upload.html?id=UPLOAD_"]').last();
      await rerun.waitFor({ timeout: 60_000 });
      await rerun.click();
      await page.waitForURL(/admin-upload\.html\?id=UPLOAD_/);
      await page.waitForFunction((original) => {
        const finished = [...document.querySelectorAll('#timeline tbody tr')]
          .some((r) => r.querySelector('th').textContent === 'notified' && r.querySelector('td:nth-child(3)').textContent !== '—');
        return finished && document.body.textContent.includes(original);
      }, goodId, { timeout: 120_000 });
      const id = new URL(page.url()).searchParams.get('id');
      assert(id !== goodId, 'the re-run is the original');
    });

    await test('a saved query: table, CSV download, a refused write, accessible, screenshot', async () => {
      await page.goto(at('admin-query.html'));
      await page.getByRole('button', { name: 'Uploads per vendor and status' }).click();
      await page.locator('#result tbody tr').first().waitFor();
      const vendors = await page.locator('#result tbody tr td:first-child').allInnerTexts();
      assert(vendors.includes('VEND001') && vendors.includes('VEND002'), `query rows: ${vendors.join(', ')}`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
      const path = await download.path();
      const header = readFileSync(path, 'utf8').split(/\r?\n/)[0];
      assert(header === 'vendor_id,status,uploads', `CSV header ${header}`);
      await axeCheck(page, 'admin-query.html');
      await screenshot(page, 'admin-query');
      await page.getByLabel('SQL').fill('DELETE FROM console_vendors');
      await page.getByRole('button', { name: 'Run query' }).click();
      await page.locator('#message[role="alert"]').filter({ hasText: 'Writes are refused' }).waitFor();
    });

    await test('vendors: listed with their actions, accessible, screenshot', async () => {
      await page.goto(at('admin-vendors.html'));
      await page.getByRole('button', { name: 'Activate VEND004' }).waitFor();
      await axeCheck(page, 'admin-vendors.html');
      await screenshot(page, 'admin-vendors');
    });

    await test("change a vendor's email: a wrong address is named, a right one saved, accessible", async () => {
      await page.goto(at('admin-vendors.html'));
      const row = page.locator('#list tbody tr', { has: page.locator('th', { hasText: 'VEND004' }) });
      const original = (await row.locator('td').nth(1).innerText()).trim();
      const changeTo = async (address) => {
        await page.getByRole('button', { name: 'Change email of VEND004' }).click();
        await page.getByLabel('New email for VEND004').fill(address);
        await page.getByRole('button', { name: 'Save email' }).click();
      };
      await changeTo('not-an-email');
      await page.locator('.field-error').filter({ hasText: 'not an email address' }).waitFor();
      assert(await page.getByLabel('New email for VEND004').getAttribute('aria-invalid') === 'true', 'the field is not marked invalid');
      await axeCheck(page, 'admin-vendors.html (change of email)');
      const fresh = `vend004-${stamp}@example.com`;
      await page.getByLabel('New email for VEND004').fill(fresh);
      await page.getByRole('button', { name: 'Save email' }).click();
      await page.locator('#message.ok').filter({ hasText: `email is now ${fresh}` }).waitFor();
      await row.locator('td', { hasText: fresh }).waitFor();
      // And back, so the stack's seeded vendor is as it was.
      await changeTo(original);
      await row.locator('td', { hasText: original }).waitFor();
    });

    await test('hostile vendor text renders as text on every console page and is neutralised in the CSV', async () => {
      const pwned = () => page.evaluate(() => window.__pwned);
      const injected = () => page.evaluate(() => document.querySelectorAll('main img[src="x"], main img[src="y"], main svg[onload], main script').length);
      const clean = async (where) => assert(await pwned() === undefined && await injected() === 0, `${where} ran vendor markup`);

      await page.goto(at('admin-uploads.html'));
      await page.locator(`#list a[href="admin-upload.html?id=${hostileId}"]`).waitFor();
      assert((await page.locator('#list').innerText()).includes(hostileName), 'all uploads does not show the file name as text');
      await clean('all uploads');

      await page.goto(at(`admin-upload.html?id=${hostileId}`));
      await page.locator('#summary dd').first().waitFor();
      await page.locator('#logs tbody tr').first().waitFor({ timeout: 30_000 });
      assert((await page.locator('main').innerText()).includes(hostileName), 'the upload page does not show the file name as text');
      await clean('the upload page');

      await page.goto(at('admin-query.html'));
      await page.getByLabel('SQL').fill(`SELECT vendor_product_id, product_name FROM console_errors WHERE upload_id = '${hostileId}'`);
      await page.getByRole('button', { name: 'Run query' }).click();
      await page.locator('#result tbody tr').first().waitFor();
      const rows = await page.locator('#result').innerText();
      assert(rows.includes(hostileInvalid) && rows.includes(hostileFormula), `the query result does not show vendor text as typed: ${rows}`);
      await clean('the query page');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
      const csv = readFileSync(await download.path(), 'utf8');
      assert(csv.includes(`"'${hostileFormula.replaceAll('"', '""')}"`), `the CSV does not neutralise the formula: ${csv}`);
      assert(!/(^|,)"?=/m.test(csv), `a CSV cell starts with = : ${csv}`);
      await page.getByLabel('SQL').fill(`SELECT product_name FROM console_products WHERE sku = '${hostileSku}-1'`);
      await page.getByRole('button', { name: 'Run query' }).click();
      // The previous query's rows are still on the page until this one
      // answers: wait for this one's row, not for any row.
      await page.locator('#result tbody tr', { hasText: hostileValid }).first().waitFor();
      assert((await page.locator('#result').innerText()).includes(hostileValid), 'the catalog query does not show the product name as text');
      await clean('the query page (catalog)');

      await page.goto(at('admin-vendors.html'));
      await page.locator('#list td', { hasText: hostileVendor }).waitFor();
      await clean('the vendors page');

      for (const other of ['admin-monitor.html', 'admin-dead-letters.html']) {
        await page.goto(at(other));
        await settled(page).catch(() => {});
        await clean(other);
      }
    });

    await test('keyboard: the skip link reaches the console', async () => {
      await page.goto(at('admin-uploads.html'));
      await settled(page).catch(() => {});
      await page.keyboard.press('Tab');
      assert(await page.evaluate(() => document.activeElement.classList.contains('skip-link')), 'first Tab is not the skip link');
      await page.keyboard.press('Enter');
      assert(await page.evaluate(() => document.activeElement.id === 'main'), 'skip link does not move focus to main');
    });

    await test('no uncaught script errors', async () => {
      assert(pageErrors.length === 0, pageErrors.join('\n'));
    });
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

finish(main());
