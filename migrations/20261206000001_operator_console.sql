-- The operator console (docs/console.md): re-runs linked to the upload they
-- repeat, and the safe-query role.
--
-- 1. upload_history.rerun_of: an operator's re-run copies the stored object
--    to a new version of its key with the metadata `rerun-of: <upload id>`;
--    the csv-parser records that link on the new upload (only when the
--    original is the same vendor's), so the new upload runs the whole
--    pipeline as itself and the console shows where it came from.
ALTER TABLE upload_history
    ADD COLUMN rerun_of VARCHAR(50) NULL REFERENCES upload_history (upload_id);
CREATE INDEX upload_history_by_rerun_of ON upload_history (rerun_of) WHERE rerun_of IS NOT NULL;
-- The console's list across vendors: newest first with a stable tie-break.
CREATE INDEX upload_history_by_time_and_id ON upload_history (upload_timestamp DESC, upload_id DESC);

GRANT UPDATE (rerun_of) ON upload_history TO onboarding_parser;

-- 2. The safe-query console: curated views, read by a role that may read
--    nothing else. The views run with their owner's rights (the master user),
--    so the role needs no grant on any table. It is a LOGIN role of its own,
--    with its own password and secret, rather than a role the API switches to
--    with SET LOCAL ROLE: after SET ROLE the session user is still the API's
--    role, and a query could switch back to it (SELECT set_config('role',
--    'onboarding_api', true), query_to_xml(...)), reading every table the API
--    reads. A session that logs in as onboarding_console has nothing to
--    switch back to.
CREATE VIEW console_uploads AS
SELECT upload_id, vendor_id, file_name, status, total_records, valid_records, error_records,
       failure_reason, warnings, upload_timestamp, started_at, parsed_at, validated_at,
       completed_at, notified_at, rerun_of,
       (EXTRACT(EPOCH FROM (completed_at - started_at)) * 1000)::BIGINT AS processing_ms
  FROM upload_history;

CREATE VIEW console_errors AS
SELECT error_id, upload_id, row_number, error_type, field, error_message,
       vendor_product_id, sku, product_name, price, stock_quantity, created_at
  FROM validation_errors;

CREATE VIEW console_products AS
SELECT product_id, vendor_id, vendor_product_id, sku, product_name, category, subcategory,
       brand, price, stock_quantity, status, upload_id, created_at, updated_at
  FROM products;

CREATE VIEW console_vendors AS
SELECT vendor_id, vendor_name, email, status, created_at, updated_at
  FROM vendors;

DO $roles$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('onboarding: create function roles'));
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'onboarding_console') THEN
        BEGIN
            CREATE ROLE onboarding_console LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT
                CONNECTION LIMIT 8;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created meanwhile by another database's migration
        END;
    END IF;
END
$roles$;

-- Every session of the role in this database is read-only and short,
-- whatever the client asks; the API sets the same per transaction (SET
-- LOCAL) as well. Per database (IN DATABASE), like the grants: a setting of
-- the role itself would be one catalog row that concurrent migrations of
-- several databases on one cluster update at once.
DO $settings$
BEGIN
    EXECUTE format('ALTER ROLE onboarding_console IN DATABASE %I SET default_transaction_read_only = on', current_database());
    EXECUTE format('ALTER ROLE onboarding_console IN DATABASE %I SET statement_timeout = %L', current_database(), '5s');
    EXECUTE format('ALTER ROLE onboarding_console IN DATABASE %I SET idle_in_transaction_session_timeout = %L', current_database(), '10s');
END
$settings$;

GRANT USAGE ON SCHEMA public TO onboarding_console;
GRANT SELECT ON console_uploads, console_errors, console_products, console_vendors
   TO onboarding_console;
