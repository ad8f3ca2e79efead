// The checks the upload page makes before sending a file: the same rules
// the pipeline applies to the whole file (README "The CSV format" and
// "JSON and JSON Lines"), done
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

/** The format a file name's extension names ('csv', 'json', 'jsonl'), or null, as the pipeline decides it. */
export function fileFormat(name) {
  const match = /\.(csv|json|jsonl|ndjson)$/i.exec(name || '');
  if (!match) return null;
  const extension = match[1].toLowerCase();
  return extension === 'ndjson' ? 'jsonl' : extension;
}

/**
 * JSON has no header row, and its keys may differ from object to object:
 * only the opening is checked here (an array, or an object on the first
 * line); the pipeline reports anything else with its line and column.
 */
function checkJsonHead(format, text) {
  const first = text.trimStart()[0];
  if (first === undefined) return { ok: false, reason: 'The file is empty.' };
  if (format === 'json' && first !== '[') {
    return { ok: false, reason: 'A .json file must be one array of product objects, [{...}, {...}]. For one object per line, name the file .jsonl.' };
  }
  if (format === 'jsonl' && first !== '{') {
    return { ok: false, reason: 'A .jsonl or .ndjson file must have one product object per line, each starting with {.' };
  }
  return { ok: true, columns: REQUIRED_COLUMNS };
}

/**
 * Checks the name, size and header row of a file's first bytes (decoded).
 * Returns `{ ok: true, columns }` or `{ ok: false, reason, missing? }`.
 */
export function checkCsvHead({ name, size }, headText) {
  const format = fileFormat(name);
  if (!format) {
    return { ok: false, reason: `“${name}” is not a .csv, .json, .jsonl or .ndjson file. Save the sheet as CSV (comma separated) and choose that file.` };
  }
  if (size > MAX_BYTES) {
    return { ok: false, reason: `The file is ${(size / 1024 / 1024).toFixed(1)} MB; the limit is 10 MB (10,485,760 bytes). Split it into smaller files.` };
  }
  if (size === 0) return { ok: false, reason: 'The file is empty.' };
  const text = headText.charCodeAt(0) === 0xfeff ? headText.slice(1) : headText;
  if (text.includes('\u0000')) {
    return { ok: false, reason: 'The file contains binary data; it does not look like a CSV file.' };
  }
  if (format !== 'csv') return checkJsonHead(format, text);
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
