use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use onboarding_aws::contract::ErrorProcessorSettings;
use onboarding_aws::database::Database;
use onboarding_aws::metrics::MetricRecord;
use onboarding_aws::notify::{EmailAttributes, Notifier};
use onboarding_aws::s3::{presign_get, put_csv};
use onboarding_aws::stage::{
    PipelineFunction, StageError, UploadGroup, group_by_upload, settle_each,
};
use onboarding_aws::{AwsClients, BatchResponse};
use onboarding_core::{
    Email, FileFailure, LINK_LIFETIME, PipelineMessage, PortalLinks, ReportDocument, ReportLinks,
    UploadId, UploadStatus, UploadSummary, VendorId, completion_email, error_report_key,
    failure_email, fix_file_key, write_error_report, write_fix_file,
};
use onboarding_db::{report_links, reports, uploads};

use crate::FUNCTION;

/// Why the error-processor leaves an upload's messages for later.
#[derive(Debug, thiserror::Error)]
enum Deferral {
    #[error(
        "another sender holds the email's claim; retried after the visibility timeout, when it is sent or its claim has lapsed"
    )]
    ClaimedElsewhere,
}

type ProcessError = StageError<Deferral>;

pub struct Processor {
    clients: AwsClients,
    database: Database,
    bucket: String,
    notifier: Notifier,
    link_base_url: Option<String>,
    email_claim_lease: Duration,
}

impl PipelineFunction for Processor {
    type Event = SqsEvent;
    type Response = BatchResponse;
    type Error = lambda_runtime::Error;

    fn database(&self) -> &Database {
        &self.database
    }

    async fn handle(&self, event: SqsEvent) -> Result<BatchResponse, lambda_runtime::Error> {
        Ok(self.finish_batch(event).await)
    }
}

impl Processor {
    pub fn new(
        clients: AwsClients,
        database: Database,
        settings: ErrorProcessorSettings,
    ) -> Processor {
        Processor {
            notifier: Notifier::new(clients.sns.clone(), settings.notification_topic_arn),
            clients,
            database,
            bucket: settings.upload_bucket,
            email_claim_lease: settings.email_claim_lease,
            link_base_url: settings
                .report_link_base_url
                .map(|url| url.trim_end_matches('/').to_string()),
        }
    }

    /// Groups the messages by upload and finishes each complete upload once.
    async fn finish_batch(&self, event: SqsEvent) -> BatchResponse {
        let mut response = BatchResponse::default();
        let mut messages = Vec::new();
        for message in event.records {
            let id = message.message_id.clone().unwrap_or_default();
            match message
                .body
                .as_deref()
                .map(serde_json::from_str::<PipelineMessage>)
            {
                Some(Ok(parsed)) => messages.push((id, parsed)),
                other => {
                    // A message nobody can read goes back until SQS moves it
                    // to the dead-letter queue, where an operator sees it.
                    let reason = match other {
                        Some(Err(e)) => e.to_string(),
                        _ => "empty body".to_string(),
                    };
                    tracing::error!(upload_id = "-", vendor_id = "-", message_id = %id, %reason, "unreadable message");
                    response.fail(id);
                }
            }
        }
        settle_each(group_by_upload(messages), &mut response, |group| {
            self.finish(group)
        })
        .await;
        response
    }

    async fn finish(&self, group: UploadGroup<PipelineMessage>) -> Result<(), ProcessError> {
        let started = Instant::now();
        let pool = self.database.pool().await?;
        let upload = uploads::find_upload(pool, &group.upload_id)
            .await?
            .ok_or_else(|| StageError::UnknownUpload(group.upload_id.clone()))?;
        let Some(vendor_id) = &upload.vendor_id else {
            // A key outside the layout: the failure is in the audit trail,
            // and there is no vendor to tell.
            tracing::info!("upload names no vendor; messages acknowledged");
            return Ok(());
        };
        tracing::Span::current().record("vendor_id", vendor_id.as_str());
        if upload.notified_at.is_some() {
            tracing::info!("already notified; messages acknowledged");
            return Ok(());
        }
        if !upload.is_settled() {
            // Row errors of an upload still being validated: the completion
            // notice that follows the last batch does the work.
            tracing::debug!(
                complete_notice = group
                    .items
                    .iter()
                    .any(|m| matches!(m, PipelineMessage::UploadComplete { .. })),
                "upload not complete yet"
            );
            return Ok(());
        }
        let (status, email) = if upload.status == UploadStatus::Failed && upload.failure.is_some() {
            let failure = upload.file_failure().unwrap_or(FileFailure::Unreadable {
                detail: upload.failure_reason.clone().unwrap_or_default(),
            });
            (
                upload.status,
                failure_email(&upload.upload_id, &upload.file_name, &failure),
            )
        } else {
            self.write_reports(&upload, vendor_id).await?
        };
        self.send_once(&upload, vendor_id, status, &email).await?;
        MetricRecord::for_upload(FUNCTION, &upload.upload_id, vendor_id)
            .stage_duration("report", started.elapsed())
            .property("status", status.as_str())
            .emit();
        Ok(())
    }

    /// Writes the report and fix file (when there are errors), records the
    /// final status, and returns it with the completion email.
    async fn write_reports(
        &self,
        upload: &uploads::Upload,
        vendor_id: &VendorId,
    ) -> Result<(UploadStatus, Email), ProcessError> {
        let pool = self.database.pool().await?;
        let valid = upload.valid_records as u32;
        let invalid = upload.error_records as u32;
        let status = UploadStatus::of_counts(valid, invalid);
        let mut links = None;
        let (mut report_key, mut fix_key) = (None, None);
        if invalid > 0 {
            let lines = reports::report_lines(pool, &upload.upload_id).await?;
            let fix_rows = reports::fix_rows(pool, &upload.upload_id).await?;
            let report = error_report_key(vendor_id, &upload.upload_id);
            let fix = fix_file_key(vendor_id, &upload.upload_id);
            put_csv(
                &self.clients.s3,
                &self.bucket,
                &report,
                write_error_report(&lines),
            )
            .await?;
            put_csv(
                &self.clients.s3,
                &self.bucket,
                &fix,
                write_fix_file(&upload.source_columns, &fix_rows),
            )
            .await?;
            tracing::info!(report_key = %report, lines = lines.len(), fix_rows = fix_rows.len(), "error report written");
            links = Some(self.links(&upload.upload_id, &report, &fix).await?);
            report_key = Some(report);
            fix_key = Some(fix);
        }
        uploads::finish_upload(
            pool,
            &upload.upload_id,
            status,
            report_key.as_deref(),
            fix_key.as_deref(),
        )
        .await?;
        let summary = UploadSummary {
            upload_id: upload.upload_id.clone(),
            file_name: upload.file_name.clone(),
            total_records: upload.total_records.unwrap_or(0) as u32,
            valid_records: valid,
            error_records: invalid,
            status,
            warnings: upload.warnings.clone(),
            changes: upload.catalog_changes(),
        };
        Ok((status, completion_email(&summary, links.as_ref())))
    }

    /// The email's links, whose expiry line must be true of them
    /// ("Download Error Report: [presigned_url]" and "(Link expires in 7
    /// days)"). A presigned URL dies with the credentials that signed it, and
    /// a Lambda role's last hours, so:
    /// - with the vendor portal deployed (`REPORT_LINK_BASE_URL`), the
    ///   requirements' lines carry seven-day links through the portal
    ///   (`/links/{token}`, recorded in `report_links`), which answer each
    ///   click with a fresh presigned GET and refuse after seven days; the
    ///   portal's login-protected links follow, good for as long as the
    ///   report is kept;
    /// - without it, presigned GETs for seven days, or for the shorter life
    ///   of the signing credentials, which the expiry line then states.
    async fn links(
        &self,
        upload_id: &UploadId,
        report_key: &str,
        fix_key: &str,
    ) -> Result<ReportLinks, ProcessError> {
        let Some(base) = &self.link_base_url else {
            let lifetime = self.signing_lifetime().await;
            return Ok(ReportLinks {
                error_report: presign_get(&self.clients.s3, &self.bucket, report_key, lifetime)
                    .await?,
                fix_file: Some(
                    presign_get(&self.clients.s3, &self.bucket, fix_key, lifetime).await?,
                ),
                lifetime,
                portal: None,
            });
        };
        let pool = self.database.pool().await?;
        let link = async |document| -> Result<String, ProcessError> {
            let token = report_links::create_link(pool, upload_id, document, LINK_LIFETIME).await?;
            Ok(format!("{base}/links/{}", token.as_str()))
        };
        Ok(ReportLinks {
            error_report: link(ReportDocument::ErrorReport).await?,
            fix_file: Some(link(ReportDocument::FixFile).await?),
            lifetime: LINK_LIFETIME,
            portal: Some(PortalLinks {
                error_report: format!("{base}/uploads/{upload_id}/report"),
                fix_file: format!("{base}/uploads/{upload_id}/fix-file"),
            }),
        })
    }

    /// Seven days ([`LINK_LIFETIME`]), or less if the signing credentials
    /// expire sooner (a minute's margin, whole seconds).
    async fn signing_lifetime(&self) -> Duration {
        use aws_credential_types::provider::ProvideCredentials;
        let Some(provider) = self.clients.sdk.credentials_provider() else {
            return LINK_LIFETIME;
        };
        match provider
            .provide_credentials()
            .await
            .ok()
            .and_then(|c| c.expiry())
        {
            Some(expiry) => {
                let left = expiry
                    .duration_since(std::time::SystemTime::now())
                    .unwrap_or_default()
                    .saturating_sub(Duration::from_secs(60))
                    .min(LINK_LIFETIME);
                // At least a second: a zero lifetime cannot be presigned.
                Duration::from_secs(left.as_secs().max(1))
            }
            None => LINK_LIFETIME,
        }
    }

    /// Publishes the email unless it has been sent. The claim is a lease in
    /// the database: a sender that dies mid-way is replaced after it lapses
    /// (docs/decisions.md 11).
    async fn send_once(
        &self,
        upload: &uploads::Upload,
        vendor_id: &VendorId,
        status: UploadStatus,
        email: &Email,
    ) -> Result<(), ProcessError> {
        let pool = self.database.pool().await?;
        match uploads::claim_notification(pool, &upload.upload_id, self.email_claim_lease).await? {
            uploads::EmailClaim::Claimed => {}
            uploads::EmailClaim::Sent => {
                tracing::info!("email already sent");
                return Ok(());
            }
            // Not acknowledged: if the holder died between its claim and its
            // publish, these messages may be the last ones about the upload,
            // and only their retry (after the visibility timeout, longer than
            // the lease) can take the claim over and send the email.
            uploads::EmailClaim::HeldElsewhere => {
                return Err(StageError::Stage(Deferral::ClaimedElsewhere));
            }
            uploads::EmailClaim::NotRequested => {
                tracing::info!("email not requested (a portal submission); recorded as such");
                return Ok(());
            }
        }
        let about = EmailAttributes {
            vendor_id,
            upload_id: &upload.upload_id,
            status,
        };
        match self.notifier.publish(email, &about).await {
            Ok(message_id) => {
                uploads::mark_notified(pool, &upload.upload_id, &message_id).await?;
                tracing::info!(%message_id, subject = %email.subject, "vendor notified");
                Ok(())
            }
            Err(error) => {
                uploads::release_notification(pool, &upload.upload_id).await?;
                Err(error.into())
            }
        }
    }
}
