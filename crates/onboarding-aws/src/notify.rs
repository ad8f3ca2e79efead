//! Vendor emails through SNS. Each vendor's email subscription filters on the
//! `vendor_id` message attribute, so a vendor only receives their own.

use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use onboarding_core::{Email, UploadId, UploadStatus, VendorId};

use crate::{AwsError, describe};

#[derive(Clone, Debug)]
pub struct Notifier {
    client: Client,
    topic_arn: String,
    delivery: Delivery,
}

/// Where a vendor's subscription delivers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// In AWS: the vendor's email address (protocol `email`).
    Email,
    /// On the emulator, where email subscriptions deliver nothing: the
    /// vendor's mailbox queue `<prefix>-mailbox-<VENDOR_ID>` (protocol
    /// `sqs`), read by `onboard outbox --vendor V`. `queue_arn_prefix` is
    /// `arn:aws:sqs:<region>:<account>:<prefix>-mailbox-`.
    Mailbox { queue_arn_prefix: String },
}

/// One vendor that should receive email: its id and address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WantedSubscription {
    pub vendor_id: VendorId,
    pub email: String,
}

/// A vendor subscription found on the topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundSubscription {
    pub arn: String,
    pub endpoint: String,
    /// The raw `FilterPolicy`, if any.
    pub filter_policy: Option<String>,
    /// The vendor the filter policy names, when it is exactly
    /// `{"vendor_id": ["<ID>"]}` and `<ID>` is a vendor id.
    pub vendor_id: Option<VendorId>,
}

/// What bringing subscriptions in line changed; vendor ids (or endpoints
/// for subscriptions that name no vendor).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SubscriptionChanges {
    pub subscribed: Vec<String>,
    pub unsubscribed: Vec<String>,
    pub filters_fixed: Vec<String>,
    /// Subscriptions already right.
    pub unchanged: Vec<String>,
}

impl SubscriptionChanges {
    pub fn is_empty(&self) -> bool {
        self.subscribed.is_empty() && self.unsubscribed.is_empty() && self.filters_fixed.is_empty()
    }
}

/// Who an email is about; these travel as SNS message attributes.
#[derive(Clone, Debug)]
pub struct EmailAttributes<'a> {
    pub vendor_id: &'a VendorId,
    pub upload_id: &'a UploadId,
    pub status: UploadStatus,
}

impl Notifier {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Notifier {
        Notifier {
            client,
            topic_arn: topic_arn.into(),
            delivery: Delivery::Email,
        }
    }

    /// The emulator's stand-in for email: vendors' subscriptions deliver to
    /// their mailbox queues, `<prefix>-mailbox-<VENDOR_ID>`, where `<prefix>`
    /// is the topic's name without `-notifications`.
    pub fn with_mailboxes(mut self) -> Notifier {
        let parts: Vec<&str> = self.topic_arn.split(':').collect();
        if let [_, partition, _, region, account, name] = parts.as_slice() {
            let prefix = name.strip_suffix("-notifications").unwrap_or(name);
            self.delivery = Delivery::Mailbox {
                queue_arn_prefix: format!(
                    "arn:{partition}:sqs:{region}:{account}:{prefix}-mailbox-"
                ),
            };
        }
        self
    }

    pub fn delivery(&self) -> &Delivery {
        &self.delivery
    }

    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }

    /// The protocol and endpoint of a vendor's subscription.
    fn target(&self, vendor_id: &VendorId, email: &str) -> (&'static str, String) {
        match &self.delivery {
            Delivery::Email => ("email", email.to_string()),
            Delivery::Mailbox { queue_arn_prefix } => {
                ("sqs", format!("{queue_arn_prefix}{vendor_id}"))
            }
        }
    }

    /// Whether a subscription of the topic is a vendor subscription of this
    /// delivery (the outbox and other subscribers are never touched).
    fn is_vendor_subscription(&self, protocol: &str, endpoint: &str) -> bool {
        match &self.delivery {
            Delivery::Email => protocol == "email",
            Delivery::Mailbox { queue_arn_prefix } => {
                protocol == "sqs" && endpoint.starts_with(queue_arn_prefix.as_str())
            }
        }
    }

    /// Every vendor subscription on the topic, with its filter policy
    /// (`ListSubscriptionsByTopic`, then `GetSubscriptionAttributes` each).
    /// Subscriptions still pending confirmation have no ARN yet; they are
    /// listed with the ARN `PendingConfirmation` and are not read further.
    pub async fn vendor_subscriptions(&self) -> Result<Vec<FoundSubscription>, AwsError> {
        let mut found = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .list_subscriptions_by_topic()
                .topic_arn(&self.topic_arn)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| {
                    AwsError::new("ListSubscriptionsByTopic", &self.topic_arn, describe(&e))
                })?;
            for subscription in page.subscriptions() {
                let protocol = subscription.protocol().unwrap_or_default();
                let endpoint = subscription.endpoint().unwrap_or_default();
                if !self.is_vendor_subscription(protocol, endpoint) {
                    continue;
                }
                let arn = subscription
                    .subscription_arn()
                    .unwrap_or_default()
                    .to_string();
                let filter_policy = if arn.starts_with("arn:") {
                    self.client
                        .get_subscription_attributes()
                        .subscription_arn(&arn)
                        .send()
                        .await
                        .map_err(|e| {
                            AwsError::new("GetSubscriptionAttributes", &arn, describe(&e))
                        })?
                        .attributes
                        .and_then(|mut a| a.remove("FilterPolicy"))
                } else {
                    None
                };
                found.push(FoundSubscription {
                    vendor_id: filter_policy.as_deref().and_then(filtered_vendor),
                    arn,
                    endpoint: endpoint.to_string(),
                    filter_policy,
                });
            }
            match page.next_token {
                Some(token) if !token.is_empty() => next = Some(token),
                _ => break,
            }
        }
        Ok(found)
    }

    /// Makes `vendor` subscribed exactly once, at its current address, with
    /// its filter; removes its subscriptions at other addresses (a change of
    /// email moves it). Idempotent. Returns the changes and the ARN.
    pub async fn ensure_vendor(
        &self,
        vendor: &WantedSubscription,
    ) -> Result<SubscriptionChanges, AwsError> {
        self.bring_in_line(
            std::slice::from_ref(vendor),
            Some((&vendor.vendor_id, &vendor.email)),
        )
        .await
    }

    /// Removes every subscription of `vendor_id` (by filter, or at `email`
    /// without a filter). Idempotent.
    pub async fn remove_vendor(
        &self,
        vendor_id: &VendorId,
        email: &str,
    ) -> Result<SubscriptionChanges, AwsError> {
        self.bring_in_line(&[], Some((vendor_id, email))).await
    }

    /// Brings every vendor subscription of the topic in line with `wanted`
    /// (the active vendors): subscribes the missing, unsubscribes the
    /// others (suspended, pending, unknown, duplicates, old addresses), and
    /// fixes filter policies. Idempotent: a second run changes nothing.
    pub async fn reconcile(
        &self,
        wanted: &[WantedSubscription],
    ) -> Result<SubscriptionChanges, AwsError> {
        self.bring_in_line(wanted, None).await
    }

    /// `scope`: only the subscriptions of that vendor (id, address).
    async fn bring_in_line(
        &self,
        wanted: &[WantedSubscription],
        scope: Option<(&VendorId, &str)>,
    ) -> Result<SubscriptionChanges, AwsError> {
        let mut changes = SubscriptionChanges::default();
        let targets: std::collections::BTreeMap<&VendorId, String> = wanted
            .iter()
            .map(|w| (&w.vendor_id, self.target(&w.vendor_id, &w.email).1))
            .collect();
        let mut kept: std::collections::BTreeSet<VendorId> = Default::default();
        for found in self.vendor_subscriptions().await? {
            // Whose subscription this is: its filter's vendor, or else the
            // vendor whose address it is.
            let owner = found.vendor_id.clone().or_else(|| {
                targets
                    .iter()
                    .find(|(_, endpoint)| **endpoint == found.endpoint)
                    .map(|(vendor, _)| (*vendor).clone())
            });
            if let Some((vendor_id, email)) = scope {
                let in_scope = owner.as_ref() == Some(vendor_id)
                    || (found.vendor_id.is_none()
                        && found.endpoint == self.target(vendor_id, email).1);
                if !in_scope {
                    continue;
                }
            }
            let label = owner
                .as_ref()
                .map_or_else(|| found.endpoint.clone(), VendorId::to_string);
            let keep = owner.as_ref().is_some_and(|vendor| {
                targets.get(vendor) == Some(&found.endpoint) && !kept.contains(vendor)
            });
            if !keep {
                if found.arn.starts_with("arn:") {
                    self.client
                        .unsubscribe()
                        .subscription_arn(&found.arn)
                        .send()
                        .await
                        .map_err(|e| AwsError::new("Unsubscribe", &found.arn, describe(&e)))?;
                    changes.unsubscribed.push(label);
                }
                continue;
            }
            let vendor = owner.expect("kept subscriptions have an owner");
            let policy = vendor_filter_policy(&vendor);
            if found.vendor_id.as_ref() != Some(&vendor)
                || !same_policy(found.filter_policy.as_deref(), &policy)
            {
                if found.arn.starts_with("arn:") {
                    self.client
                        .set_subscription_attributes()
                        .subscription_arn(&found.arn)
                        .attribute_name("FilterPolicy")
                        .attribute_value(&policy)
                        .send()
                        .await
                        .map_err(|e| {
                            AwsError::new("SetSubscriptionAttributes", &found.arn, describe(&e))
                        })?;
                    changes.filters_fixed.push(vendor.to_string());
                }
            } else {
                changes.unchanged.push(vendor.to_string());
            }
            kept.insert(vendor);
        }
        for want in wanted {
            if !kept.contains(&want.vendor_id) {
                self.subscribe_vendor(&want.vendor_id, &want.email).await?;
                changes.subscribed.push(want.vendor_id.to_string());
            }
        }
        Ok(changes)
    }

    /// Publishes the email and returns SNS's message id.
    pub async fn publish(
        &self,
        email: &Email,
        about: &EmailAttributes<'_>,
    ) -> Result<String, AwsError> {
        let attribute = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| AwsError::new("Publish", &self.topic_arn, e))
        };
        let output = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(sns_subject(&email.subject))
            .message(&email.body)
            .message_attributes("vendor_id", attribute(about.vendor_id.as_str())?)
            .message_attributes("upload_id", attribute(about.upload_id.as_str())?)
            .message_attributes("status", attribute(about.status.as_str())?)
            .send()
            .await
            .map_err(|e| AwsError::new("Publish", &self.topic_arn, describe(&e)))?;
        Ok(output.message_id.unwrap_or_default())
    }

    /// Subscribes a vendor's email address (or, on the emulator, its
    /// mailbox) with a filter on their vendor id. Returns the subscription
    /// ARN ("pending confirmation" until the vendor clicks the link SNS
    /// sends). Prefer [`Notifier::ensure_vendor`], which is idempotent.
    pub async fn subscribe_vendor(
        &self,
        vendor_id: &VendorId,
        email: &str,
    ) -> Result<String, AwsError> {
        let (protocol, endpoint) = self.target(vendor_id, email);
        let output = self
            .client
            .subscribe()
            .topic_arn(&self.topic_arn)
            .protocol(protocol)
            .endpoint(endpoint)
            .attributes("FilterPolicy", vendor_filter_policy(vendor_id))
            .attributes("FilterPolicyScope", "MessageAttributes")
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(|e| AwsError::new("Subscribe", &self.topic_arn, describe(&e)))?;
        Ok(output.subscription_arn.unwrap_or_default())
    }
}

pub fn vendor_filter_policy(vendor_id: &VendorId) -> String {
    serde_json::json!({ "vendor_id": [vendor_id] }).to_string()
}

/// The vendor of a filter policy that is exactly `{"vendor_id": ["<ID>"]}`,
/// `<ID>` being a vendor id: the edge where a filter found on the topic
/// becomes a vendor.
pub fn filtered_vendor(policy: &str) -> Option<VendorId> {
    let value: serde_json::Value = serde_json::from_str(policy).ok()?;
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    match object.get("vendor_id")?.as_array()?.as_slice() {
        [serde_json::Value::String(vendor)] => VendorId::parse(vendor).ok(),
        _ => None,
    }
}

fn same_policy(found: Option<&str>, wanted: &str) -> bool {
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    found
        .and_then(parse)
        .is_some_and(|f| Some(f) == parse(wanted))
}

/// SNS subjects must be ASCII, one line, and under 100 characters.
pub fn sns_subject(subject: &str) -> String {
    let ascii: String = subject
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if ascii.chars().count() < 100 {
        return ascii;
    }
    let mut cut: String = ascii.chars().take(96).collect();
    cut.push_str("...");
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_made_acceptable_to_sns() {
        assert_eq!(
            sns_subject("Product Upload Complete - a.csv (85% Success)"),
            "Product Upload Complete - a.csv (85% Success)"
        );
        assert_eq!(sns_subject("Upload - café\n.csv"), "Upload - caf??.csv");
        let long = sns_subject(&format!("Upload - {}", "x".repeat(200)));
        assert_eq!(long.len(), 99);
        assert!(long.ends_with("..."));
    }

    #[test]
    fn filter_policies_name_their_vendor_only_when_exact() {
        assert_eq!(
            filtered_vendor(r#"{"vendor_id":["V1"]}"#)
                .as_ref()
                .map(VendorId::as_str),
            Some("V1")
        );
        assert_eq!(filtered_vendor(r#"{"vendor_id":["V 1"]}"#), None);
        assert_eq!(filtered_vendor(r#"{"vendor_id":["V1","V2"]}"#), None);
        assert_eq!(
            filtered_vendor(r#"{"vendor_id":["V1"],"status":["x"]}"#),
            None
        );
        assert_eq!(filtered_vendor("not json"), None);
    }

    #[test]
    fn the_filter_policy_matches_only_the_vendor() {
        assert_eq!(
            vendor_filter_policy(&VendorId::parse("VEND001").unwrap()),
            r#"{"vendor_id":["VEND001"]}"#
        );
    }
}
