//! An error-processor killed between claiming an upload's email and
//! publishing it (issue 19): the upload still ends notified, with exactly
//! one email, because a later delivery takes the lapsed claim over
//! (docs/decisions.md 11). Real PostgreSQL, moto and the function binaries
//! on the local stack; the kill is a SIGKILL of the function's process.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use onboarding_core::UploadStatus;
use onboarding_devstack::options::FunctionKind;
use support::{Harness, Options, TEST_ERRORS_VISIBILITY_TIMEOUT_S};
use tokio::net::{TcpListener, TcpStream};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");

/// Shorter than the test's visibility timeout, as the contract requires of
/// the real settings (120 s < 390 s), so the killed batch's retry finds the
/// claim lapsed.
const LEASE_S: u32 = 2;
const _: () = assert!(LEASE_S < TEST_ERRORS_VISIBILITY_TIMEOUT_S);

/// The error-processor's SNS endpoint: while it stalls, a connection is
/// accepted and never answered, so a publish hangs after the claim; after
/// that, connections are forwarded to the emulator.
struct SnsGate {
    url: String,
    stalling: Arc<AtomicBool>,
    stalled: Arc<AtomicUsize>,
    upstream: Arc<std::sync::Mutex<Option<String>>>,
}

impl SnsGate {
    async fn start() -> SnsGate {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let gate = SnsGate {
            url,
            stalling: Arc::new(AtomicBool::new(true)),
            stalled: Arc::new(AtomicUsize::new(0)),
            upstream: Arc::default(),
        };
        let (stalling, stalled, upstream) = (
            Arc::clone(&gate.stalling),
            Arc::clone(&gate.stalled),
            Arc::clone(&gate.upstream),
        );
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if stalling.load(Ordering::SeqCst) {
                    stalled.fetch_add(1, Ordering::SeqCst);
                    // Read the request and never answer; the connection ends
                    // when the killed process's socket closes.
                    tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut client, &mut tokio::io::sink()).await;
                    });
                    continue;
                }
                let address = upstream.lock().unwrap().clone().expect("an upstream");
                tokio::spawn(async move {
                    let mut server = TcpStream::connect(address).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        gate
    }

    /// From now on, connections reach `endpoint` (`http://host:port`).
    fn open_to(&self, endpoint: &str) {
        let address = endpoint.trim_start_matches("http://").trim_end_matches('/');
        *self.upstream.lock().unwrap() = Some(address.to_string());
        self.stalling.store(false, Ordering::SeqCst);
    }
}

/// `(notify_claimed_at, notified_at)` of the vendor's one upload, once it
/// has a row.
async fn claim_of(stack: &Harness) -> Option<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    sqlx::query_as(
        "SELECT notify_claimed_at, notified_at FROM upload_history WHERE vendor_id = 'VEND001'",
    )
    .fetch_optional(&stack.db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_processor_killed_between_claim_and_publish_is_taken_over_after_the_lease() {
    let gate = SnsGate::start().await;
    let stack = Harness::start(Options {
        email_claim_lease_s: Some(LEASE_S),
        function_env: vec![("AWS_ENDPOINT_URL_SNS".into(), gate.url.clone())],
        ..Options::default()
    })
    .await;
    let bytes = std::fs::read(format!("{SAMPLES}/samples/VEND001_products.csv")).unwrap();

    let kill_after_claim = async {
        let started = Instant::now();
        // The publish hangs at the gate: the claim is taken, the email is
        // not out.
        while gate.stalled.load(Ordering::SeqCst) == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the error-processor never tried to publish; logs in {}",
                stack.stack.state_dir().display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (claimed_at, notified_at) = claim_of(&stack).await.expect("the upload's row");
        assert!(claimed_at.is_some(), "publishing without a claim");
        assert_eq!(notified_at, None);
        let killed = stack.stack.pool(FunctionKind::ErrorProcessor).kill_busy();
        assert!(killed >= 1, "no error-processor instance was running");
        gate.open_to(stack.stack.endpoint());
        claimed_at.unwrap()
    };
    let (upload, first_claim) = tokio::join!(
        stack.upload("VEND001", "products.csv", bytes),
        kill_after_claim
    );

    // The audit trail: notified, by a later claim that took the lapsed one
    // over.
    assert_eq!(upload.status, UploadStatus::Partial);
    let notified_at = upload.notified_at.expect("the upload ends notified");
    let (claimed_at, _) = claim_of(&stack).await.unwrap();
    let claimed_at = claimed_at.expect("a claim");
    assert!(
        claimed_at - first_claim >= chrono::Duration::seconds(LEASE_S.into()),
        "the email was claimed again only after the lease: first {first_claim}, then {claimed_at}"
    );
    assert!(notified_at >= claimed_at);
    let message_id: Option<String> = sqlx::query_scalar(
        "SELECT notification_message_id FROM upload_history WHERE upload_id = $1",
    )
    .bind(upload.upload_id.as_str())
    .fetch_one(&stack.db.pool)
    .await
    .unwrap();
    assert!(message_id.is_some(), "the published message is recorded");

    // Exactly one email: the killed sender never reached SNS.
    let emails = stack.emails_about(&upload.upload_id).await;
    assert_eq!(emails.len(), 1, "exactly one email: {emails:?}");
    assert_eq!(stack.mailbox("VEND001").await.len(), 1);
    let processor = &stack.stack.invocation_stats()[&FunctionKind::ErrorProcessor];
    assert!(
        processor.crashes >= 1,
        "the kill shows as a crashed invocation: {processor:?}"
    );
}
