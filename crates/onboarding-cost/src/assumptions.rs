//! What one upload does and what is provisioned: the figures the model
//! multiplies the prices by, each with where it comes from.

/// AWS bills a month as 730 hours.
pub const HOURS_PER_MONTH: f64 = 730.0;
/// Seconds in a billed month.
pub const SECONDS_PER_MONTH: f64 = HOURS_PER_MONTH * 3600.0;
/// Days in a billed month.
pub const DAYS_PER_MONTH: f64 = HOURS_PER_MONTH / 24.0;
/// Business hours in a month: 22 working days of 10 hours.
pub const BUSINESS_HOURS_PER_MONTH: f64 = 220.0;
/// Bytes in a GiB (what AWS bills as a GB).
pub const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
/// Bytes in a KiB.
pub const KIB: f64 = 1024.0;

/// The projection of the staging table's GSI `vendor-index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GsiProjection {
    /// Every attribute (terraform until issue 18): the table write also
    /// writes the index item, with the whole item.
    All,
    /// Only the keys (terraform): the put writes a small index item.
    KeysOnly,
    /// No index (not an option: the requirements ask for a GSI by vendor).
    Dropped,
}

/// What one upload does and what is provisioned. Sources: "terraform" is the
/// code under terraform/ as read on 2026-11-22; "code" is the Rust code of
/// the functions; "measured" is the local stack (`onboard dev`,
/// `bench/run.sh`, `.dev/logs`); "assumed" is an estimate, stated as such.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Assumptions {
    /// measured: csv-parser, read + parse + stage per 1,000 rows (s).
    pub parse_s_per_1000_rows: f64,
    /// measured: product-validator per 1,000 rows (s).
    pub validate_s_per_1000_rows: f64,
    /// measured: error-processor, report + fix file + e-mail per upload (s).
    pub report_s_per_upload: f64,
    /// terraform (main.tf `local.functions`): csv-parser memory (GB).
    pub parser_memory_gb: f64,
    /// terraform: product-validator memory (GB).
    pub validator_memory_gb: f64,
    /// terraform: error-processor memory (GB).
    pub reporter_memory_gb: f64,
    /// assumed: billed init time of one cold start of an image function (s).
    pub init_s_per_cold_start: f64,
    /// terraform (triggers.tf): stream batch size, so rows per validator invocation.
    pub stream_batch_size: f64,
    /// terraform: errors queue batch size of the error-processor.
    pub queue_batch_size: f64,
    /// measured: bytes per CSV row (testdata/samples: ~240).
    pub row_bytes: f64,
    /// code (`StagedRow`): attribute names, ids, status and TTL around the cells.
    pub staged_item_overhead_bytes: f64,
    /// code: every row is written once to the table (staged with
    /// `pending_validation`); the validator's verdict goes to PostgreSQL
    /// only, so there is no status rewrite (decisions.md 14).
    pub writes_per_row: f64,
    /// terraform: the projection of the GSI `vendor-index` (vendor_id +
    /// upload_id), which decides what each table write also costs on it:
    /// KEYS_ONLY (nothing reads attributes through the index).
    pub gsi: GsiProjection,
    /// assumed: bytes of one KEYS_ONLY index item (upload_id, record_id,
    /// vendor_id, plus the 100 bytes DynamoDB counts per index item).
    pub gsi_keys_only_item_bytes: f64,
    /// code + terraform: staged rows live 7 days; TTL deletes within ~2 days after.
    pub staging_days: f64,
    /// measured (samples): share of rows with at least one error.
    pub invalid_row_share: f64,
    /// measured: bytes of a `row_errors` queue message per invalid row.
    pub error_message_bytes_per_invalid_row: f64,
    /// measured (testdata/golden): error report bytes per invalid row.
    pub report_bytes_per_invalid_row: f64,
    /// measured: fix file bytes per invalid row.
    pub fix_bytes_per_invalid_row: f64,
    /// terraform: days an object is billed: 90 current + 30 noncurrent.
    pub s3_retention_days: f64,
    /// code: S3 PUTs per upload (the vendor's upload, the report, the fix file).
    pub s3_puts_per_upload: f64,
    /// code + assumed: S3 GETs per upload (csv-parser reads twice; the vendor
    /// downloads report and fix file).
    pub s3_gets_per_upload: f64,
    /// assumed: S3 server access log bytes per upload (one ~400 B record per request).
    pub access_log_bytes_per_upload: f64,
    /// measured (.dev/logs): function log bytes per upload, apart from the validator's batches.
    pub log_bytes_per_upload: f64,
    /// measured: validator log bytes per batch (batch line + EMF lines).
    pub log_bytes_per_batch: f64,
    /// assumed: VPC flow log bytes per upload (ALL traffic, terraform).
    pub flow_log_bytes_per_upload: f64,
    /// assumed: logs written with no uploads at all (flow logs, DB log exports), GB/month.
    pub idle_log_gb_month: f64,
    /// assumed: RDS Enhanced Monitoring at 60 s (terraform), GB/month while running.
    pub enhanced_monitoring_gb_month: f64,
    /// terraform: log retention (days).
    pub log_retention_days: f64,
    /// code: EMF metric series sent in an hour with uploads: RowsParsed,
    /// PeakRss, ProductsValidated, RowsRejected, ValidationErrors (the error
    /// type is a property, not a dimension) and StageDuration per stage (3).
    /// UploadsFailed is rare. Cold starts come from Lambda's REPORT lines.
    pub emf_series: f64,
    /// terraform (modules/observability/alarms.tf): alarms apart from the
    /// database and NAT ones: errors and throttles of every function
    /// (account-wide, `per_function_alarms = false`), 3 dead-letter queues,
    /// 2 backlogs, and the portal API's 5xx.
    pub base_alarms: f64,
    /// terraform: CloudWatch dashboards (`create_dashboard`, off by default).
    pub dashboards: f64,
    /// terraform (kms.tf): customer managed KMS keys (none: AWS managed
    /// keys, kms.tf says why per use).
    pub customer_managed_keys: f64,
    /// terraform (modules/network): interface endpoints with `egress_mode =
    /// ipv6`. None: Cognito, which has no dual-stack endpoint, is called only
    /// by vendor-auth, outside the VPC (docs/decisions-platform.md 21); secretsmanager
    /// only with `enable_rds_proxy` (off by default).
    pub ipv6_interface_endpoints: f64,
    /// assumed: ECR image storage of the 3 repositories (last 20 images each).
    pub ecr_gb: f64,
    /// assumed: KMS requests per upload besides cold starts (S3 with bucket
    /// keys, SQS and SNS data keys, DynamoDB table key).
    pub kms_requests_per_upload: f64,
    /// assumed: Lambda's pollers per SQS event source mapping, each a 20 s
    /// long poll, all month, even on an empty queue.
    pub sqs_idle_pollers: f64,
    /// terraform: SQS event source mappings: the errors queue to the
    /// error-processor's `live` alias, and `<prefix>-errors-candidate` to its
    /// `candidate` alias (blue/green). Each polls on its own.
    pub sqs_event_source_mappings: f64,
    /// assumed: bytes through the egress path per upload besides the error
    /// messages (TLS, Secrets Manager, SQS and SNS calls).
    pub egress_bytes_per_upload: f64,
    /// assumed: catalog bytes per row in PostgreSQL (products or
    /// validation_errors, row_outcomes, their indexes).
    pub db_bytes_per_row: f64,
    /// assumed: database size with no uploads (GB).
    pub db_base_gb: f64,
    /// terraform: backup retention (days).
    pub backup_retention_days: f64,
    /// terraform: RDS allocated storage (GB).
    pub rds_storage_gb: f64,
    /// assumed: Aurora I/O requests per row (write-ahead log and cold index pages after a resume).
    pub aurora_io_per_row: f64,
    /// terraform: `aurora_seconds_until_auto_pause`.
    pub aurora_pause_after_s: f64,
    /// Aurora docs: ~15 s to resume a paused instance.
    pub aurora_resume_s: f64,
    /// Aurora: lowest capacity of a running (not paused) instance.
    pub aurora_running_acu: f64,
    /// terraform: `aurora_max_capacity`, charged while uploads are processed.
    pub aurora_busy_acu: f64,
    /// code + terraform + `--db-hold-minutes`: how long PostgreSQL
    /// connections stay open after the last request. Aurora pauses only with
    /// no connections. The pipeline functions keep one connection for 3 s
    /// after an invocation for the next one, then close it
    /// (`Database::release_connections`, `WARM_FOR`); the vendor-api
    /// keeps a small pool, which PostgreSQL closes after 60 s idle
    /// (`idle_session_timeout`, terraform modules/data): 15 s, counting every
    /// upload as followed in the portal.
    pub db_hold_s: f64,
    /// assumed: one PostgreSQL connection set-up (TCP, TLS, authentication)
    /// per pipeline invocation (counted for every one, although
    /// back-to-back invocations within 3 s share a warm connection): ~30-50 ms.
    pub db_connect_s: f64,
    /// assumed: how long an idle Lambda execution environment lives before
    /// Lambda retires it (not documented by AWS; minutes to tens of minutes).
    pub environment_lifetime_s: f64,
    /// assumed: the always-on worker's 0.25 vCPU is this much slower than the measured figures.
    pub fargate_slowdown: f64,
    /// assumed: keep an always-on worker at most this busy before adding one.
    pub worker_target_utilisation: f64,
    /// assumed: vendor portal API requests per upload, for a vendor who
    /// follows one upload in the portal (login, presigned POST, polling the
    /// list, opening the result and the report).
    pub portal_requests_per_upload: f64,
}

impl Assumptions {
    pub const DEFAULT: Assumptions = Assumptions {
        parse_s_per_1000_rows: 0.3,
        validate_s_per_1000_rows: 1.0,
        report_s_per_upload: 0.5,
        parser_memory_gb: 1.0,
        validator_memory_gb: 0.5,
        reporter_memory_gb: 0.5,
        init_s_per_cold_start: 0.25,
        stream_batch_size: 500.0,
        queue_batch_size: 10.0,
        row_bytes: 240.0,
        staged_item_overhead_bytes: 180.0,
        writes_per_row: 1.0,
        gsi: GsiProjection::KeysOnly,
        gsi_keys_only_item_bytes: 200.0,
        staging_days: 9.0,
        invalid_row_share: 0.15,
        error_message_bytes_per_invalid_row: 600.0,
        report_bytes_per_invalid_row: 250.0,
        fix_bytes_per_invalid_row: 240.0,
        s3_retention_days: 120.0,
        s3_puts_per_upload: 3.0,
        s3_gets_per_upload: 4.0,
        access_log_bytes_per_upload: 2800.0,
        log_bytes_per_upload: 8.0 * KIB,
        log_bytes_per_batch: 3.5 * KIB,
        flow_log_bytes_per_upload: 10.0 * KIB,
        idle_log_gb_month: 0.01,
        enhanced_monitoring_gb_month: 0.25,
        log_retention_days: 14.0,
        emf_series: 8.0,
        base_alarms: 8.0,
        dashboards: 0.0,
        customer_managed_keys: 0.0,
        ipv6_interface_endpoints: 0.0,
        ecr_gb: 0.85,
        kms_requests_per_upload: 6.0,
        sqs_idle_pollers: 5.0,
        sqs_event_source_mappings: 2.0,
        egress_bytes_per_upload: 60.0 * KIB,
        db_bytes_per_row: 1536.0,
        db_base_gb: 1.0,
        backup_retention_days: 7.0,
        rds_storage_gb: 20.0,
        aurora_io_per_row: 3.0,
        aurora_pause_after_s: 300.0,
        aurora_resume_s: 15.0,
        aurora_running_acu: 0.5,
        aurora_busy_acu: 2.0,
        db_hold_s: 15.0,
        db_connect_s: 0.04,
        environment_lifetime_s: 600.0,
        fargate_slowdown: 4.0,
        worker_target_utilisation: 0.5,
        portal_requests_per_upload: 30.0,
    };
}

impl Assumptions {
    /// These assumptions with PostgreSQL connections held `minutes` after
    /// the last request (`db_hold_s`).
    pub fn with_db_hold_minutes(self, minutes: f64) -> Assumptions {
        Assumptions {
            db_hold_s: minutes * 60.0,
            ..self
        }
    }
}
