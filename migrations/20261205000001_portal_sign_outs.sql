-- Portal sessions ended before their tokens expire (docs/vendor-portal.md,
-- "Logging out"). The vendor-api refuses an ID token when its login
-- (`subject`, Cognito's `sub`) has
--   * a row for the token's session (`session_id` = the token's `origin_jti`,
--     shared by every token refreshed from the same log-in): `POST
--     /api/auth/logout` ended that session; or
--   * a row with `session_id = ''` whose `signed_out_at` is at or after the
--     token's `auth_time` (whole seconds): `POST /api/auth/logout?everywhere=true`
--     ended every session authenticated until then.
-- Rows older than the pool's refresh-token lifetime (30 days) refuse nothing
-- any more and are purged whenever a sign-out is recorded.
CREATE TABLE portal_sign_outs (
    subject       TEXT        NOT NULL CHECK (length(subject) BETWEEN 1 AND 128),
    session_id    TEXT        NOT NULL CHECK (length(session_id) <= 128),
    signed_out_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subject, session_id)
);

CREATE INDEX portal_sign_outs_signed_out_at ON portal_sign_outs (signed_out_at);
