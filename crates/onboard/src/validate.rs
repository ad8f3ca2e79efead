//! `onboard validate`: the vendor's offline check before uploading.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use onboarding_core::{
    CategoryWhitelist, CheckedRow, FileChecker, FileFormat, FixRow, ProductReader, ReadLimits,
    ReportLine, check_against_catalog, percentages, write_error_report, write_fix_file,
};
use onboarding_db::PgCatalog;

use crate::exit::Exit;

#[derive(clap::Args)]
pub struct ValidateArgs {
    /// The product file: .csv, .json (an array of objects), or .jsonl/.ndjson (one object a line).
    file: PathBuf,
    /// Your vendor id, for example VEND001.
    #[arg(long)]
    vendor: onboarding_core::VendorId,
    /// Write the error report here instead of printing it.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Also write a fix file: only the failed rows, with an `errors` column.
    #[arg(long)]
    fix_file: Option<PathBuf>,
    /// Include the catalog rules (duplicate SKUs and product ids) and the live category list.
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value_t = ReadLimits::DEFAULT_MAX_BYTES)]
    max_bytes: u64,
    #[arg(long, default_value_t = ReadLimits::DEFAULT_MAX_ROWS)]
    max_rows: u32,
    /// Print one JSON object (docs/cli.md) instead of the summary and report;
    /// --report and --fix-file still write their files.
    #[arg(long)]
    json: bool,
}

const CATALOG_BATCH: usize = 1000;

pub async fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let catalog = match &args.database_url {
        Some(url) => Some(PgCatalog::new(onboarding_db::connect(url, 1).await?)),
        None => None,
    };
    let categories = match &catalog {
        Some(catalog) => catalog.categories().await?,
        None => CategoryWhitelist::new(onboarding_db::seed::category_names(
            onboarding_db::seed::CATEGORIES_CSV,
        )?),
    };
    let file = tokio::fs::File::open(&args.file)
        .await
        .map_err(|e| crate::exit::invalid(format!("cannot open {}: {e}", args.file.display())))?;
    let limits = ReadLimits {
        max_bytes: args.max_bytes,
        max_rows: args.max_rows,
    };
    if !args.json {
        println!("File: {}", args.file.display());
        println!("Vendor: {}", args.vendor);
    }

    // As the pipeline does: the extension says how to read the file.
    let file_name = args.file.file_name().unwrap_or_default().to_string_lossy();
    let format = match FileFormat::require(&file_name) {
        Ok(format) => format,
        Err(failure) => return unreadable(&args, &failure),
    };
    let mut reader =
        match ProductReader::open(format, tokio::io::BufReader::new(file), limits).await {
            Ok(reader) => reader,
            Err(failure) => return unreadable(&args, &failure),
        };
    let header = reader.header().clone();
    let mut checker = FileChecker::new(&header, &categories);
    let mut rows: Vec<CheckedRow> = Vec::new();
    let mut failed_fields: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    loop {
        match reader.next_row().await {
            Ok(Some(row)) => {
                let checked = checker.check(&row);
                if !checked.is_valid() {
                    failed_fields.insert(row.row_number, row.fields);
                }
                rows.push(checked);
            }
            Ok(None) => break,
            Err(failure) => return unreadable(&args, &failure),
        }
    }
    if let Some(catalog) = &catalog {
        for chunk in rows.chunks_mut(CATALOG_BATCH) {
            check_against_catalog(catalog, &args.vendor, chunk).await?;
        }
        // Rows that only now failed need their cells for the fix file; read them again.
        let newly_failed: Vec<u32> = rows
            .iter()
            .filter(|r| !r.is_valid() && !failed_fields.contains_key(&r.row_number))
            .map(|r| r.row_number)
            .collect();
        if !newly_failed.is_empty() {
            let file = tokio::fs::File::open(&args.file).await?;
            let mut again =
                ProductReader::open(format, tokio::io::BufReader::new(file), limits).await?;
            while let Some(row) = again.next_row().await? {
                if newly_failed.binary_search(&row.row_number).is_ok() {
                    failed_fields.insert(row.row_number, row.fields);
                }
            }
        }
    }

    let total = rows.len() as u32;
    let invalid = rows.iter().filter(|r| !r.is_valid()).count() as u32;
    let valid = total - invalid;
    let (valid_percent, invalid_percent) = percentages(valid, total);
    let lines: Vec<ReportLine> = rows.iter().flat_map(ReportLine::for_row).collect();
    let mut by_type: BTreeMap<_, u32> = BTreeMap::new();
    for line in &lines {
        *by_type.entry(line.error_type).or_default() += 1;
    }
    let outcome = if invalid == 0 { Exit::Ok } else { Exit::Failed };
    write_files(&args, &header, &rows, &mut failed_fields, &lines)?;
    if args.json {
        let summary = serde_json::json!({
            "file": args.file.display().to_string(),
            "vendor": args.vendor,
            "status": if invalid == 0 { "clean" } else { "invalid" },
            "reason": null,
            "products": total,
            "valid": valid,
            "invalid": invalid,
            "errors_by_type": by_type.iter().map(|(t, n)| (t.as_str(), n)).collect::<BTreeMap<_, _>>(),
            "warnings": reader.warnings().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "catalog_checked": catalog.is_some(),
            "errors": lines,
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(outcome.into());
    }
    println!("Products: {total}");
    println!("Valid: {valid} ({valid_percent}%)");
    println!("Invalid: {invalid} ({invalid_percent}%)");
    if !by_type.is_empty() {
        println!("Errors by type:");
        for (error_type, count) in &by_type {
            println!("  {:<30} {count}", error_type.as_str());
        }
    }
    for warning in reader.warnings() {
        println!("Warning: {warning}");
    }
    if catalog.is_none() {
        println!(
            "Note: duplicates against the existing catalog were not checked (add --database-url to include them)."
        );
    }

    if let Some(path) = &args.fix_file {
        println!("Fix file: {}", path.display());
    }
    match &args.report {
        Some(path) => println!("Error report: {}", path.display()),
        None if !lines.is_empty() => {
            println!();
            print!("{}", String::from_utf8_lossy(&write_error_report(&lines)));
        }
        None => {}
    }
    Ok(outcome.into())
}

/// The --fix-file and --report files, when asked for.
fn write_files(
    args: &ValidateArgs,
    header: &onboarding_core::Header,
    rows: &[CheckedRow],
    failed_fields: &mut BTreeMap<u32, Vec<String>>,
    lines: &[ReportLine],
) -> anyhow::Result<()> {
    if let Some(path) = &args.fix_file {
        let fix_rows: Vec<FixRow> = rows
            .iter()
            .filter(|r| !r.is_valid())
            .map(|r| FixRow {
                row_number: r.row_number,
                fields: failed_fields.remove(&r.row_number).unwrap_or_default(),
                messages: r.errors().iter().map(|e| e.message.clone()).collect(),
            })
            .collect();
        std::fs::write(path, write_fix_file(header.source_columns(), &fix_rows))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.report {
        std::fs::write(path, write_error_report(lines))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// A file that cannot be read as a product file: exit 2 (invalid input).
fn unreadable(
    args: &ValidateArgs,
    failure: &onboarding_core::FileFailure,
) -> anyhow::Result<ExitCode> {
    if args.json {
        let summary = serde_json::json!({
            "file": args.file.display().to_string(),
            "vendor": args.vendor,
            "status": "unreadable",
            "reason": failure.to_string(),
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("Status: FAILED");
        println!("Reason: {failure}");
    }
    Ok(Exit::Invalid.into())
}
