//! Vendor emails through SNS. Each vendor's email subscription filters on the
//! `vendor_id` message attribute, so a vendor only receives their own.

use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use onboarding_core::Email;

use crate::{AwsError, describe};

#[derive(Clone, Debug)]
pub struct Notifier {
    client: Client,
    topic_arn: String,
}

/// Who an email is about; these travel as SNS message attributes.
#[derive(Clone, Debug)]
pub struct EmailAttributes<'a> {
    pub vendor_id: &'a str,
    pub upload_id: &'a str,
    pub status: &'a str,
}

impl Notifier {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Notifier {
        Notifier {
            client,
            topic_arn: topic_arn.into(),
        }
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
            .message_attributes("vendor_id", attribute(about.vendor_id)?)
            .message_attributes("upload_id", attribute(about.upload_id)?)
            .message_attributes("status", attribute(about.status)?)
            .send()
            .await
            .map_err(|e| AwsError::new("Publish", &self.topic_arn, describe(&e)))?;
        Ok(output.message_id.unwrap_or_default())
    }

    /// Subscribes a vendor's email address with a filter on their vendor id.
    /// Returns the subscription ARN ("pending confirmation" until the vendor
    /// clicks the link SNS sends).
    pub async fn subscribe_vendor(&self, vendor_id: &str, email: &str) -> Result<String, AwsError> {
        let output = self
            .client
            .subscribe()
            .topic_arn(&self.topic_arn)
            .protocol("email")
            .endpoint(email)
            .attributes("FilterPolicy", vendor_filter_policy(vendor_id))
            .attributes("FilterPolicyScope", "MessageAttributes")
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(|e| AwsError::new("Subscribe", &self.topic_arn, describe(&e)))?;
        Ok(output.subscription_arn.unwrap_or_default())
    }
}

pub fn vendor_filter_policy(vendor_id: &str) -> String {
    serde_json::json!({ "vendor_id": [vendor_id] }).to_string()
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
    fn the_filter_policy_matches_only_the_vendor() {
        assert_eq!(
            vendor_filter_policy("VEND001"),
            r#"{"vendor_id":["VEND001"]}"#
        );
    }
}
