// Shared by the single-product form (product-new.html) and the failed-rows
// grid (upload-details.html): the product columns as the vendor sees them,
// live validation through the API (the pipeline's own rules, never a copy
// here), and following a submission through the pipeline.
import { api, ApiError } from './api.js';
import { sleep } from './app.js';
import { UploadStatus } from './words.js';

/** The product columns in file order: name, label, whether required, a hint. */
export const COLUMNS = [
  ['vendor_product_id', 'Vendor product ID', true, 'Your own id for the product, at most 100 characters; unique in your catalog.'],
  ['product_name', 'Product name', true, 'At most 200 characters.'],
  ['category', 'Category', true, 'One of the approved categories (case and spacing do not matter).'],
  ['subcategory', 'Subcategory', false, 'At most 100 characters.'],
  ['description', 'Description', false, 'At most 2000 characters.'],
  ['sku', 'SKU', true, 'At most 100 characters; unique across the marketplace.'],
  ['brand', 'Brand', false, 'At most 100 characters.'],
  ['price', 'Price', true, 'A plain number from 0.01 to 999999.99 with at most 2 decimals, for example 19.99.'],
  ['compare_at_price', 'Compare-at price', false, 'Like the price, and not less than it.'],
  ['stock_quantity', 'Stock quantity', true, 'A whole number from 0 to 1000000.'],
  ['unit', 'Unit', false, 'At most 50 characters, for example piece.'],
  ['weight_kg', 'Weight (kg)', false, 'A number greater than 0, at most 3 decimals.'],
  ['dimensions_cm', 'Dimensions (cm)', false, 'L x W x H, for example 12x8x4.'],
  ['image_url', 'Image URL', false, 'A full http:// or https:// address.'],
].map(([name, label, required, hint]) => ({ name, label, required, hint }));

export const VALIDATE_DELAY_MS = 400;

/**
 * A debounced validator: `schedule(values)` asks the API for the verdict
 * `VALIDATE_DELAY_MS` after the last call, and `onVerdict(verdict, values)`
 * gets only the latest answer (an older one arriving late is dropped).
 * `now(values)` validates at once and resolves with the verdict.
 */
export function liveValidator(mode, onVerdict, onError) {
  let timer = null;
  let latest = 0;
  const run = async (values) => {
    const mine = ++latest;
    try {
      const verdict = await api.validateProduct({ ...values, mode: mode() });
      if (mine === latest) onVerdict(verdict, values);
      return verdict;
    } catch (error) {
      if (mine === latest && onError) onError(error);
      throw error;
    }
  };
  return {
    schedule(values) {
      clearTimeout(timer);
      timer = setTimeout(() => { run(values).catch(() => {}); }, VALIDATE_DELAY_MS);
    },
    now(values) {
      clearTimeout(timer);
      return run(values);
    },
  };
}

/** The verdict's errors by column; `null` collects the whole-row ones. */
export function errorsByField(errors) {
  const byField = new Map();
  for (const e of errors || []) {
    const key = e.field || null;
    if (!byField.has(key)) byField.set(key, []);
    byField.get(key).push(e);
  }
  return byField;
}

const FIND_TIMEOUT_MS = 120_000;
const FINISH_TIMEOUT_MS = 10 * 60_000;

const settledUpload = (u) => u.status === UploadStatus.Failed
  || (u.status !== UploadStatus.Processing && (u.stages || []).some((s) => s.name === 'notified' && s.finished_at));

/**
 * Follows a submission (`receipt` of POST /api/products or /fixes): finds
 * the upload the pipeline made of its file, then waits until it is settled
 * (its email step done, or not requested). `onPhase(text)` hears progress.
 * Resolves with the upload's details, or null when it took too long.
 */
export async function followSubmission(receipt, onPhase) {
  const findBy = Date.now() + FIND_TIMEOUT_MS;
  let found = null;
  onPhase('Submitted. Waiting for the pipeline to pick it up…');
  while (!found && Date.now() < findBy) {
    await sleep(1000);
    try {
      const page = await api.listUploads({ limit: 20 });
      found = (page.items || []).find((u) => u.file_name === receipt.file_name) || null;
    } catch (error) {
      if (!(error instanceof ApiError && error.status >= 500)) throw error;
    }
  }
  if (!found) return null;
  onPhase('Validating…');
  const doneBy = Date.now() + FINISH_TIMEOUT_MS;
  while (Date.now() < doneBy) {
    try {
      const upload = await api.getUpload(found.upload_id);
      if (settledUpload(upload)) return upload;
    } catch (error) {
      if (!(error instanceof ApiError && error.status >= 500)) throw error;
    }
    await sleep(1000);
  }
  return null;
}
