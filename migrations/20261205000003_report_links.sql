-- The email's download links (docs/decisions.md, "Seven-day report links").
-- A presigned S3 URL dies with the credentials that signed it, and a Lambda
-- role's credentials last hours, so in AWS a presigned link cannot keep the
-- requirements' promise "(Link expires in 7 days)". With the portal deployed
-- the email links here instead: a random token (only its SHA-256 is kept)
-- that the portal's /api/links/{token} turns into a fresh presigned GET until
-- expires_at, seven days after the email was written, and refuses after.

CREATE TABLE report_links (
    token_sha256 BYTEA        PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
    upload_id    VARCHAR(50)  NOT NULL REFERENCES upload_history (upload_id) ON DELETE CASCADE,
    document     VARCHAR(20)  NOT NULL CHECK (document IN ('error_report', 'fix_file')),
    expires_at   TIMESTAMPTZ  NOT NULL,
    created_at   TIMESTAMPTZ  NOT NULL DEFAULT now()
);
CREATE INDEX report_links_by_upload ON report_links (upload_id);

-- error-processor mints the links with the email; vendor-api resolves them.
GRANT INSERT ON report_links TO onboarding_error_processor;
GRANT SELECT ON report_links TO onboarding_api;
