// Generated from the domain crate's types by
// crates/onboarding-core/tests/web_words.rs; do not edit. After a word
// changes: BLESS_WEB_WORDS=1 cargo test -p onboarding-core --test web_words

/** Where an upload stands (`UploadStatus`). */
export const UploadStatus = Object.freeze({
  Processing: 'processing',
  Completed: 'completed',
  Partial: 'partial',
  Failed: 'failed',
});

/** Whether a vendor may upload (`VendorStatus`). */
export const VendorStatus = Object.freeze({
  PendingApproval: 'pending_approval',
  Active: 'active',
  Suspended: 'suspended',
});

/** How an upload's email step ended (`NotificationOutcome`). */
export const NotificationOutcome = Object.freeze({
  Sent: 'sent',
  NotRequested: 'not_requested',
});
