// The checks the upload page makes before sending a file: the same rules
// the pipeline applies to the whole file (README "The CSV format"), done
// early so a vendor hears about an obvious mistake in a second. No DOM here,
// so Node can import it too.

export const MAX_BYTES = 10 * 1024 * 1024; // 10,485,760
export const HEAD_BYTES = 64 * 1024;
export const REQUIRED_COLUMNS = ['vendor_product_id', 'product_name', 'category', 'sku', 'price', 'stock_quantity'];

/** Header names match case-, space- and underscore-insensitively. */
export function normalizeHeader(name) {
  return String(name).toLowerCase().replace(/[\s_]+/g, '');
}

/**
 * Reads up to `max` RFC 4180 records (quoted fields may hold commas, quotes
 * and newlines; CRLF or LF). Returns `{ records, complete }`, where
 * `complete` says the last record was terminated before the text ran out.
 */
export function parseCsvRecords(text, max = Infinity) {
  const records = [];
  let record = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let fieldStarted = false;
  while (i < text.length && records.length < max) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i += 1; continue;
      }
      field += c; i += 1; continue;
    }
    if (c === '"' && !fieldStarted) { quoted = true; fieldStarted = true; i += 1; continue; }
    if (c === ',') { record.push(field); field = ''; fieldStarted = false; i += 1; continue; }
    if (c === '\r' || c === '\n') {
      record.push(field); records.push(record);
      record = []; field = ''; fieldStarted = false;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += c; fieldStarted = true; i += 1;
  }
  let complete = true;
  if (records.length < max && (fieldStarted || field !== '' || record.length)) {
    record.push(field);
    records.push(record);
    complete = false;
  }
  return { records, complete };
}

/** The required columns the header does not have, in the documented order. */
export function missingColumns(header) {
  const have = new Set(header.map(normalizeHeader));
  return REQUIRED_COLUMNS.filter((column) => !have.has(normalizeHeader(column)));
}

/**
 * Checks the name, size and header row of a file's first bytes (decoded).
 * Returns `{ ok: true, columns }` or `{ ok: false, reason, missing? }`.
 */
export function checkCsvHead({ name, size }, headText) {
  if (!/\.csv$/i.test(name || '')) {
    return { ok: false, reason: `“${name}” is not a .csv file. Save the sheet as CSV (comma separated) and choose that file.` };
  }
  if (size > MAX_BYTES) {
    return { ok: false, reason: `The file is ${(size / 1024 / 1024).toFixed(1)} MB; the limit is 10 MB (10,485,760 bytes). Split it into smaller files.` };
  }
  if (size === 0) return { ok: false, reason: 'The file is empty.' };
  const text = headText.charCodeAt(0) === 0xfeff ? headText.slice(1) : headText;
  if (text.includes('\u0000')) {
    return { ok: false, reason: 'The file contains binary data; it does not look like a CSV file.' };
  }
  const { records } = parseCsvRecords(text, 1);
  const header = (records[0] || []).map((cell) => cell.trim());
  if (!header.some((cell) => cell !== '')) {
    return { ok: false, reason: 'The first line is blank; it must be the header row with the column names.' };
  }
  const missing = missingColumns(header);
  if (missing.length) {
    const list = missing.join(', ');
    return {
      ok: false,
      missing,
      reason: `The header row is missing the required column${missing.length > 1 ? 's' : ''}: ${list}. Required columns are ${REQUIRED_COLUMNS.join(', ')}.`,
    };
  }
  return { ok: true, columns: header };
}

/** Browser side: reads only the first 64 KB with `file.slice`. */
export async function checkCsvFile(file) {
  const head = await file.slice(0, HEAD_BYTES).text();
  return checkCsvHead(file, head);
}
