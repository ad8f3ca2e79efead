-- State the pipeline needs to be idempotent and to explain itself.

-- The machine-readable form of failure_reason (a serialised FileFailure), so
-- the email can be written from it whatever function records the failure.
ALTER TABLE upload_history ADD COLUMN failure JSONB;

-- The email guard. A sender first claims the notification (a lease, so a
-- sender that died can be replaced once the lease lapses), publishes, then
-- sets notified_at. notified_at IS NOT NULL means the email went out.
ALTER TABLE upload_history ADD COLUMN notify_claimed_at TIMESTAMPTZ;
ALTER TABLE upload_history ADD COLUMN notification_message_id TEXT;

-- The SNS email subscription that carries this vendor's filter policy.
ALTER TABLE vendors ADD COLUMN subscription_arn TEXT;
