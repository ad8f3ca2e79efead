-- Portal submissions (issue 15): a product typed into the portal's form, or
-- failed rows fixed in the browser, become a one-file upload that the API
-- writes under the vendor's uploads/ prefix, so they run the whole pipeline
-- like any upload. What the file itself cannot say is recorded here by its
-- S3 key, before the object is written (so the pipeline never sees the file
-- without it): whether the vendor asked for the result by email, and for a
-- fix, which upload and which of its rows the file's rows fix.
--
-- The row of upload_history the pipeline makes for the object is found by
-- (s3_bucket, s3_key); the portal writes each submission under a fresh key.
CREATE TABLE portal_submissions (
    s3_bucket       VARCHAR(63)   NOT NULL,
    s3_key          VARCHAR(1024) NOT NULL,
    vendor_id       VARCHAR(50)   NOT NULL REFERENCES vendors (vendor_id),
    kind            VARCHAR(10)   NOT NULL CHECK (kind IN ('form', 'fix')),
    email_requested BOOLEAN       NOT NULL,
    -- A fix: the upload whose failed rows it fixes, and their row numbers in
    -- the order of the fix file's rows (row N of the fix is fixed_rows[N]).
    fixes_upload_id VARCHAR(50)   REFERENCES upload_history (upload_id) ON DELETE CASCADE,
    fixed_rows      INTEGER[],
    submitted_at    TIMESTAMPTZ   NOT NULL DEFAULT now(),
    PRIMARY KEY (s3_bucket, s3_key),
    CHECK ((kind = 'fix') = (fixes_upload_id IS NOT NULL)),
    CHECK ((kind = 'fix') = (fixed_rows IS NOT NULL))
);

CREATE INDEX portal_submissions_fixes ON portal_submissions (fixes_upload_id)
    WHERE fixes_upload_id IS NOT NULL;

-- How the upload's email step ended: 'sent', or 'not_requested' for a portal
-- submission whose vendor did not ask for one. Either way notified_at is
-- set, so the upload is settled and no sender tries again.
ALTER TABLE upload_history ADD COLUMN notification VARCHAR(20)
    CHECK (notification IN ('sent', 'not_requested'));
UPDATE upload_history SET notification = 'sent' WHERE notified_at IS NOT NULL;

GRANT SELECT, INSERT ON portal_submissions TO onboarding_api;
GRANT SELECT ON row_outcomes TO onboarding_api;
GRANT SELECT ON portal_submissions TO onboarding_error_processor;
GRANT UPDATE (notification) ON upload_history TO onboarding_error_processor;
