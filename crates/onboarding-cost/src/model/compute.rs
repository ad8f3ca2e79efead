//! Compute: the Lambda functions, the always-on worker, and the images.

use super::{Line, Month, line};
use crate::allowances::AllowanceId;
use crate::assumptions::HOURS_PER_MONTH;
use crate::format::qty;
use crate::prices::PriceId;
use crate::scenario::Worker;

/// Lambda: the three functions' requests and GB-seconds (running, connection
/// set-ups, init of cold starts, the csv-parser's wait for Aurora to resume).
pub(super) fn lambda(month: &Month) -> Line {
    let (traffic, assumptions) = (&month.traffic, month.assumptions);
    // Every invocation now opens its PostgreSQL connection and closes it at
    // the end: one connection set-up each, at the function's memory.
    let connect_gb_s = assumptions.db_connect_s
        * (assumptions.parser_memory_gb
            + traffic.batches * assumptions.validator_memory_gb
            + traffic.reporter_invocations * assumptions.reporter_memory_gb);
    let run_gb_s = assumptions.parser_memory_gb * assumptions.parse_s_per_1000_rows * traffic.rows
        / 1000.0
        + assumptions.validator_memory_gb * assumptions.validate_s_per_1000_rows * traffic.rows
            / 1000.0
        + assumptions.reporter_memory_gb * assumptions.report_s_per_upload
        + connect_gb_s;
    let mean_memory_gb = (assumptions.parser_memory_gb
        + assumptions.validator_memory_gb
        + assumptions.reporter_memory_gb)
        / 3.0;
    let init_gb_s = traffic.cold_starts * assumptions.init_s_per_cold_start * mean_memory_gb;
    // The csv-parser is the first to connect, so it waits for a resume.
    let resume_gb_s = month.aurora.as_ref().map_or(0.0, |aurora| {
        if traffic.uploads > 0.0 {
            aurora.resumes / traffic.uploads
                * assumptions.aurora_resume_s
                * assumptions.parser_memory_gb
        } else {
            0.0
        }
    });
    let gb_s = run_gb_s + init_gb_s + resume_gb_s;
    let requests = traffic.invocations_per_upload();
    let request_usd = month.variable_charge(
        traffic.uploads * requests,
        AllowanceId::LambdaRequests,
        PriceId::LambdaRequest,
    );
    let compute_usd = month.variable_charge(
        traffic.uploads * gb_s,
        AllowanceId::LambdaGbSeconds,
        PriceId::LambdaArmGbSecond,
    );
    line(
        "Lambda (arm64)",
        0.0,
        request_usd + compute_usd,
        format!(
            "{} invocations and {} GB-s per upload ({} running, with a connection set-up each; {} init, {} waiting for Aurora){}",
            qty(requests),
            qty(gb_s),
            qty(run_gb_s),
            qty(init_gb_s),
            qty(resume_gb_s),
            month.free.note("1 M requests and 400,000 GB-s a month")
        ),
    )
}

/// The always-on worker: one task or instance, and another per
/// `worker_target_utilisation` of busy time.
pub(super) fn worker(month: &Month, worker: Worker) -> Line {
    let (traffic, assumptions) = (&month.traffic, month.assumptions);
    let (per_worker, slowdown, what) = match worker {
        Worker::Fargate => (
            HOURS_PER_MONTH
                * (0.25 * PriceId::FargateArmVcpuHour.usd()
                    + 0.5 * PriceId::FargateArmGbHour.usd()
                    + PriceId::PublicIpv4Hour.usd()),
            assumptions.fargate_slowdown,
            "Fargate task 0.25 vCPU / 0.5 GB arm64 + public IPv4",
        ),
        Worker::Vm => (
            HOURS_PER_MONTH * (PriceId::Ec2T4gSmallHour.usd() + PriceId::PublicIpv4Hour.usd())
                + 8.0 * PriceId::EbsGp3GbMonth.usd(),
            1.0,
            "t4g.small + 8 GB gp3 + public IPv4",
        ),
    };
    let busy_hours = traffic.uploads * traffic.processing_s * slowdown / 3600.0;
    let workers = (busy_hours / (HOURS_PER_MONTH * assumptions.worker_target_utilisation))
        .ceil()
        .max(1.0);
    line(
        "Compute (always on)",
        per_worker,
        (workers - 1.0) * per_worker,
        format!("{} × {what}; {} busy hours", qty(workers), qty(busy_hours)),
    )
}

/// ECR: the images of `repositories` repositories.
pub(super) fn ecr(month: &Month, repositories: f64) -> Line {
    let assumptions = month.assumptions;
    let gb = assumptions.ecr_gb * repositories / 3.0;
    line(
        "ECR",
        gb * PriceId::EcrGbMonth.usd(),
        0.0,
        format!("{} GB of images", qty(gb)),
    )
}
