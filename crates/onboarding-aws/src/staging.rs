//! The DynamoDB staging table: one item per row, written once by the parser
//! (status `pending_validation`) and read by the validator through the
//! stream; the verdict is PostgreSQL's (`row_outcomes`).

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use futures::{StreamExt, TryStreamExt};
use onboarding_core::StagedRow;

use crate::{AwsError, describe};

/// DynamoDB's limit per `BatchWriteItem` (emulators may accept more; AWS does not).
pub const BATCH_WRITE_LIMIT: usize = 25;
const MAX_ATTEMPTS: u32 = 8;
const WRITES_IN_FLIGHT: usize = 4;

#[derive(Clone, Debug)]
pub struct StagingTable {
    client: Client,
    table: String,
}

impl StagingTable {
    pub fn new(client: Client, table: impl Into<String>) -> StagingTable {
        StagingTable {
            client,
            table: table.into(),
        }
    }

    /// Writes rows in batches of 25, retrying unprocessed items with
    /// exponential backoff. Rewriting a row is harmless: the key is the row.
    pub async fn write(&self, rows: &[StagedRow]) -> Result<(), AwsError> {
        let batches = rows
            .chunks(BATCH_WRITE_LIMIT)
            .map(|chunk| chunk.iter().map(|row| self.put_request(row)).collect())
            .collect::<Result<Vec<Vec<WriteRequest>>, _>>()?;
        // A few calls in flight hide the round trip; more would only meet
        // throttling on a fresh on-demand table.
        futures::stream::iter(batches.into_iter().map(|batch| self.write_batch(batch)))
            .buffer_unordered(WRITES_IN_FLIGHT)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    fn put_request(&self, row: &StagedRow) -> Result<WriteRequest, AwsError> {
        let item = serde_dynamo::aws_sdk_dynamodb_1::to_item(row)
            .map_err(|e| AwsError::new("SerializeItem", &self.table, e))?;
        let put = PutRequest::builder()
            .set_item(Some(item))
            .build()
            .map_err(|e| AwsError::new("BuildPutRequest", &self.table, e))?;
        Ok(WriteRequest::builder().put_request(put).build())
    }

    async fn write_batch(&self, mut requests: Vec<WriteRequest>) -> Result<(), AwsError> {
        let mut attempt = 0;
        while !requests.is_empty() {
            attempt += 1;
            let result = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests.clone())
                .send()
                .await;
            match result {
                Ok(output) => {
                    requests = output
                        .unprocessed_items
                        .and_then(|mut items| items.remove(&self.table))
                        .unwrap_or_default();
                    if requests.is_empty() {
                        return Ok(());
                    }
                    if attempt >= MAX_ATTEMPTS {
                        return Err(AwsError::new(
                            "BatchWriteItem",
                            &self.table,
                            format!(
                                "{} items still unprocessed after {attempt} attempts",
                                requests.len()
                            ),
                        ));
                    }
                }
                Err(error) if attempt < MAX_ATTEMPTS => {
                    tracing::warn!(table = %self.table, attempt, error = %describe(&error), "BatchWriteItem failed; retrying");
                }
                Err(error) => {
                    return Err(AwsError::new(
                        "BatchWriteItem",
                        &self.table,
                        describe(&error),
                    ));
                }
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Ok(())
    }
}

/// 50 ms doubling to 3.2 s, with jitter so that parallel writers spread out.
fn backoff(attempt: u32) -> Duration {
    let base = 50u64 << attempt.min(6);
    let jitter = rand::random::<u64>() % (base / 2 + 1);
    Duration::from_millis(base / 2 + jitter)
}

/// A staged row from a stream record's new image.
pub fn staged_row_from_image(image: serde_dynamo::Item) -> Result<StagedRow, serde_dynamo::Error> {
    serde_dynamo::from_item(image)
}

#[cfg(test)]
mod tests {
    use super::*;
    use onboarding_core::reader::SourceRow;
    use onboarding_core::{EarlierRows, Lane, UploadId, VendorId};

    #[test]
    fn a_staged_item_keeps_the_cells_in_one_attribute_and_reads_back() {
        let row = StagedRow::new(
            Lane::Live,
            &UploadId::parse("UPLOAD_20261122_101500_ABCDEF012345").unwrap(),
            &VendorId::parse("VEND001").unwrap(),
            SourceRow {
                row_number: 3,
                fields: vec![" a,\"b\" ".into(), String::new(), "ü".into()],
                problems: Vec::new(),
            },
            EarlierRows::default(),
            0,
        );
        let item: serde_dynamo::Item = serde_dynamo::to_item(&row).unwrap();
        assert!(matches!(
            item.inner().get("fields"),
            Some(serde_dynamo::AttributeValue::S(_))
        ));
        assert_eq!(staged_row_from_image(item.clone()).unwrap(), row);
        // An item staged with the cells as a list of strings still reads.
        let mut listed = item.into_inner();
        listed.insert(
            "fields".into(),
            serde_dynamo::AttributeValue::L(
                row.fields
                    .iter()
                    .map(|f| serde_dynamo::AttributeValue::S(f.clone()))
                    .collect(),
            ),
        );
        assert_eq!(staged_row_from_image(listed.into()).unwrap(), row);
    }
}
