//! The cost pages in docs/ are partly the output of `onboard cost`: each
//! block between `<!-- BEGIN generated…: <command> -->` and
//! `<!-- END generated -->` must be exactly what the command prints.

mod common;

use std::path::{Path, PathBuf};

use onboarding_cost::{estimate, render};

/// A generated block: the page it is on, its command, its text, and whether
/// it is marked as the default scenario.
struct Block {
    page: String,
    command: String,
    body: String,
    default_scenario: bool,
}

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

/// The generated blocks of every Markdown page in docs/ that has any for
/// `onboard cost`.
fn generated_blocks() -> Vec<Block> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(docs_dir())
        .expect("docs/")
        .map(|entry| entry.expect("a docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    let mut blocks = Vec::new();
    for path in pages {
        let page = format!(
            "docs/{}",
            path.file_name().expect("a name").to_string_lossy()
        );
        let doc = common::read(&path);
        let mut lines = doc.lines();
        while let Some(line) = lines.next() {
            let Some(rest) = line.strip_prefix("<!-- BEGIN ") else {
                continue;
            };
            let (label, command) = rest
                .trim_end_matches("-->")
                .trim()
                .split_once(": ")
                .expect("<!-- BEGIN <label>: <command> -->");
            let mut body = String::new();
            for inner in lines.by_ref() {
                if inner.starts_with("<!-- END") {
                    break;
                }
                body.push_str(inner);
                body.push('\n');
            }
            if command.starts_with("onboard cost") {
                blocks.push(Block {
                    page: page.clone(),
                    command: command.to_string(),
                    body: body.trim_matches('\n').to_string(),
                    default_scenario: label.contains("default scenario"),
                });
            }
        }
    }
    blocks
}

#[test]
fn the_documented_default_scenario_total_matches_the_model() {
    if common::blessing() {
        return; // the pages are being rewritten; the run after checks them
    }
    let blocks = generated_blocks();
    let defaults: Vec<&Block> = blocks
        .iter()
        .filter(|block| block.default_scenario)
        .collect();
    let [block] = defaults[..] else {
        panic!("docs/ marks {} default scenarios, not one", defaults.len());
    };
    let documented: f64 = block
        .body
        .lines()
        .find(|line| line.starts_with("| **Total** |"))
        .and_then(|line| line.split('|').nth(4))
        .map(|cell| cell.trim().trim_matches('*'))
        .and_then(|cell| cell.parse().ok())
        .expect("a Total row with the total in the fourth column");
    let model = estimate(&common::report(&block.command).scenario).total();
    assert!(
        (documented - model).abs() < 0.01,
        "{} says {documented}, the model {model:.4}",
        block.page
    );
}

/// Rewrites every generated block of `page` with what its command prints
/// now (`COST_BLESS=1`).
fn bless(page: &Path) {
    let doc = common::read(page);
    let mut out = String::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let command = line
            .strip_prefix("<!-- BEGIN ")
            .and_then(|rest| rest.trim_end_matches("-->").trim().split_once(": "))
            .map(|(_, command)| command)
            .filter(|command| command.starts_with("onboard cost"));
        if let Some(command) = command {
            for inner in lines.by_ref() {
                if inner.starts_with("<!-- END") {
                    out.push_str(render(&common::report(command)).trim_matches('\n'));
                    out.push('\n');
                    out.push_str(inner);
                    out.push('\n');
                    break;
                }
            }
        }
    }
    if !doc.ends_with('\n') {
        out.pop();
    }
    if out != doc {
        std::fs::write(page, out).unwrap();
    }
}

#[test]
fn doc_tables_are_the_output_of_the_command() {
    if common::blessing() {
        let pages: std::collections::BTreeSet<String> =
            generated_blocks().into_iter().map(|b| b.page).collect();
        for page in pages {
            bless(&docs_dir().join(page.trim_start_matches("docs/")));
        }
    }
    let blocks = generated_blocks();
    assert!(blocks.len() >= 5, "found {} generated blocks", blocks.len());
    for block in blocks {
        let expected = render(&common::report(&block.command));
        assert_eq!(
            block.body,
            expected.trim_matches('\n'),
            "{} is stale for `{}`: run it and paste its output",
            block.page,
            block.command
        );
    }
}

/// Every command docs/ shows the output of is one of the fixtures, so that
/// its output is pinned byte for byte, not only as the page last pasted it.
#[test]
fn every_documented_command_has_a_fixture() {
    let fixtures: Vec<String> = common::rendered_fixtures()
        .into_iter()
        .map(|(_, command)| command)
        .collect();
    for block in generated_blocks() {
        assert!(
            fixtures.contains(&block.command),
            "{}: `{}` has no fixture in tests/fixtures/manifest.txt",
            block.page,
            block.command
        );
    }
}
