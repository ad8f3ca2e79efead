//! The traffic a month of uploads produces, and how long Aurora runs for it.

use crate::assumptions::{Assumptions, BUSINESS_HOURS_PER_MONTH, SECONDS_PER_MONTH};
use crate::scenario::{Arrivals, Scenario};

/// The traffic one month of uploads produces, derived once per scenario.
pub(crate) struct Traffic {
    /// Uploads in the month.
    pub uploads: f64,
    /// Rows per upload.
    pub rows: f64,
    /// Seconds of the month uploads arrive in.
    pub window_s: f64,
    /// Validator invocations (stream batches) per upload.
    pub batches: f64,
    /// Invalid rows per upload.
    pub invalid_rows: f64,
    /// `row_errors` plus `upload_complete` messages per upload.
    pub queue_messages: f64,
    /// Error-processor invocations per upload.
    pub reporter_invocations: f64,
    /// Seconds of function work per upload (measured figures).
    pub processing_s: f64,
    /// Cold starts per upload, over the three functions.
    pub cold_starts: f64,
}

impl Traffic {
    pub fn new(scenario: &Scenario) -> Traffic {
        let conditions = &scenario.conditions;
        let assumptions = &conditions.assumptions;
        let window_s = match conditions.arrivals {
            Arrivals::AroundTheClock => SECONDS_PER_MONTH,
            Arrivals::BusinessHours => BUSINESS_HOURS_PER_MONTH * 3600.0,
        };
        let uploads = scenario.uploads as f64;
        let rows = conditions.rows as f64;
        let batches = (rows / assumptions.stream_batch_size).ceil();
        let invalid_rows = rows * assumptions.invalid_row_share;
        // One row_errors message per batch with errors, and upload_complete.
        let queue_messages = batches.min(invalid_rows.ceil()) + 1.0;
        let reporter_invocations = (queue_messages / assumptions.queue_batch_size).ceil();
        let processing_s =
            (assumptions.parse_s_per_1000_rows + assumptions.validate_s_per_1000_rows) * rows
                / 1000.0
                + assumptions.report_s_per_upload;
        // An upload finds a warm environment if the previous one came less
        // than an environment's lifetime ago (Poisson arrivals within the window).
        let cold_probability = if uploads > 0.0 {
            (-(uploads / window_s) * assumptions.environment_lifetime_s).exp()
        } else {
            1.0
        };
        Traffic {
            uploads,
            rows,
            window_s,
            batches,
            invalid_rows,
            queue_messages,
            reporter_invocations,
            processing_s,
            cold_starts: 3.0 * cold_probability,
        }
    }

    pub fn invocations_per_upload(&self) -> f64 {
        1.0 + self.batches + self.reporter_invocations
    }

    pub fn error_message_bytes(&self, assumptions: &Assumptions) -> f64 {
        self.invalid_rows * assumptions.error_message_bytes_per_invalid_row
    }

    /// Hours of the month in which at least one upload arrives.
    pub fn active_hours(&self) -> f64 {
        let hours = self.window_s / 3600.0;
        hours * (1.0 - (-self.uploads / hours).exp())
    }
}

/// How long an Aurora Serverless v2 instance runs in the month.
pub(crate) struct AuroraActivity {
    /// Fraction of the month the instance is not paused.
    pub running_fraction: f64,
    pub acu_hours: f64,
    /// Uploads that find the instance paused and wait for it.
    pub resumes: f64,
}

impl AuroraActivity {
    pub fn new(traffic: &Traffic, assumptions: &Assumptions) -> AuroraActivity {
        if traffic.uploads <= 0.0 {
            return AuroraActivity {
                running_fraction: 0.0,
                acu_hours: 0.0,
                resumes: 0.0,
            };
        }
        // Each upload keeps the instance running from its arrival until the
        // last connection closes plus the pause delay. With Poisson arrivals
        // the covered share of the window is 1 - exp(-rate × that length).
        let busy_s = assumptions.aurora_resume_s
            + traffic.processing_s
            + assumptions.db_hold_s
            + assumptions.aurora_pause_after_s;
        let rate = traffic.uploads / traffic.window_s;
        let running_s = traffic.window_s * (1.0 - (-rate * busy_s).exp());
        let resumes = traffic.uploads * (-rate * busy_s).exp();
        let acu_hours = running_s / 3600.0 * assumptions.aurora_running_acu
            + traffic.uploads * traffic.processing_s / 3600.0
                * (assumptions.aurora_busy_acu - assumptions.aurora_running_acu);
        AuroraActivity {
            running_fraction: running_s / SECONDS_PER_MONTH,
            acu_hours,
            resumes,
        }
    }
}
