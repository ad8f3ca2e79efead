//! `onboard vendor` against a real PostgreSQL.

mod support;

use std::process::Command;

use onboarding_db::testing::fresh_database;

fn onboard(database_url: &str, args: &[&str]) -> (bool, String) {
    support::run_onboard(
        Command::new(env!("CARGO_BIN_EXE_onboard"))
            .args(args)
            .env("DATABASE_URL", database_url)
            .env("ONBOARD_STACK_ENV", "/nonexistent/stack.env")
            .env_remove("NOTIFICATION_TOPIC_ARN"),
    )
}

#[tokio::test]
async fn vendors_are_registered_suspended_approved_and_listed() {
    let db = fresh_database().await;
    let url = db.url.as_str();
    let (ok, out) = onboard(
        url,
        &[
            "vendor",
            "add",
            "--id",
            "VEND010",
            "--name",
            "Acme",
            "--email",
            "ops@acme.example.com",
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("no email subscription"), "{out}");

    let (ok, out) = onboard(
        url,
        &[
            "vendor",
            "add",
            "--id",
            "BAD ID",
            "--name",
            "x",
            "--email",
            "x@example.com",
        ],
    );
    assert!(!ok && out.contains("is not a vendor id"), "{out}");
    let (ok, out) = onboard(
        url,
        &[
            "vendor",
            "add",
            "--id",
            "VEND011",
            "--name",
            "x",
            "--email",
            "not-an-email",
        ],
    );
    assert!(!ok && out.contains("not an email address"), "{out}");

    let (ok, out) = onboard(url, &["vendor", "suspend", "VEND010"]);
    assert!(ok && out.contains("now suspended"), "{out}");
    let (ok, out) = onboard(url, &["vendor", "approve", "VEND010"]);
    assert!(!ok && out.contains("not pending approval"), "{out}");
    let (ok, out) = onboard(url, &["vendor", "activate", "VEND010"]);
    assert!(ok && out.contains("now active"), "{out}");

    sqlx::query("UPDATE vendors SET status = 'pending_approval' WHERE vendor_id = 'VEND010'")
        .execute(&db.pool)
        .await
        .unwrap();
    let (ok, out) = onboard(url, &["vendor", "approve", "VEND010"]);
    assert!(ok && out.contains("now active"), "{out}");
    let (ok, out) = onboard(url, &["vendor", "suspend", "NOPE"]);
    assert!(!ok && out.contains("no vendor NOPE"), "{out}");

    let (ok, out) = onboard(url, &["vendor", "list"]);
    assert!(ok, "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("VEND010"))
        .expect("listed");
    assert!(
        line.contains("active") && line.contains("ops@acme.example.com") && line.contains("Acme"),
        "{line}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("VEND004") && l.contains("suspended"))
    );
}

#[tokio::test]
async fn an_unknown_vendor_exits_3_and_says_where_the_vendors_are() {
    let db = fresh_database().await;
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_onboard"))
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("ONBOARD_STACK_ENV", "/nonexistent/stack.env")
            .env_remove("PORTAL_URL")
            .env_remove("ONBOARD_API_URL")
            .output()
            .unwrap()
    };
    for args in [
        &["vendor", "suspend", "VEND999"][..],
        &[
            "upload",
            "--vendor",
            "VEND999",
            "--bucket",
            "b",
            "Cargo.toml",
        ],
    ] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(
            stderr.contains("no vendor VEND999") && stderr.contains("onboard vendor list"),
            "{args:?}: {stderr}"
        );
    }

    onboarding_db::seed::seed(&db.pool, false).await.unwrap();
    let out = run(&["vendor", "list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vendors: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &vendors[0];
    for field in ["vendor_id", "vendor_name", "email", "status", "subscribed"] {
        assert!(first.get(field).is_some(), "no {field} in {first}");
    }
}
