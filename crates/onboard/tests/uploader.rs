//! Who uploaded a file: a portal upload is bound to the vendor that signed in
//! (the presigned POST's `x-amz-meta-vendor-id`, exact-match in the signed
//! policy, stored by S3 as `vendor-id` metadata), and the csv-parser refuses
//! an object whose bound vendor is not the vendor whose folder its key
//! names. Objects without the metadata (direct drops by IAM-authorised
//! tools) are processed as before.
//!
//! moto does not enforce POST policies: that S3 refuses a form changing or
//! dropping the field is shown by the conformance test
//! (crates/onboarding-api/tests/presigned_post_conformance.rs). Here moto's
//! lack of enforcement shows the second line: even a form S3 would have
//! refused is refused again by the parser.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use onboarding_db::uploads::{self, Upload};
use onboarding_devstack::env::keys;
use reqwest::StatusCode;
use serde_json::json;
use support::portal::Browser;
use support::{Harness, Options};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");
const VEND001_LOGIN: &str = "orders@techgear.example.com";
const VEND002_LOGIN: &str = "catalog@stylewear.example.com";

fn clean_file() -> Vec<u8> {
    std::fs::read(format!("{SAMPLES}/samples/VEND001_clean.csv")).unwrap()
}

fn bucket(harness: &Harness) -> String {
    harness
        .stack
        .env()
        .require(keys::UPLOAD_BUCKET)
        .unwrap()
        .to_string()
}

/// The user metadata S3 stores for `key`.
async fn metadata_of(harness: &Harness, key: &str) -> std::collections::HashMap<String, String> {
    harness
        .stack
        .clients()
        .s3
        .head_object()
        .bucket(bucket(harness))
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject {key}: {e:?}"))
        .metadata
        .unwrap_or_default()
}

/// Waits until the pipeline is done with the newest upload of `key`.
async fn finished(harness: &Harness, key: &str) -> Upload {
    let started = Instant::now();
    loop {
        let newest: Option<String> = sqlx::query_scalar(
            "SELECT upload_id FROM upload_history WHERE s3_key = $1 \
             ORDER BY upload_timestamp DESC LIMIT 1",
        )
        .bind(key)
        .fetch_optional(&harness.db.pool)
        .await
        .unwrap();
        if let Some(id) = newest
            && let Some(upload) = uploads::find_upload(&harness.db.pool, &id.parse().unwrap())
                .await
                .unwrap()
            && upload.is_finished()
        {
            return upload;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{key} not finished; logs in {}",
            harness.stack.state_dir().display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asserts that `upload` was refused for being bound to `uploader` while in
/// `owner`'s folder: failed, nothing staged or inserted, and one failure
/// email to the folder's owner, naming both.
async fn assert_refused(harness: &Harness, upload: &Upload, owner: &str, uploader: &str) {
    assert_eq!(upload.vendor_id, owner.parse().ok());
    assert_eq!(
        upload.status,
        onboarding_core::UploadStatus::Failed,
        "{upload:?}"
    );
    let reason = upload.failure_reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains(&format!("vendor '{owner}'"))
            && reason.contains(&format!("vendor '{uploader}'")),
        "the reason names both vendors: {reason}"
    );
    assert_eq!(
        upload.failure,
        Some(json!({
            "kind": "uploader_mismatch",
            "vendor_id": owner,
            "uploader_id": uploader,
        }))
    );
    assert_eq!(upload.total_records, Some(0));
    assert_eq!(harness.products_of(&upload.upload_id).await, 0);
    assert_eq!(harness.staged_rows(&upload.upload_id).await, 0);

    let emails = harness.emails_about(&upload.upload_id).await;
    assert_eq!(emails.len(), 1, "exactly one email: {emails:?}");
    let email = &emails[0];
    assert_eq!(email.vendor_id, owner, "the folder's owner is told");
    assert_eq!(email.status, onboarding_core::UploadStatus::Failed);
    assert!(
        email.subject.starts_with("Product Upload Failed - "),
        "{}",
        email.subject
    );
    assert!(
        email.body.contains(&format!("vendor '{owner}'"))
            && email.body.contains(&format!("vendor '{uploader}'")),
        "{}",
        email.body
    );
    assert!(
        harness.mailbox(uploader).await.is_empty(),
        "the bound vendor is not mailed about another vendor's folder"
    );
}

/// (a) The browser's upload: the presigned POST carries the signed-in
/// vendor, S3 stores it as `vendor-id`, and the file is processed normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_upload_stores_its_vendor_and_is_processed() {
    let harness = Harness::start(Options {
        portal: true,
        ..Options::default()
    })
    .await;
    let browser = Browser::logged_in(&harness, VEND001_LOGIN).await;
    let (status, presigned) = browser
        .post("/api/uploads", json!({"file_name": "bound.csv"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{presigned}");
    assert_eq!(presigned["key"], "uploads/VEND001/bound.csv");
    assert_eq!(presigned["fields"]["x-amz-meta-vendor-id"], "VEND001");

    let status = browser
        .post_form(&presigned, "bound.csv", clean_file())
        .await;
    assert!(status.is_success(), "presigned POST: {status}");
    let metadata = metadata_of(&harness, "uploads/VEND001/bound.csv").await;
    assert_eq!(
        metadata.get("vendor-id").map(String::as_str),
        Some("VEND001"),
        "{metadata:?}"
    );

    let upload = finished(&harness, "uploads/VEND001/bound.csv").await;
    assert_eq!(
        upload.status,
        onboarding_core::UploadStatus::Completed,
        "{upload:?}"
    );
    assert_eq!(upload.failure_reason, None);
    assert_eq!(upload.valid_records, 20);
    assert_eq!(harness.products_of(&upload.upload_id).await, 20);
    let emails = harness.emails_about(&upload.upload_id).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(
        (emails[0].vendor_id.as_str(), emails[0].status.as_str()),
        ("VEND001", "completed")
    );
}

/// (a') A signed-in vendor's form moved into another vendor's folder. S3
/// refuses it (the key's condition); moto stores it, and the parser still
/// refuses it because the form bound VEND002.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_form_moved_into_another_folder_is_refused() {
    let harness = Harness::start(Options {
        portal: true,
        ..Options::default()
    })
    .await;
    let intruder = Browser::logged_in(&harness, VEND002_LOGIN).await;
    let (status, mut presigned) = intruder
        .post("/api/uploads", json!({"file_name": "moved.csv"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{presigned}");
    assert_eq!(presigned["fields"]["x-amz-meta-vendor-id"], "VEND002");
    presigned["fields"]["key"] = json!("uploads/VEND001/moved.csv");
    let status = intruder
        .post_form(&presigned, "moved.csv", clean_file())
        .await;
    assert!(status.is_success(), "moto accepts the form: {status}");

    let upload = finished(&harness, "uploads/VEND001/moved.csv").await;
    assert_refused(&harness, &upload, "VEND001", "VEND002").await;
}

/// (b) An object in VEND001's folder bound to VEND002 is refused as a whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_bound_to_another_vendor_fails_naming_both() {
    let harness = Harness::start(Options::default()).await;
    let key = "uploads/VEND001/not-mine.csv";
    harness
        .stack
        .clients()
        .s3
        .put_object()
        .bucket(bucket(&harness))
        .key(key)
        .metadata("vendor-id", "VEND002")
        .body(ByteStream::from(clean_file()))
        .send()
        .await
        .unwrap();

    let upload = finished(&harness, key).await;
    assert_refused(&harness, &upload, "VEND001", "VEND002").await;
}

/// (c) A direct drop without the metadata (the AWS CLI path, the smoke
/// test) is processed normally: IAM authorised the writer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_without_uploader_metadata_is_processed() {
    let harness = Harness::start(Options::default()).await;
    let upload = harness.upload("VEND001", "dropped.csv", clean_file()).await;
    assert!(
        metadata_of(&harness, "uploads/VEND001/dropped.csv")
            .await
            .is_empty()
    );
    assert_eq!(
        upload.status,
        onboarding_core::UploadStatus::Completed,
        "{upload:?}"
    );
    assert_eq!(upload.failure_reason, None);
    assert_eq!(upload.valid_records, 20);
    assert_eq!(harness.products_of(&upload.upload_id).await, 20);
    let emails = harness.emails_about(&upload.upload_id).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0].status, onboarding_core::UploadStatus::Completed);
}
