//! Captured vendor email.
//!
//! SNS email subscriptions deliver nothing on the emulator, so the stack
//! subscribes queues instead: `-outbox` gets every published message, and
//! `-mailbox-<VENDOR_ID>` gets what the vendor's email subscription (same
//! filter policy) would. [`Outbox::drain`] moves those messages into a
//! journal, `<state_dir>/outbox.jsonl` (deduplicated by queue and SNS
//! `MessageId`), and deletes them from the queues, so they can be read any
//! number of times, by any process. The running stack drains every second;
//! every read drains first.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_sqs::types::Message;
use onboarding_core::VendorId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::DevstackError;
use crate::aws::StackClients;
use crate::env::{StackEnv, keys};

/// The journal file name in the state directory.
pub const JOURNAL_FILE: &str = "outbox.jsonl";

/// One published message as a vendor (or the outbox) received it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedEmail {
    /// `None`: from the unfiltered outbox; `Some(vendor)`: from that vendor's mailbox.
    pub mailbox: Option<VendorId>,
    /// The SNS `MessageId` (the same in the outbox and in a mailbox).
    pub sns_message_id: String,
    pub subject: Option<String>,
    /// The email body (SNS `Message`).
    pub message: String,
    pub vendor_id: Option<String>,
    pub upload_id: Option<String>,
    pub status: Option<String>,
    /// Every message attribute, as text.
    pub attributes: BTreeMap<String, String>,
    pub topic_arn: Option<String>,
    /// SNS `Timestamp`.
    pub published_at: Option<String>,
    /// When the journal got it.
    pub captured_at: String,
}

/// Parses an SQS body delivered by an SNS subscription: the standard
/// envelope, or a raw message (then the attributes come from SQS).
pub fn parse_sns_delivery(
    body: &str,
    sqs_message_id: &str,
    sqs_attributes: &BTreeMap<String, String>,
    mailbox: Option<VendorId>,
) -> CapturedEmail {
    let envelope: Option<Value> = serde_json::from_str::<Value>(body)
        .ok()
        .filter(|v| v.get("Type").and_then(Value::as_str) == Some("Notification"));
    let captured_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    match envelope {
        Some(envelope) => {
            let text = |key: &str| {
                envelope
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let attributes: BTreeMap<String, String> = envelope
                .get("MessageAttributes")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter_map(|(name, attribute)| {
                    Some((name.clone(), attribute.get("Value")?.as_str()?.to_string()))
                })
                .collect();
            CapturedEmail {
                mailbox,
                sns_message_id: text("MessageId").unwrap_or_else(|| sqs_message_id.to_string()),
                subject: text("Subject"),
                message: text("Message").unwrap_or_default(),
                vendor_id: attributes.get("vendor_id").cloned(),
                upload_id: attributes.get("upload_id").cloned(),
                status: attributes.get("status").cloned(),
                attributes,
                topic_arn: text("TopicArn"),
                published_at: text("Timestamp"),
                captured_at,
            }
        }
        None => CapturedEmail {
            mailbox,
            sns_message_id: sqs_message_id.to_string(),
            subject: None,
            message: body.to_string(),
            vendor_id: sqs_attributes.get("vendor_id").cloned(),
            upload_id: sqs_attributes.get("upload_id").cloned(),
            status: sqs_attributes.get("status").cloned(),
            attributes: sqs_attributes.clone(),
            topic_arn: None,
            published_at: None,
            captured_at,
        },
    }
}

/// The outbox and mailbox queues of a stack, and their journal.
#[derive(Clone, Debug)]
pub struct Outbox {
    clients: StackClients,
    outbox_queue_url: String,
    prefix: String,
    journal: PathBuf,
}

impl Outbox {
    /// `prefix` names the mailbox queues (`<prefix>-mailbox-<VENDOR_ID>`).
    pub fn new(
        clients: StackClients,
        outbox_queue_url: impl Into<String>,
        prefix: impl Into<String>,
        state_dir: &Path,
    ) -> Self {
        Outbox {
            clients,
            outbox_queue_url: outbox_queue_url.into(),
            prefix: prefix.into(),
            journal: state_dir.join(JOURNAL_FILE),
        }
    }

    /// The outbox of the stack described by `env` (its `stack.env`).
    pub async fn from_env(env: &StackEnv, state_dir: &Path) -> Result<Self, DevstackError> {
        let clients = StackClients::from_env(env).await?;
        let outbox_queue_url = env.require(keys::OUTBOX_QUEUE_URL)?.to_string();
        let prefix = match env.get(keys::STACK_PREFIX) {
            Some(prefix) => prefix.to_string(),
            None => outbox_queue_url
                .rsplit('/')
                .next()
                .and_then(|name| name.strip_suffix("-outbox"))
                .unwrap_or("onboarding-local")
                .to_string(),
        };
        Ok(Outbox::new(clients, outbox_queue_url, prefix, state_dir))
    }

    pub fn journal_path(&self) -> &Path {
        &self.journal
    }

    /// Moves every waiting message into the journal; returns how many were new.
    pub async fn drain(&self) -> Result<usize, DevstackError> {
        self.drain_queues(true).await
    }

    /// Drains the outbox, and the mailboxes only when the outbox had news or
    /// `mailboxes` is set: every message reaches the unfiltered outbox, so a
    /// quiet outbox means quiet mailboxes. Keeps the background drain cheap
    /// with many vendors.
    pub(crate) async fn drain_queues(&self, mailboxes: bool) -> Result<usize, DevstackError> {
        let lock_path = self.journal.with_extension("lock");
        let lock = tokio::task::spawn_blocking(move || {
            let file =
                std::fs::File::create(&lock_path).map_err(|e| DevstackError::io(&lock_path, e))?;
            file.lock().map_err(|e| DevstackError::io(&lock_path, e))?;
            Ok::<_, DevstackError>(file)
        })
        .await
        .map_err(|e| DevstackError::Other(format!("outbox lock task: {e}")))??;

        let mut seen: HashSet<(Option<VendorId>, String)> = read_journal(&self.journal)?
            .into_iter()
            .map(|e| (e.mailbox, e.sns_message_id))
            .collect();
        let mut added = self
            .drain_queue(&self.outbox_queue_url, None, &mut seen)
            .await?;
        if mailboxes || added > 0 {
            for (mailbox, url) in self.mailbox_queues().await? {
                added += self.drain_queue(&url, mailbox, &mut seen).await?;
            }
        }
        drop(lock);
        Ok(added)
    }

    /// `(Some(vendor id), url)` of every mailbox queue.
    async fn mailbox_queues(&self) -> Result<Vec<(Option<VendorId>, String)>, DevstackError> {
        let name_prefix = crate::provision::mailbox_queue_prefix(&self.prefix);
        let mut found = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = self
                .clients
                .sqs
                .list_queues()
                .queue_name_prefix(&name_prefix)
                .max_results(1000)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| DevstackError::aws("sqs ListQueues", e))?;
            for url in out.queue_urls.unwrap_or_default() {
                if let Some(vendor) = url
                    .rsplit('/')
                    .next()
                    .and_then(|name| name.strip_prefix(&name_prefix))
                    .and_then(|vendor| VendorId::parse(vendor).ok())
                {
                    found.push((Some(vendor), url.clone()));
                }
            }
            match out.next_token {
                Some(token) => next = Some(token),
                None => break,
            }
        }
        Ok(found)
    }

    async fn drain_queue(
        &self,
        url: &str,
        mailbox: Option<VendorId>,
        seen: &mut HashSet<(Option<VendorId>, String)>,
    ) -> Result<usize, DevstackError> {
        let mut added = 0;
        loop {
            let out = self
                .clients
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .visibility_timeout(30)
                .message_attribute_names("All")
                .send()
                .await
                .map_err(|e| DevstackError::aws("sqs ReceiveMessage (outbox)", e))?;
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return Ok(added);
            }
            let mut lines = String::new();
            for message in &messages {
                let email = captured(message, mailbox.clone());
                if seen.insert((email.mailbox.clone(), email.sns_message_id.clone())) {
                    lines.push_str(&serde_json::to_string(&email).expect("serializable"));
                    lines.push('\n');
                    added += 1;
                }
            }
            if !lines.is_empty() {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.journal)
                    .map_err(|e| DevstackError::io(&self.journal, e))?;
                file.write_all(lines.as_bytes())
                    .and_then(|()| file.sync_data())
                    .map_err(|e| DevstackError::io(&self.journal, e))?;
            }
            let entries = crate::aws::delete_entries(messages.iter().enumerate());
            self.clients
                .sqs
                .delete_message_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| DevstackError::aws("sqs DeleteMessageBatch (outbox)", e))?;
        }
    }

    /// Everything captured so far (outbox and mailboxes), oldest first.
    pub async fn read_all(&self) -> Result<Vec<CapturedEmail>, DevstackError> {
        self.drain().await?;
        read_journal(&self.journal)
    }

    /// Every message published to the topic, oldest first.
    pub async fn read_outbox(&self) -> Result<Vec<CapturedEmail>, DevstackError> {
        Ok(self
            .read_all()
            .await?
            .into_iter()
            .filter(|e| e.mailbox.is_none())
            .collect())
    }

    /// What the vendor's email subscription received, oldest first.
    pub async fn read_mailbox(
        &self,
        vendor_id: &VendorId,
    ) -> Result<Vec<CapturedEmail>, DevstackError> {
        Ok(self
            .read_all()
            .await?
            .into_iter()
            .filter(|e| e.mailbox.as_ref() == Some(vendor_id))
            .collect())
    }

    /// Waits until `done` holds for the outbox (drained every 200 ms), up to `limit`.
    pub async fn wait_for(
        &self,
        limit: Duration,
        done: impl Fn(&[CapturedEmail]) -> bool,
    ) -> Result<Vec<CapturedEmail>, DevstackError> {
        let started = std::time::Instant::now();
        loop {
            let emails = self.read_outbox().await?;
            if done(&emails) || started.elapsed() >= limit {
                return Ok(emails);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn captured(message: &Message, mailbox: Option<VendorId>) -> CapturedEmail {
    let attributes: BTreeMap<String, String> = message
        .message_attributes()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string())))
        .collect();
    parse_sns_delivery(
        message.body().unwrap_or_default(),
        message.message_id().unwrap_or_default(),
        &attributes,
        mailbox,
    )
}

/// The journal's entries, oldest first (empty when there is none yet).
pub fn read_journal(path: &Path) -> Result<Vec<CapturedEmail>, DevstackError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(DevstackError::io(path, e)),
    };
    Ok(text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sns_envelope_is_parsed() {
        // As moto delivers it (captured).
        let body = r#"{"Message": "body", "MessageAttributes": {"vendor_id": {"Type": "String", "Value": "VEND001"}, "status": {"Type": "String", "Value": "PARTIAL"}}, "MessageId": "b13999b4", "Subject": "Hello", "Timestamp": "2026-11-22T01:48:00.226Z", "TopicArn": "arn:aws:sns:us-east-1:123456789012:top", "Type": "Notification"}"#;
        let email = parse_sns_delivery(
            body,
            "sqs-1",
            &BTreeMap::new(),
            VendorId::parse("VEND001").ok(),
        );
        assert_eq!(email.sns_message_id, "b13999b4");
        assert_eq!(email.subject.as_deref(), Some("Hello"));
        assert_eq!(email.message, "body");
        assert_eq!(email.vendor_id.as_deref(), Some("VEND001"));
        assert_eq!(email.status.as_deref(), Some("PARTIAL"));
        assert_eq!(email.upload_id, None);
        let raw = parse_sns_delivery(
            "plain",
            "sqs-2",
            &BTreeMap::from([("upload_id".into(), "U".into())]),
            None,
        );
        assert_eq!(
            (
                raw.sns_message_id.as_str(),
                raw.message.as_str(),
                raw.upload_id.as_deref()
            ),
            ("sqs-2", "plain", Some("U"))
        );
    }
}
