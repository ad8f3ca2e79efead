//! Fault injection for the event source mappings: the at-least-once and
//! retry behaviour that AWS shows now and then, on demand and reproducibly.

use std::sync::Mutex;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::runtime::{FunctionPool, InvokeError};

/// What to inject. The default injects nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Deliver every event twice: each S3 record, each stream batch and each
    /// SQS batch. For S3 and SQS events a seeded coin decides per event
    /// whether the copy runs concurrently with the original or after it
    /// finished; stream batches are always duplicated after the original
    /// finished (Lambda never runs two batches of one shard at once). The
    /// original's outcome decides what the mapping does next; the copy's
    /// outcome only shows in the counters.
    pub duplicate_every_event: bool,
    /// Share of invocations (0 to 1) that fail without running the function.
    pub fail_before: f64,
    /// Share of invocations (0 to 1) that run, succeed, and are then reported
    /// as failed: the event is retried with all its effects already done.
    pub fail_after: f64,
    /// Seed of the random choices.
    pub seed: u64,
}

impl Faults {
    /// Nothing injected.
    pub fn none() -> Self {
        Faults::default()
    }

    pub fn is_none(&self) -> bool {
        !self.duplicate_every_event && self.fail_before <= 0.0 && self.fail_after <= 0.0
    }

    /// Parses one `--fault` setting: `duplicate`, `fail-before=P`,
    /// `fail-after=P` or `seed=N`, into `self`.
    pub fn apply_setting(&mut self, setting: &str) -> Result<(), String> {
        let (name, value) = match setting.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (setting.trim(), None),
        };
        let share = |value: Option<&str>| -> Result<f64, String> {
            let p: f64 = value
                .ok_or_else(|| format!("{name} needs a value, like {name}=0.1"))?
                .parse()
                .map_err(|_| format!("{name}: not a number"))?;
            if (0.0..=1.0).contains(&p) {
                Ok(p)
            } else {
                Err(format!("{name} must be between 0 and 1"))
            }
        };
        match name {
            "duplicate" | "duplicate-every-event" => self.duplicate_every_event = true,
            "fail-before" => self.fail_before = share(value)?,
            "fail-after" => self.fail_after = share(value)?,
            "seed" => {
                self.seed = value
                    .ok_or("seed needs a value, like seed=7")?
                    .parse()
                    .map_err(|_| "seed: not a whole number".to_string())?
            }
            other => {
                return Err(format!(
                    "unknown fault {other:?} (duplicate, fail-before=P, fail-after=P, seed=N)"
                ));
            }
        }
        Ok(())
    }
}

/// How a duplicate is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DuplicateMode {
    /// Concurrently for some events, after the original for the others.
    Mixed,
    /// Always after the original finished.
    Sequential,
}

/// Invokes functions for the mappings, applying [`Faults`].
pub struct Deliverer {
    faults: Faults,
    rng: Mutex<ChaCha8Rng>,
}

impl Deliverer {
    pub fn new(faults: Faults) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(faults.seed);
        Deliverer {
            faults,
            rng: Mutex::new(rng),
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    fn roll(&self) -> f64 {
        self.rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .random::<f64>()
    }

    /// Delivers one event (and its duplicate, if asked); returns the
    /// original delivery's outcome.
    pub async fn deliver(
        &self,
        pool: &FunctionPool,
        event: &Value,
        mode: DuplicateMode,
    ) -> Result<Value, InvokeError> {
        if !self.faults.duplicate_every_event {
            return self.invoke_once(pool, event).await;
        }
        let concurrent = mode == DuplicateMode::Mixed && self.roll() < 0.5;
        if concurrent {
            let (original, _copy) =
                futures::join!(self.invoke_once(pool, event), self.invoke_once(pool, event));
            original
        } else {
            let original = self.invoke_once(pool, event).await;
            let _copy = self.invoke_once(pool, event).await;
            original
        }
    }

    async fn invoke_once(&self, pool: &FunctionPool, event: &Value) -> Result<Value, InvokeError> {
        if self.faults.fail_before > 0.0 && self.roll() < self.faults.fail_before {
            pool.record_injected_before_run();
            return Err(InvokeError::InjectedBeforeRun);
        }
        let fail_after = self.faults.fail_after > 0.0 && self.roll() < self.faults.fail_after;
        let outcome = pool.invoke(event).await;
        if fail_after && outcome.is_ok() {
            pool.record_injected_after_run();
            return Err(InvokeError::InjectedAfterRun);
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse() {
        let mut faults = Faults::none();
        assert!(faults.is_none());
        for setting in ["duplicate", "fail-before=0.1", "fail-after=0.25", "seed=7"] {
            faults.apply_setting(setting).unwrap();
        }
        assert_eq!(
            faults,
            Faults {
                duplicate_every_event: true,
                fail_before: 0.1,
                fail_after: 0.25,
                seed: 7
            }
        );
        assert!(faults.apply_setting("fail-before=2").is_err());
        assert!(faults.apply_setting("fail-after").is_err());
        assert!(faults.apply_setting("explode").is_err());
    }
}
