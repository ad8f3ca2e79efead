//! The vendor lifecycle on the local stack, through the admin API an
//! operator reaches in AWS the same way: sign-up → pending approval →
//! approved by an operator (the Cognito `admins` group) → active, its email
//! subscribed with its filter policy → suspended, unsubscribed. Locally the
//! vendor's mailbox queue stands in for its email address (the admin API
//! subscribes it where AWS subscribes the email), so `onboard outbox
//! --vendor V` shows exactly what V's subscription receives.

mod support;

use std::time::{Duration, Instant};

use onboarding_aws::notify::{Notifier, WantedSubscription};
use onboarding_core::VendorId;
use onboarding_devstack::env::keys;
use onboarding_devstack::portal::{OPERATOR_EMAIL_KEY, OPERATOR_PASSWORD_KEY, operator_token};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::portal::Browser;
use support::{Harness, Options};

const VEND001: &str = "orders@techgear.example.com";

async fn portal_stack() -> Harness {
    Harness::start(Options {
        portal: true,
        ..Options::default()
    })
    .await
}

/// A browser holding the local operator's ID token.
async fn operator(harness: &Harness) -> Browser {
    let env = harness.stack.env();
    let token = operator_token(
        env.require(keys::AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER)
            .unwrap(),
        env.require(keys::COGNITO_CLIENT_ID).unwrap(),
        env.require(OPERATOR_EMAIL_KEY).unwrap(),
        env.require(OPERATOR_PASSWORD_KEY).unwrap(),
    )
    .await
    .expect("the operator logs in");
    Browser::with_token(harness, &token)
}

/// Every admin route, with `vendor` in the vendor routes.
fn admin_routes(vendor: &str) -> Vec<(Method, String)> {
    vec![
        (Method::GET, "/api/admin/vendors".to_string()),
        (Method::POST, format!("/api/admin/vendors/{vendor}/approve")),
        (Method::POST, format!("/api/admin/vendors/{vendor}/suspend")),
        (
            Method::POST,
            format!("/api/admin/vendors/{vendor}/activate"),
        ),
        (Method::POST, format!("/api/admin/vendors/{vendor}/email")),
        (
            Method::POST,
            "/api/admin/subscriptions/reconcile".to_string(),
        ),
    ]
}

async fn call(browser: &Browser, method: Method, path: &str) -> (StatusCode, Value) {
    let answer = browser.send(method, path, None, false).await;
    let body = if answer.body.is_empty() {
        Value::Null
    } else {
        answer.json()
    };
    (answer.status, body)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The vendor subscriptions on the topic: (arn, endpoint, filter policy).
async fn topic_subscriptions(harness: &Harness) -> Vec<(String, String, Option<String>)> {
    let sns = &harness.stack.clients().sns;
    let topic = harness
        .stack
        .env()
        .require(keys::NOTIFICATION_TOPIC_ARN)
        .unwrap();
    let listed = sns
        .list_subscriptions_by_topic()
        .topic_arn(topic)
        .send()
        .await
        .unwrap();
    let mut found = Vec::new();
    for s in listed.subscriptions() {
        let endpoint = s.endpoint().unwrap_or_default().to_string();
        if !endpoint.contains("-mailbox-") {
            continue;
        }
        let arn = s.subscription_arn().unwrap().to_string();
        let policy = sns
            .get_subscription_attributes()
            .subscription_arn(&arn)
            .send()
            .await
            .unwrap()
            .attributes
            .and_then(|mut a| a.remove("FilterPolicy"));
        found.push((arn, endpoint, policy));
    }
    found
}

/// Waits until the stack has made the queue behind `vendor`'s mailbox
/// subscription (it does every second).
async fn wait_for_mailbox_queue(harness: &Harness, vendor: &str) {
    let prefix = harness.stack.env().require(keys::STACK_PREFIX).unwrap();
    let name = onboarding_devstack::provision::mailbox_queue_name(
        prefix,
        &onboarding_core::VendorId::parse(vendor).expect("a vendor id"),
    );
    let started = Instant::now();
    while harness
        .stack
        .clients()
        .sqs
        .get_queue_url()
        .queue_name(&name)
        .send()
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no queue {name}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_up_vendor_is_approved_gets_only_its_email_and_none_once_suspended() {
    let harness = portal_stack().await;
    let admin = operator(&harness).await;

    // Sign-up: pending approval.
    let mut vendor = Browser::new(&harness);
    let email = "hello@lifecycle.example.com";
    let password = "Lifecycle-Vendor-2026!";
    let signed_up = vendor
        .sign_up_and_log_in("Lifecycle Ltd", email, password)
        .await;
    let vendor_id = signed_up["vendor_id"].as_str().unwrap().to_string();
    // Its first request registers it (the auth part has no database).
    let (status, me) = vendor.get("/api/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["status"], "pending_approval");
    let (status, _) = vendor
        .post("/api/uploads", json!({"file_name": "early.csv"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The operator sees it, and may not activate it before approving it.
    let (status, list) = call(&admin, Method::GET, "/api/admin/vendors").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor_id"] == vendor_id.as_str())
        .cloned()
        .expect("the new vendor is listed");
    assert_eq!(
        (&listed["status"], &listed["subscribed"]),
        (&json!("pending_approval"), &json!(false))
    );
    let (status, _) = call(
        &admin,
        Method::POST,
        &format!("/api/admin/vendors/{vendor_id}/activate"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = call(&admin, Method::POST, "/api/admin/vendors/NOPE999/approve").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Approval: active and subscribed; approving again changes nothing.
    let approve = format!("/api/admin/vendors/{vendor_id}/approve");
    let (status, approved) = call(&admin, Method::POST, &approve).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "active");
    assert_eq!(approved["was"], "pending_approval");
    assert_eq!(
        strings(&approved["subscription"]["subscribed"]),
        [vendor_id.as_str()]
    );
    let (status, again) = call(&admin, Method::POST, &approve).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert!(
        strings(&again["subscription"]["subscribed"]).is_empty(),
        "{again}"
    );
    assert_eq!(
        strings(&again["subscription"]["unchanged"]),
        [vendor_id.as_str()]
    );
    let mine: Vec<_> = topic_subscriptions(&harness)
        .await
        .into_iter()
        .filter(|(_, endpoint, _)| endpoint.ends_with(&format!("-mailbox-{vendor_id}")))
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(
        mine[0]
            .2
            .as_deref()
            .map(|p| serde_json::from_str::<Value>(p).unwrap()),
        Some(json!({"vendor_id": [vendor_id.clone()]}))
    );
    wait_for_mailbox_queue(&harness, &vendor_id).await;

    // An upload as that vendor: the email reaches its subscription only.
    let file = support::generated_file(&vendor_id, 20, 0.3, 7);
    vendor.upload("first.csv", file.clone()).await;
    let detail = vendor.wait_for("first.csv").await;
    let first: onboarding_core::UploadId = detail["upload_id"].as_str().unwrap().parse().unwrap();
    let mail = harness.mailbox(&vendor_id).await;
    assert_eq!(
        mail.iter().filter(|m| m.upload_id == first).count(),
        1,
        "{mail:?}"
    );
    assert!(mail.iter().all(|m| m.vendor_id == vendor_id), "{mail:?}");
    for other in ["VEND001", "VEND002", "VEND003", "VEND004"] {
        let theirs = harness.mailbox(other).await;
        assert!(
            theirs.iter().all(|m| m.upload_id != first),
            "{other} received {first}"
        );
    }

    // Suspension: unsubscribed, uploads refused, and an upload that reaches
    // S3 anyway is told to nobody's mailbox (the outbox still sees it).
    let (status, suspended) = call(
        &admin,
        Method::POST,
        &format!("/api/admin/vendors/{vendor_id}/suspend"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{suspended}");
    assert_eq!(suspended["status"], "suspended");
    assert_eq!(
        strings(&suspended["subscription"]["unsubscribed"]),
        [vendor_id.as_str()]
    );
    assert!(
        topic_subscriptions(&harness)
            .await
            .iter()
            .all(|(_, endpoint, _)| !endpoint.ends_with(&format!("-mailbox-{vendor_id}")))
    );
    let (status, problem) = vendor
        .post("/api/uploads", json!({"file_name": "second.csv"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let refused = harness.upload(&vendor_id, "second.csv", file).await;
    assert_eq!(refused.status, onboarding_core::UploadStatus::Failed);
    let published = harness.emails_about(&refused.upload_id).await;
    assert_eq!(published.len(), 1, "the refusal is published once");
    let mail = harness.mailbox(&vendor_id).await;
    assert!(
        mail.iter().all(|m| m.upload_id != refused.upload_id),
        "a suspended vendor's subscription still received {}",
        refused.upload_id
    );

    let (status, list) = call(&admin, Method::GET, "/api/admin/vendors").await;
    assert_eq!(status, StatusCode::OK);
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor_id"] == vendor_id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(
        (&listed["status"], &listed["subscribed"]),
        (&json!("suspended"), &json!(false))
    );

    // Activation subscribes it again.
    let (status, active) = call(
        &admin,
        Method::POST,
        &format!("/api/admin/vendors/{vendor_id}/activate"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{active}");
    assert_eq!(
        strings(&active["subscription"]["subscribed"]),
        [vendor_id.as_str()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_token_gets_403_and_no_token_401_on_every_admin_route() {
    let harness = portal_stack().await;
    let vendor = Browser::logged_in(&harness, VEND001).await;
    let anonymous = Browser::new(&harness);
    for (method, path) in admin_routes("VEND002") {
        let (status, problem) = call(&vendor, method.clone(), &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {problem}");
        assert_eq!(problem["status"], 403);
        let (status, _) = call(&anonymous, method.clone(), &path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    // Nothing changed: VEND002 is still active and subscribed.
    let admin = operator(&harness).await;
    let (status, list) = call(&admin, Method::GET, "/api/admin/vendors").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let vend002 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor_id"] == "VEND002")
        .cloned()
        .unwrap();
    assert_eq!(
        (&vend002["status"], &vend002["subscribed"]),
        (&json!("active"), &json!(true))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_fixes_missing_extra_and_wrong_subscriptions_and_is_idempotent() {
    let harness = portal_stack().await;
    let admin = operator(&harness).await;
    let reconcile = "/api/admin/subscriptions/reconcile";

    // The stack starts with a mailbox for every seeded vendor, suspended
    // VEND004 included: the first run removes that one.
    let (status, first) = call(&admin, Method::POST, reconcile).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(strings(&first["unsubscribed"]), ["VEND004"], "{first}");
    let (_, settled) = call(&admin, Method::POST, reconcile).await;
    assert_eq!(settled["changed"], false, "{settled}");

    // Break it: remove VEND001's, add one for an unknown vendor, and widen
    // VEND002's filter to VEND001's mail too.
    let sns = &harness.stack.clients().sns;
    let subscriptions = topic_subscriptions(&harness).await;
    let of = |vendor: &str| {
        subscriptions
            .iter()
            .find(|(_, endpoint, _)| endpoint.ends_with(&format!("-mailbox-{vendor}")))
            .unwrap_or_else(|| panic!("no subscription of {vendor}: {subscriptions:?}"))
            .0
            .clone()
    };
    sns.unsubscribe()
        .subscription_arn(of("VEND001"))
        .send()
        .await
        .unwrap();
    sns.set_subscription_attributes()
        .subscription_arn(of("VEND002"))
        .attribute_name("FilterPolicy")
        .attribute_value(json!({"vendor_id": ["VEND002", "VEND001"]}).to_string())
        .send()
        .await
        .unwrap();
    harness
        .stack
        .subscribe_mailbox(&onboarding_core::VendorId::parse("GHOST01").unwrap())
        .await
        .unwrap();

    let (status, fixed) = call(&admin, Method::POST, reconcile).await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    assert_eq!(fixed["changed"], true);
    assert_eq!(strings(&fixed["subscribed"]), ["VEND001"], "{fixed}");
    assert_eq!(strings(&fixed["unsubscribed"]), ["GHOST01"], "{fixed}");
    assert_eq!(strings(&fixed["filters_fixed"]), ["VEND002"], "{fixed}");

    // The second run changes nothing.
    let (status, again) = call(&admin, Method::POST, reconcile).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["changed"], false, "{again}");
    assert!(strings(&again["subscribed"]).is_empty());
    assert!(strings(&again["unsubscribed"]).is_empty());
    assert!(strings(&again["filters_fixed"]).is_empty());

    // The topic now holds exactly the active vendors, each with its filter.
    let mut found: Vec<(String, Value)> = topic_subscriptions(&harness)
        .await
        .into_iter()
        .map(|(_, endpoint, policy)| {
            let vendor = endpoint.rsplit("-mailbox-").next().unwrap().to_string();
            (vendor, serde_json::from_str(&policy.unwrap()).unwrap())
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let expected: Vec<(String, Value)> = ["VEND001", "VEND002", "VEND003"]
        .iter()
        .map(|v| (v.to_string(), json!({"vendor_id": [v]})))
        .collect();
    assert_eq!(found, expected);

    // The CLI takes the same path: `onboard vendor reconcile` and `list`
    // through the admin API, as the stack's operator.
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_onboard"))
            .args(args)
            .env("ONBOARD_STACK_ENV", harness.stack.env_path())
            .env_remove("ONBOARD_API_URL")
            .env_remove("ONBOARD_API_TOKEN")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let out = cli(&["vendor", "reconcile"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("nothing to change"), "{text}");
    let out = cli(&["vendor", "suspend", "VEND003"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&["vendor", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("VEND003"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("suspended") && line.contains(" no "),
        "{line}"
    );
    // The API's list, read typed, prints the fields the database's list does.
    let out = cli(&["vendor", "list", "--json"]);
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let vend003 = listed
        .iter()
        .find(|v| v["vendor_id"] == "VEND003")
        .unwrap_or_else(|| panic!("{listed:?}"));
    assert_eq!(vend003["status"], "suspended", "{vend003}");
    assert_eq!(vend003["subscribed"], false, "{vend003}");
    let mut keys: Vec<&str> = vend003
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["email", "status", "subscribed", "vendor_id", "vendor_name"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_changes_a_vendors_email_and_the_subscription_follows() {
    let harness = portal_stack().await;
    let admin = operator(&harness).await;
    let change = |vendor: &str, email: &str| {
        let path = format!("/api/admin/vendors/{vendor}/email");
        let body = json!({ "email": email });
        let admin = &admin;
        async move { admin.post(&path, body).await }
    };

    // Hostile or wrong input: a 400 that names the field, or a 404.
    for bad in ["not-an-email", "a@b", "x@y.com\r\nBcc: z@w.com", ""] {
        let (status, problem) = change("VEND002", bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {problem}");
        assert_eq!(problem["field"], "email", "{bad:?}");
    }
    let (status, problem) = admin
        .post(
            "/api/admin/vendors/VEND002/email",
            json!({ "email": "a@b.com", "extra": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, _) = change("NOPE999", "a@b.com").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An active vendor: the address changes, the subscription stays one.
    let (status, changed) = change("VEND002", "New.Address@Example.com").await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["email"], "new.address@example.com");
    assert_eq!(changed["changed"], true);
    assert_ne!(changed["was"], changed["email"]);
    let stored: String =
        sqlx::query_scalar("SELECT email FROM vendors WHERE vendor_id = 'VEND002'")
            .fetch_one(&harness.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, "new.address@example.com");
    let theirs: Vec<_> = topic_subscriptions(&harness)
        .await
        .into_iter()
        .filter(|(_, endpoint, _)| endpoint.ends_with("-mailbox-VEND002"))
        .collect();
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    let (_, list) = call(&admin, Method::GET, "/api/admin/vendors").await;
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor_id"] == "VEND002")
        .unwrap()
        .clone();
    assert_eq!(
        (&listed["email"], &listed["subscribed"]),
        (&json!("new.address@example.com"), &json!(true))
    );
    // The same address again changes nothing.
    let (status, again) = change("VEND002", "new.address@example.com").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["changed"], false);
    assert!(strings(&again["subscription"]["subscribed"]).is_empty());
    assert!(strings(&again["subscription"]["unsubscribed"]).is_empty());

    // In AWS the subscription's endpoint is the address itself: the same
    // adapter call, on the emulator's SNS, moves it from the old address
    // to the new one, with the vendor's filter, and leaves no other.
    let topic = harness
        .stack
        .env()
        .require(keys::NOTIFICATION_TOPIC_ARN)
        .unwrap();
    let sns = harness.stack.clients().sns.clone();
    let email_delivery = Notifier::new(sns.clone(), topic);
    let vendor = VendorId::parse("VEND777").unwrap();
    let wanted = |email: &str| WantedSubscription {
        vendor_id: vendor.clone(),
        email: email.to_string(),
    };
    let first = email_delivery
        .ensure_vendor(&wanted("old@example.com"))
        .await
        .unwrap();
    assert_eq!(first.subscribed, ["VEND777"]);
    let moved = email_delivery
        .ensure_vendor(&wanted("new@example.com"))
        .await
        .unwrap();
    assert_eq!(moved.subscribed, ["VEND777"]);
    assert_eq!(moved.unsubscribed, ["VEND777"]);
    let found = email_delivery.vendor_subscriptions().await.unwrap();
    let endpoints: Vec<&str> = found
        .iter()
        .filter(|s| s.vendor_id.as_ref() == Some(&vendor))
        .map(|s| s.endpoint.as_str())
        .collect();
    assert_eq!(endpoints, ["new@example.com"]);
    let again = email_delivery
        .ensure_vendor(&wanted("new@example.com"))
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:?}");
}
