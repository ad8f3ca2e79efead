//! The web app's status words (`web/words.js`) are the domain crate's. This
//! test writes the file from the types: it fails on any difference, and
//! `BLESS_WEB_WORDS=1 cargo test -p onboarding-core --test web_words`
//! rewrites it after a word changes. So the web app never compares with a
//! word the API does not send.

use std::fmt::Display;
use std::path::Path;

use onboarding_core::{NotificationOutcome, UploadStatus, VendorStatus};

/// `pending_approval` -> `PendingApproval`, the JavaScript key.
fn key_of(word: &str) -> String {
    word.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn object<T: Display>(name: &str, about: &str, words: &[T]) -> String {
    let entries: String = words
        .iter()
        .map(|word| format!("  {}: '{word}',\n", key_of(&word.to_string())))
        .collect();
    format!("/** {about} (`{name}`). */\nexport const {name} = Object.freeze({{\n{entries}}});\n")
}

fn words_js() -> String {
    [
        "// Generated from the domain crate's types by\n\
         // crates/onboarding-core/tests/web_words.rs; do not edit. After a word\n\
         // changes: BLESS_WEB_WORDS=1 cargo test -p onboarding-core --test web_words\n"
            .to_string(),
        object("UploadStatus", "Where an upload stands", &UploadStatus::ALL),
        object(
            "VendorStatus",
            "Whether a vendor may upload",
            &VendorStatus::ALL,
        ),
        object(
            "NotificationOutcome",
            "How an upload's email step ended",
            &NotificationOutcome::ALL,
        ),
    ]
    .join("\n")
}

#[test]
fn the_web_apps_words_are_the_domain_crates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/words.js");
    let want = words_js();
    if std::env::var_os("BLESS_WEB_WORDS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        have, want,
        "web/words.js differs from the domain crate's words; \
         BLESS_WEB_WORDS=1 cargo test -p onboarding-core --test web_words rewrites it"
    );
}

#[test]
fn keys_are_the_words_in_pascal_case() {
    assert_eq!(key_of("pending_approval"), "PendingApproval");
    assert_eq!(key_of("sent"), "Sent");
}
