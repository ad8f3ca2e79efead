// The upload page's client-side checks (web/csv-check.js), against the
// project's own sample and nasty files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkCsvHead, fileFormat, HEAD_BYTES, MAX_BYTES, missingColumns, parseCsvRecords } from '../../csv-check.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const check = (rel) => {
  const path = join(repo, rel);
  const head = readFileSync(path).subarray(0, HEAD_BYTES).toString('utf8');
  return checkCsvHead({ name: rel.split('/').pop(), size: statSync(path).size }, head);
};

test('the sample files pass', () => {
  for (const f of ['VEND001_products.csv', 'VEND002_products.csv', 'VEND003_products.csv', 'VEND001_clean.csv']) {
    assert.equal(check(`testdata/samples/${f}`).ok, true, f);
  }
});

test('a BOM, CRLF, reordered and extra columns pass', () => {
  for (const f of ['bom.csv', 'crlf.csv', 'reordered_extra_columns.csv', 'embedded_newlines.csv', 'windows1252.csv']) {
    assert.equal(check(`testdata/nasty/${f}`).ok, true, f);
  }
});

test('a missing column is named', () => {
  const result = check('testdata/nasty/missing_column.csv');
  assert.equal(result.ok, false);
  assert.ok(result.missing.length > 0);
  for (const column of result.missing) assert.match(result.reason, new RegExp(`\\b${column}\\b`));
});

test('empty and binary files are refused', () => {
  assert.equal(check('testdata/nasty/empty.csv').ok, false);
  assert.match(check('testdata/nasty/binary.csv').reason, /binary|header/);
});

test('headers match case-, space- and underscore-insensitively', () => {
  assert.deepEqual(missingColumns(['Vendor Product ID', 'PRODUCT_NAME', ' Category ', 'Sku', 'price', 'Stock  Quantity']), []);
  assert.deepEqual(missingColumns(['vendor_product_id', 'product_name', 'category', 'price']), ['sku', 'stock_quantity']);
});

test('a quoted header cell with a comma or newline is one cell', () => {
  const { records } = parseCsvRecords('"a,b","c\nd",e\r\n1,2,3\n', 1);
  assert.deepEqual(records, [['a,b', 'c\nd', 'e']]);
  assert.deepEqual(parseCsvRecords('x,"y ""q"""\n').records, [['x', 'y "q"']]);
});

test('extension and size limits', () => {
  const header = 'vendor_product_id,product_name,category,sku,price,stock_quantity\n';
  assert.match(checkCsvHead({ name: 'products.xlsx', size: 10 }, header).reason, /not a \.csv, \.json, \.jsonl or \.ndjson file/);
  assert.equal(checkCsvHead({ name: 'P.CSV', size: MAX_BYTES }, header).ok, true);
  assert.match(checkCsvHead({ name: 'p.csv', size: MAX_BYTES + 1 }, header).reason, /10 MB/);
});

test('JSON and JSON Lines files are checked by their opening only', () => {
  assert.equal(fileFormat('a.JSON'), 'json');
  assert.equal(fileFormat('a.ndjson'), 'jsonl');
  assert.equal(fileFormat('a.jsonl'), 'jsonl');
  assert.equal(fileFormat('a.json.gz'), null);
  for (const f of ['VEND003_products.json', 'VEND003_products.jsonl']) {
    assert.equal(check(`testdata/samples/${f}`).ok, true, f);
  }
  assert.equal(checkCsvHead({ name: 'p.ndjson', size: 20 }, '\ufeff{"sku": "A"}\n').ok, true);
  assert.match(checkCsvHead({ name: 'p.json', size: 20 }, '{"sku": "A"}').reason, /array of product objects/);
  assert.match(checkCsvHead({ name: 'p.jsonl', size: 20 }, '[{"sku": "A"}]').reason, /one product object per line/);
  assert.match(checkCsvHead({ name: 'p.json', size: 20 }, '  \n').reason, /empty/);
  assert.match(checkCsvHead({ name: 'p.json', size: 20 }, '[\u0000').reason, /binary/);
});
