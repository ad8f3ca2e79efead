-- Least privilege inside the database (docs/configuration.md, "Database
-- roles"). Each function connects as its own LOGIN role with only the tables,
-- columns and verbs its SQL uses; the migrations (and the operator commands:
-- seed-categories, upsert-vendor, register-vendor) run as the master user,
-- which owns every table.
--
--   onboarding_parser           csv-parser
--   onboarding_validator        product-validator
--   onboarding_error_processor  error-processor
--   onboarding_api              vendor-api (the portal)
--
-- No password here: a role created without one cannot log in with a password.
-- Each function's password lives in its own Secrets Manager secret and is set
-- out of band with ALTER ROLE ... PASSWORD (docs/deployment.md, "Database
-- roles"; locally `onboard dev up`).
--
-- Roles are global to the cluster, grants belong to this database: several
-- databases on one cluster (environments, parallel tests) share the roles and
-- each gets its own grants. Creating a role is checked first (IF NOT EXISTS)
-- and a concurrent creator that wins the race is tolerated (duplicate_object,
-- unique_violation), so concurrent migrations of different databases cannot
-- fail on each other; the advisory lock (held to the end of the migration's
-- transaction) serialises creators within one database.

DO $roles$
DECLARE
    role_name TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('onboarding: create function roles'));
    FOREACH role_name IN ARRAY ARRAY[
        'onboarding_parser', 'onboarding_validator',
        'onboarding_error_processor', 'onboarding_api'
    ] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', role_name);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created meanwhile by another database's migration
            END;
        END IF;
    END LOOP;
END
$roles$;

-- Nobody but the owner creates objects (PostgreSQL 15's default; older
-- clusters let PUBLIC create in public).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public
   TO onboarding_parser, onboarding_validator, onboarding_error_processor, onboarding_api;

-- csv-parser: the vendor check, then the upload record (open, total, staged, failed).
GRANT SELECT ON vendors TO onboarding_parser;
GRANT SELECT, INSERT ON upload_history TO onboarding_parser;
GRANT UPDATE (status, failure_reason, failure, warnings, total_records, source_columns,
              parsed_at, completed_at)
   ON upload_history TO onboarding_parser;

-- product-validator: the category whitelist and catalog lookups, then one
-- transaction per batch: row outcomes, products, errors, the counts.
GRANT SELECT ON categories, products, upload_history, row_outcomes TO onboarding_validator;
GRANT INSERT ON products, row_outcomes, validation_errors TO onboarding_validator;
GRANT UPDATE (outcome, source_fields) ON row_outcomes TO onboarding_validator;
GRANT UPDATE (valid_records, error_records, validated_at) ON upload_history TO onboarding_validator;
GRANT USAGE ON SEQUENCE products_product_id_seq, validation_errors_error_id_seq
   TO onboarding_validator;

-- error-processor: reads the errors and failed rows for the report and the
-- fix file, settles the upload and guards its one e-mail.
GRANT SELECT ON upload_history, row_outcomes, validation_errors TO onboarding_error_processor;
GRANT UPDATE (status, error_file_s3_key, fix_file_s3_key, completed_at,
              notify_claimed_at, notified_at, notification_message_id)
   ON upload_history TO onboarding_error_processor;

-- vendor-api: reads one vendor's rows; sign-up inserts a pending vendor (and
-- deletes it again if Cognito refuses the sign-up); logging out records a
-- sign-out and purges old ones.
GRANT SELECT ON vendors, categories, products, upload_history, validation_errors
   TO onboarding_api;
GRANT INSERT, DELETE ON vendors TO onboarding_api;
-- The operators' admin API (approve, suspend, activate; /api/admin, only for
-- the Cognito admins group) changes a vendor's status, and nothing else.
GRANT UPDATE (status, updated_at) ON vendors TO onboarding_api;
GRANT SELECT, INSERT, DELETE ON portal_sign_outs TO onboarding_api;
GRANT UPDATE (signed_out_at) ON portal_sign_outs TO onboarding_api;
