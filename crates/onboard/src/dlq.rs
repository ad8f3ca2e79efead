//! `onboard dlq list|redrive`: the local stack's dead letters.
//!
//! - `errors`: errors-queue messages the error-processor failed on 3 times;
//! - `parser`: S3 events the csv-parser failed on 3 times;
//! - `stream`: descriptions of staging-stream records the product-validator
//!   gave up on (listed only: they describe records, they are not events).

use std::process::ExitCode;

use onboarding_devstack::StackClients;
use onboarding_devstack::dlq::{self, DeadLetter, DeadLetterQueue};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueName {
    Errors,
    Parser,
    Stream,
}

impl From<QueueName> for DeadLetterQueue {
    fn from(name: QueueName) -> Self {
        match name {
            QueueName::Errors => DeadLetterQueue::Errors,
            QueueName::Parser => DeadLetterQueue::Parser,
            QueueName::Stream => DeadLetterQueue::Stream,
        }
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum DlqCommand {
    /// Show dead letters without consuming them (all queues by default).
    List {
        #[arg(long, value_enum)]
        queue: Option<QueueName>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Send dead letters back to their source queue (errors and parser by default).
    Redrive {
        #[arg(long, value_enum)]
        queue: Option<QueueName>,
        /// Print {"<queue>": {"moved": N, "to": URL}} (stream: {"moved": 0, "to": null}).
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args, Debug)]
pub struct DlqArgs {
    #[command(subcommand)]
    pub command: DlqCommand,
}

pub async fn run(args: DlqArgs) -> anyhow::Result<ExitCode> {
    let (env, _) = crate::dev::running_stack_env()?;
    let clients = StackClients::from_env(&env)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let err = |e: onboarding_devstack::DevstackError| anyhow::anyhow!("{e}");
    match args.command {
        DlqCommand::List { queue, json } => {
            let queues: Vec<DeadLetterQueue> = match queue {
                Some(queue) => vec![queue.into()],
                None => DeadLetterQueue::ALL.to_vec(),
            };
            let mut all = serde_json::Map::new();
            for queue in queues {
                let url = queue.url(&env).map_err(err)?;
                let letters = dlq::list(&clients, &url).await.map_err(err)?;
                if json {
                    all.insert(queue.to_string(), serde_json::to_value(&letters)?);
                } else {
                    print_letters(queue, &url, &letters);
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        DlqCommand::Redrive { queue, json } => {
            let queues: Vec<DeadLetterQueue> = match queue {
                Some(queue) => vec![queue.into()],
                None => vec![DeadLetterQueue::Errors, DeadLetterQueue::Parser],
            };
            let mut moved_by_queue = serde_json::Map::new();
            for queue in queues {
                let from = queue.url(&env).map_err(err)?;
                let Some(to) = queue.source_url(&env).map_err(err)? else {
                    if json {
                        moved_by_queue.insert(
                            queue.to_string(),
                            serde_json::json!({"moved": 0, "to": null}),
                        );
                        continue;
                    }
                    let letters = dlq::list(&clients, &from).await.map_err(err)?;
                    println!(
                        "stream failures describe staging records rather than carry events; nothing to redrive ({} listed below)",
                        letters.len()
                    );
                    print_letters(queue, &from, &letters);
                    continue;
                };
                let moved = dlq::redrive(&clients, &from, &to).await.map_err(err)?;
                if json {
                    moved_by_queue.insert(
                        queue.to_string(),
                        serde_json::json!({"moved": moved, "to": to}),
                    );
                } else {
                    println!("{queue}: {moved} message(s) sent back to {to}");
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&moved_by_queue)?);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_letters(queue: DeadLetterQueue, url: &str, letters: &[DeadLetter]) {
    println!("== {queue} ({url}): {} message(s)", letters.len());
    for letter in letters {
        let sent = letter
            .sent_timestamp
            .and_then(|ms| chrono::DateTime::from_timestamp_millis(ms as i64))
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| "?".into());
        let attributes: Vec<String> = letter
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!(
            "- {}  sent {}  receives {}  {}",
            letter.message_id,
            sent,
            letter
                .receive_count
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into()),
            attributes.join(" ")
        );
        let body: String = letter.body.chars().take(600).collect();
        let more = if letter.body.chars().count() > 600 {
            " …"
        } else {
            ""
        };
        println!("  {body}{more}");
    }
}
