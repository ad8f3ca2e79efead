//! Conformance of our S3 presigned POST (`storage::sign_post_policy`) with
//! two independent references. moto does not enforce POST policies, so this
//! is the proof that real S3 would accept the form and enforce the policy:
//!
//! - AWS's published SigV4 POST example (fixed vector): our signing of the
//!   same policy bytes gives the published signature.
//! - botocore's `generate_presigned_post`, run from the project's moto venv
//!   with the same credentials, frozen time, region, bucket, key, fields and
//!   conditions: same condition set, expiration, form fields, and each
//!   side's SigV4 signature over the other's policy bytes matches.
//!
//! The mutation tests show both comparisons fail when one condition value or
//! one byte of the signing input changes, the uploader binding
//! (`x-amz-meta-vendor-id`) included; and a model of S3's form check shows
//! that a form changing or dropping the bound vendor id is refused.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use base64::Engine;
use chrono::{DateTime, NaiveDateTime, SubsecRound, TimeZone, Utc};
use onboarding_api::storage::{
    MAX_UPLOAD_BYTES, PostPolicy, SignedPost, SigningCredentials, UPLOAD_WINDOW,
    sign_policy_document, sign_post_policy, upload_content_type,
};
use onboarding_aws::s3::UPLOADER_FORM_FIELD;
use onboarding_core::UploadMode;
use onboarding_core::mode::MODE_FORM_FIELD;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// AWS's published vector
// ---------------------------------------------------------------------------

// From the Amazon S3 API Reference, "Example: Browser-Based Upload using HTTP
// POST (Using AWS Signature Version 4)",
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html
// (the "Base64-encoded version of this POST policy" — the StringToSign, a
// policy with CRLF line ends — and the signature AWS computed from it with
// the example credentials, date 20151229, us-east-1, s3).
const AWS_ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const AWS_REGION: &str = "us-east-1";
const AWS_BUCKET: &str = "sigv4examplebucket";
const AWS_POLICY_BASE64: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
const AWS_SIGNATURE: &str = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";

/// 2015-12-29T00:00:00Z, the example's `x-amz-date`.
fn aws_example_time() -> SystemTime {
    utc(2015, 12, 29, 0, 0, 0, 0).into()
}

#[test]
fn aws_published_sigv4_post_example_signature() {
    // The vector is what we think it is: the policy AWS signed, dated and
    // scoped like the signing inputs below.
    let policy = decode_policy(AWS_POLICY_BASE64);
    assert_eq!(policy["expiration"], "2015-12-30T12:00:00.000Z");
    let conditions = policy["conditions"].as_array().unwrap();
    assert!(conditions.contains(&json!({"bucket": AWS_BUCKET})));
    assert!(conditions.contains(&json!({
        "x-amz-credential": format!("{AWS_ACCESS_KEY}/20151229/{AWS_REGION}/s3/aws4_request")
    })));
    assert!(conditions.contains(&json!({"x-amz-date": "20151229T000000Z"})));

    let signature = sign_policy_document(
        AWS_SECRET_KEY,
        AWS_REGION,
        aws_example_time(),
        AWS_POLICY_BASE64,
    );
    assert_eq!(signature, AWS_SIGNATURE);

    // Any time on the same UTC day signs with the same key.
    let late = utc(2015, 12, 29, 23, 59, 59, 999).into();
    assert_eq!(
        sign_policy_document(AWS_SECRET_KEY, AWS_REGION, late, AWS_POLICY_BASE64),
        AWS_SIGNATURE
    );
}

#[test]
fn aws_published_example_detects_one_byte_changes() {
    let time = aws_example_time();
    let sign = |secret: &str, region: &str, time: SystemTime, policy: &str| {
        sign_policy_document(secret, region, time, policy)
    };
    assert_eq!(
        sign(AWS_SECRET_KEY, AWS_REGION, time, AWS_POLICY_BASE64),
        AWS_SIGNATURE
    );

    let secret = flip_last_char(AWS_SECRET_KEY);
    assert_ne!(
        sign(&secret, AWS_REGION, time, AWS_POLICY_BASE64),
        AWS_SIGNATURE,
        "one byte of the secret"
    );
    let policy = flip_char(AWS_POLICY_BASE64, AWS_POLICY_BASE64.len() / 2);
    assert_ne!(
        sign(AWS_SECRET_KEY, AWS_REGION, time, &policy),
        AWS_SIGNATURE,
        "one byte of the policy"
    );
    let next_day = utc(2015, 12, 30, 0, 0, 0, 0).into();
    assert_ne!(
        sign(AWS_SECRET_KEY, AWS_REGION, next_day, AWS_POLICY_BASE64),
        AWS_SIGNATURE,
        "the signing date"
    );
    assert_ne!(
        sign(AWS_SECRET_KEY, "us-east-2", time, AWS_POLICY_BASE64),
        AWS_SIGNATURE,
        "the region"
    );
}

// ---------------------------------------------------------------------------
// botocore
// ---------------------------------------------------------------------------

/// One presigned POST, built by us and by botocore from the same inputs.
struct Case {
    access_key: &'static str,
    secret_key: &'static str,
    session_token: Option<&'static str>,
    region: &'static str,
    bucket: &'static str,
    key: &'static str,
    /// The authenticated vendor (the key's folder, as the API builds it).
    uploader: &'static str,
    now: DateTime<Utc>,
}

impl Case {
    fn credentials(&self) -> SigningCredentials<'_> {
        SigningCredentials {
            access_key_id: self.access_key,
            secret_access_key: self.secret_key,
            session_token: self.session_token,
        }
    }

    /// What production signs for this key (`ObjectStore::presign_upload`).
    fn ours(&self) -> SignedPost {
        self.sign(&self.policy())
    }

    fn policy(&self) -> PostPolicy<'static> {
        PostPolicy::upload(self.bucket, self.key, self.uploader, UploadMode::Create)
    }

    fn sign(&self, policy: &PostPolicy<'_>) -> SignedPost {
        sign_post_policy(&self.credentials(), self.region, self.now.into(), policy)
            .expect("sign the POST policy")
    }

    /// The same request to botocore: the upload's fields and conditions as
    /// a botocore user would write them (bucket, key and the x-amz-* signing
    /// fields botocore adds itself; the uploader's metadata field and its
    /// exact condition given like Content-Type).
    fn botocore_request(&self, sign_policies: &[&str]) -> Value {
        json!({
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "session_token": self.session_token,
            "region": self.region,
            "bucket": self.bucket,
            "key": self.key,
            "now": self.now.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            "expires_in": UPLOAD_WINDOW.as_secs(),
            "fields": {
                "Content-Type": upload_content_type(self.key),
                UPLOADER_FORM_FIELD: self.uploader,
                MODE_FORM_FIELD: "create",
            },
            "conditions": [
                ["content-length-range", 1, MAX_UPLOAD_BYTES],
                {"Content-Type": upload_content_type(self.key)},
                {UPLOADER_FORM_FIELD: self.uploader},
                {MODE_FORM_FIELD: "create"},
            ],
            "sign_policies": sign_policies,
        })
    }
}

fn cases() -> Vec<Case> {
    vec![
        // Long-lived keys, a whole second.
        Case {
            access_key: AWS_ACCESS_KEY,
            secret_key: AWS_SECRET_KEY,
            session_token: None,
            region: "us-east-1",
            bucket: "product-onboarding-uploads",
            key: "uploads/VEND001/products.csv",
            uploader: "VEND001",
            now: utc(2024, 5, 17, 9, 30, 0, 0),
        },
        // Temporary credentials (the Lambda's role), another region, a
        // fraction of a second, and a key that needs escaping in JSON.
        Case {
            access_key: "ASIAIOSFODNN7EXAMPLE",
            secret_key: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
            session_token: Some("FwoGZXIvYXdzEBYaDExAMPLE/SeSsIoNtOkEn+with/sl@shes=="),
            region: "eu-west-1",
            bucket: "onboarding-uploads-eu",
            key: "uploads/VEND002/spring \"sale\" é.csv",
            uploader: "VEND002",
            now: utc(2024, 12, 31, 23, 59, 58, 750),
        },
        // A JSON Lines file: its own content type in the field and the policy.
        Case {
            access_key: AWS_ACCESS_KEY,
            secret_key: AWS_SECRET_KEY,
            session_token: None,
            region: "us-east-1",
            bucket: "product-onboarding-uploads",
            key: "uploads/VEND001/products.jsonl",
            uploader: "VEND001",
            now: utc(2025, 1, 2, 3, 4, 5, 0),
        },
    ]
}

/// What botocore produced for one case.
struct Botocore {
    fields: BTreeMap<String, String>,
    /// botocore's SigV4 signature over each policy we asked it to sign.
    policy_signatures: Vec<String>,
}

#[test]
fn matches_botocore_generate_presigned_post() {
    let cases = cases();
    let ours: Vec<SignedPost> = cases.iter().map(Case::ours).collect();
    let requests = cases
        .iter()
        .zip(&ours)
        .map(|(case, ours)| case.botocore_request(&[&ours.fields["policy"]]))
        .collect();
    let botocore = run_botocore(requests);

    for ((case, ours), boto) in cases.iter().zip(&ours).zip(&botocore) {
        let mismatches = compare(
            case,
            case.secret_key,
            ours,
            boto,
            &boto.policy_signatures[0],
        );
        assert!(
            mismatches.is_empty(),
            "{} ({}): ours differs from botocore:\n  {}",
            case.key,
            case.region,
            mismatches.join("\n  ")
        );
        // The two policies are different bytes (botocore orders and spells
        // its conditions its own way), so the cross-signing is not one
        // string compared with itself.
        assert_ne!(ours.fields["policy"], boto.fields["policy"]);
        assert_s3_would_accept_form(ours);
    }
}

#[test]
fn botocore_comparison_detects_one_changed_condition_or_signing_byte() {
    let case = &cases()[1];
    let good = case.ours();
    let bad_secret = flip_last_char(case.secret_key);
    // (what changes, what the comparison must report, the secret, the post)
    let mutants: Vec<(&str, &[&str], &str, SignedPost)> = vec![
        (
            "Content-Type value",
            &["form fields", "conditions"][..],
            case.secret_key,
            case.sign(&PostPolicy {
                content_type: "text/plain",
                ..case.policy()
            }),
        ),
        (
            "content-length-range maximum",
            &["conditions"][..],
            case.secret_key,
            case.sign(&PostPolicy {
                content_length: 1..=MAX_UPLOAD_BYTES + 1,
                ..case.policy()
            }),
        ),
        (
            "content-length-range minimum",
            &["conditions"][..],
            case.secret_key,
            case.sign(&PostPolicy {
                content_length: 0..=MAX_UPLOAD_BYTES,
                ..case.policy()
            }),
        ),
        (
            "key",
            &["form fields", "conditions"][..],
            case.secret_key,
            case.sign(&PostPolicy {
                key: "uploads/VEND003/products.csv",
                ..case.policy()
            }),
        ),
        (
            "bound uploader (x-amz-meta-vendor-id)",
            &["form fields", "conditions"][..],
            case.secret_key,
            case.sign(&PostPolicy {
                uploader: "VEND003",
                ..case.policy()
            }),
        ),
        (
            "bound uploader's case",
            &["form fields", "conditions"][..],
            case.secret_key,
            case.sign(&PostPolicy {
                uploader: "vend002",
                ..case.policy()
            }),
        ),
        (
            "expiry",
            &["expiration"][..],
            case.secret_key,
            case.sign(&PostPolicy {
                valid_for: UPLOAD_WINDOW + Duration::from_secs(1),
                ..case.policy()
            }),
        ),
        (
            "one byte of the secret",
            &[
                "our signature over botocore's policy",
                "botocore's signature over our policy",
            ][..],
            bad_secret.as_str(),
            sign_post_policy(
                &SigningCredentials {
                    secret_access_key: &bad_secret,
                    ..case.credentials()
                },
                case.region,
                case.now.into(),
                &case.policy(),
            )
            .unwrap(),
        ),
    ];
    let mut policies = vec![good.fields["policy"].as_str()];
    policies.extend(
        mutants
            .iter()
            .map(|(_, _, _, post)| post.fields["policy"].as_str()),
    );
    let boto = run_botocore(vec![case.botocore_request(&policies)])
        .pop()
        .unwrap();

    assert_eq!(
        compare(
            case,
            case.secret_key,
            &good,
            &boto,
            &boto.policy_signatures[0]
        ),
        Vec::<String>::new(),
        "the unchanged policy matches"
    );
    for (i, (what, expected, secret, mutant)) in mutants.iter().enumerate() {
        let mismatches = compare(case, secret, mutant, &boto, &boto.policy_signatures[i + 1]);
        let reported: Vec<&str> = mismatches
            .iter()
            .map(|m| {
                m.split_once(": ours")
                    .map_or(m.as_str(), |(label, _)| label)
            })
            .collect();
        assert_eq!(&reported, expected, "changing the {what}: {mismatches:#?}");
    }

    // One byte of the policy or the secret changes the signature botocore
    // would check against.
    let secret = case.secret_key;
    let boto_policy = &boto.fields["policy"];
    let time = case.now.into();
    assert_eq!(
        sign_policy_document(secret, case.region, time, boto_policy),
        boto.fields["x-amz-signature"]
    );
    assert_ne!(
        sign_policy_document(&bad_secret, case.region, time, boto_policy),
        boto.fields["x-amz-signature"]
    );
    assert_ne!(
        sign_policy_document(secret, case.region, time, &flip_char(boto_policy, 40)),
        boto.fields["x-amz-signature"]
    );
}

/// Everything S3 checks about a presigned POST, ours against botocore's;
/// `secret` is the secret `ours` was signed with. Returns what differs.
fn compare(
    case: &Case,
    secret: &str,
    ours: &SignedPost,
    boto: &Botocore,
    boto_signature_over_ours: &str,
) -> Vec<String> {
    let mut mismatches = Vec::new();
    let mut check = |what: &str, ours: String, boto: String| {
        if ours != boto {
            mismatches.push(format!("{what}: ours {ours}, botocore {boto}"));
        }
    };

    // The form fields S3 reads (all but the policy and its signature).
    let form = |fields: &BTreeMap<String, String>| {
        let mut fields = fields.clone();
        fields.remove("policy");
        fields.remove("x-amz-signature");
        fields
    };
    check(
        "form fields",
        format!("{:?}", form(&ours.fields)),
        format!("{:?}", form(&boto.fields)),
    );
    for field in ["x-amz-algorithm", "x-amz-credential", "x-amz-date"] {
        check(
            field,
            format!("{:?}", ours.fields.get(field)),
            format!("{:?}", boto.fields.get(field)),
        );
    }

    let our_policy = decode_policy(&ours.fields["policy"]);
    let boto_policy = decode_policy(&boto.fields["policy"]);
    // botocore writes whole seconds (it drops the fraction of `now`), we
    // write milliseconds: the same instant to the second.
    let our_expiry = expiration(&our_policy);
    check(
        "expiration (policy vs SignedPost)",
        our_expiry.to_rfc3339(),
        ours.expires_at.trunc_subsecs(3).to_rfc3339(),
    );
    check(
        "expiration",
        our_expiry.trunc_subsecs(0).to_rfc3339(),
        expiration(&boto_policy).to_rfc3339(),
    );
    check(
        "conditions",
        format!("{:?}", normalized_conditions(&our_policy)),
        format!("{:?}", normalized_conditions(&boto_policy)),
    );

    // Each side's SigV4 over the other's exact policy bytes.
    let time: SystemTime = case.now.into();
    check(
        "our signature over botocore's policy",
        sign_policy_document(secret, case.region, time, &boto.fields["policy"]),
        boto.fields["x-amz-signature"].clone(),
    );
    check(
        "botocore's signature over our policy",
        ours.fields["x-amz-signature"].clone(),
        boto_signature_over_ours.to_string(),
    );
    mismatches
}

/// A policy's conditions as S3 evaluates them, order-insensitive: `{"f": v}`
/// and `["eq", "$f", v]` are the same exact-match condition.
fn normalized_conditions(policy: &Value) -> Vec<(String, String, Value)> {
    let mut conditions: Vec<_> = policy["conditions"]
        .as_array()
        .expect("conditions is a list")
        .iter()
        .map(|condition| match condition {
            Value::Object(map) => {
                assert_eq!(map.len(), 1, "one field per condition: {condition}");
                let (field, value) = map.iter().next().unwrap();
                ("eq".to_string(), field.clone(), value.clone())
            }
            Value::Array(items) => match items.as_slice() {
                [Value::String(op), Value::String(field), value]
                    if op == "eq" || op == "starts-with" =>
                {
                    let field = field.strip_prefix('$').expect("field starts with $");
                    (op.clone(), field.to_string(), value.clone())
                }
                [Value::String(op), min, max] if op == "content-length-range" => {
                    (op.clone(), String::new(), json!([min, max]))
                }
                _ => panic!("unknown condition {condition}"),
            },
            _ => panic!("unknown condition {condition}"),
        })
        .collect();
    conditions.sort_by_key(|(op, field, value)| (op.clone(), field.clone(), value.to_string()));
    conditions
}

/// S3 rejects a form with a field no condition covers, and one whose value
/// breaks a condition.
fn assert_s3_would_accept_form(post: &SignedPost) {
    let policy = decode_policy(&post.fields["policy"]);
    let refusals = s3_form_refusals(&policy, &post.fields);
    assert!(refusals.is_empty(), "{refusals:#?}");
    let conditions = normalized_conditions(&policy);
    for (op, field, value) in &conditions {
        match op.as_str() {
            "eq" => {}
            "content-length-range" => assert_eq!(value, &json!([1, MAX_UPLOAD_BYTES])),
            _ => panic!("unexpected condition {op} {field}"),
        }
    }
}

/// Why S3 would refuse `form` (the fields posted with the file) under the
/// signed `policy`, as S3 checks a POST (the signature aside): every form
/// field but `policy`, `x-amz-signature` and the file needs a condition,
/// and every exact-match condition needs the field, with that value
/// (`bucket` is the URL's, not a field). Case matters for values.
fn s3_form_refusals(policy: &Value, form: &BTreeMap<String, String>) -> Vec<String> {
    let conditions = normalized_conditions(policy);
    let mut refusals = Vec::new();
    for (name, value) in form {
        if name == "policy" || name == "x-amz-signature" || name == "file" {
            continue;
        }
        let covered = conditions.iter().any(|(op, field, expected)| {
            field.eq_ignore_ascii_case(name) && (op != "eq" || expected == &json!(value))
        });
        if !covered {
            refusals.push(format!("field {name}={value:?} breaks or has no condition"));
        }
    }
    for (op, field, value) in &conditions {
        if op != "eq" || field == "bucket" {
            continue;
        }
        let posted = form
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(field));
        match posted {
            None => refusals.push(format!("condition on {field} but no such field")),
            Some((_, posted)) if &json!(posted) != value => {
                refusals.push(format!("{field}={posted:?} is not {value}"))
            }
            Some(_) => {}
        }
    }
    refusals
}

#[test]
fn the_policy_binds_the_uploader_so_s3_refuses_a_changed_or_missing_vendor_id() {
    for case in cases() {
        let post = case.ours();
        assert_eq!(post.fields[UPLOADER_FORM_FIELD], case.uploader);
        let policy = decode_policy(&post.fields["policy"]);
        assert!(
            normalized_conditions(&policy).contains(&(
                "eq".into(),
                UPLOADER_FORM_FIELD.into(),
                json!(case.uploader)
            )),
            "no exact condition on the uploader"
        );
        assert_eq!(
            s3_form_refusals(&policy, &post.fields),
            Vec::<String>::new()
        );

        let posted = |change: &dyn Fn(&mut BTreeMap<String, String>)| {
            let mut form = post.fields.clone();
            change(&mut form);
            s3_form_refusals(&policy, &form)
        };
        let others = [
            "VEND003".to_string(),
            case.uploader.to_lowercase(),
            format!("{} ", case.uploader),
            String::new(),
        ];
        for other in &others {
            let refusals = posted(&|form| {
                form.insert(UPLOADER_FORM_FIELD.into(), other.clone());
            });
            assert!(
                !refusals.is_empty() && refusals.iter().all(|r| r.contains(UPLOADER_FORM_FIELD)),
                "a form claiming {other:?} for {} is refused: {refusals:?}",
                case.uploader
            );
        }
        assert_eq!(
            posted(&|form| {
                form.remove(UPLOADER_FORM_FIELD);
            }),
            vec![format!(
                "condition on {UPLOADER_FORM_FIELD} but no such field"
            )],
            "a form without the vendor id is refused"
        );
        // Another metadata field (a second claim) is not covered either.
        assert_eq!(
            posted(&|form| {
                form.insert("x-amz-meta-uploader".into(), "VEND003".into());
            })
            .len(),
            1
        );
    }
}

// ---------------------------------------------------------------------------
// Running botocore
// ---------------------------------------------------------------------------

/// Runs botocore's `generate_presigned_post` with time frozen at each case's
/// `now`, and botocore's SigV4 POST signer over the given policies.
const BOTOCORE_SCRIPT: &str = r#"
import datetime, json, sys
from unittest import mock

import botocore
import botocore.auth
import botocore.awsrequest
import botocore.session
import botocore.signers
from botocore.config import Config
from botocore.credentials import Credentials

results = []
for case in json.load(sys.stdin)["cases"]:
    now = datetime.datetime.fromisoformat(case["now"])  # naive UTC

    def frozen(remove_tzinfo=True):
        return now if remove_tzinfo else now.replace(tzinfo=datetime.timezone.utc)

    client = botocore.session.Session().create_client(
        "s3",
        region_name=case["region"],
        aws_access_key_id=case["access_key"],
        aws_secret_access_key=case["secret_key"],
        aws_session_token=case["session_token"],
        config=Config(signature_version="s3v4"),
    )
    # Both modules read the clock through get_current_datetime: the policy's
    # expiration (signers) and x-amz-date / the signing key's date (auth).
    with mock.patch.object(botocore.signers, "get_current_datetime", frozen), \
         mock.patch.object(botocore.auth, "get_current_datetime", frozen):
        post = client.generate_presigned_post(
            Bucket=case["bucket"],
            Key=case["key"],
            Fields=case["fields"],
            Conditions=case["conditions"],
            ExpiresIn=case["expires_in"],
        )

    signer = botocore.auth.S3SigV4PostAuth(
        Credentials(case["access_key"], case["secret_key"], case["session_token"]),
        "s3",
        case["region"],
    )
    request = botocore.awsrequest.AWSRequest(method="POST", url=post["url"])
    request.context["timestamp"] = post["fields"]["x-amz-date"]
    results.append({
        "fields": post["fields"],
        "policy_signatures": [signer.signature(p, request) for p in case["sign_policies"]],
    })
json.dump({"botocore": botocore.__version__, "cases": results}, sys.stdout)
"#;

/// The moto venv's python, found as `onboarding-devstack` finds the venv
/// (`<workspace root>/.venv/moto`, the root two levels above this crate).
fn venv_python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = root.join(onboarding_devstack::moto::MOTO_VENV);
    assert_eq!(
        std::fs::canonicalize(&venv).ok(),
        std::fs::canonicalize(onboarding_devstack::moto::default_venv()).ok(),
        "the test and onboarding-devstack disagree on the moto venv"
    );
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: this test runs botocore from the moto venv. Create it once \
         with scripts/test.sh or `onboard dev up` (or: python3 -m venv .venv/moto && \
         .venv/moto/bin/pip install -r requirements/moto.txt -c requirements/moto-constraints.txt)",
        python.display(),
    );
    python
}

fn run_botocore(cases: Vec<Value>) -> Vec<Botocore> {
    let python = venv_python();
    let mut child = Command::new(&python)
        .args(["-c", BOTOCORE_SCRIPT])
        // Nothing from the environment or ~/.aws may change the client.
        .env_clear()
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    let input = json!({ "cases": cases }).to_string();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes())
        .expect("write to botocore");
    let output = child.wait_with_output().expect("wait for botocore");
    assert!(
        output.status.success(),
        "botocore failed ({}); if it is not installed, recreate the moto venv with \
         scripts/test.sh or `onboard dev up`:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let output: Value = serde_json::from_slice(&output.stdout).expect("botocore's JSON");
    let results = output["cases"].as_array().expect("cases");
    assert_eq!(results.len(), cases.len());
    results
        .iter()
        .map(|result| Botocore {
            fields: serde_json::from_value(result["fields"].clone()).expect("string fields"),
            policy_signatures: serde_json::from_value(result["policy_signatures"].clone())
                .expect("signatures"),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap() + chrono::Duration::milliseconds(ms.into())
}

fn decode_policy(base64: &str) -> Value {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64)
        .expect("policy is base64");
    serde_json::from_slice(&bytes).expect("policy is JSON")
}

/// The policy's `expiration`, with or without a fraction of a second.
fn expiration(policy: &Value) -> DateTime<Utc> {
    let text = policy["expiration"].as_str().expect("expiration");
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.fZ")
        .unwrap_or_else(|e| panic!("expiration {text}: {e}"))
        .and_utc()
}

/// `text` with the character at `at` (ASCII) replaced by another.
fn flip_char(text: &str, at: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

fn flip_last_char(text: &str) -> String {
    flip_char(text, text.len() - 1)
}
