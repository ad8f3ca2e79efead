//! Every Python tool version lives in a requirements file under
//! `requirements/`, where Dependabot and pip-audit read it: this test fails on
//! a pip pin (a package name, maybe with extras, right before `==` and a
//! version, a shell variable or a format placeholder) in the code, scripts,
//! workflows, compose file or Dockerfiles. Docs may quote versions; they are
//! not searched.

use std::path::{Path, PathBuf};

/// Folders not searched: the pins themselves, docs, and what is not ours or
/// is generated (build output, venvs, vendored crates, npm packages).
const SKIPPED_DIRS: &[&str] = &["requirements", "docs", "target", "vendor", "node_modules"];

fn searched(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with("Dockerfile")
        || matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("rs" | "sh" | "py" | "yml" | "yaml" | "toml" | "js" | "mjs")
        )
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            // Hidden folders are tools' state (.git, .venv, .dev, .sqlx), but
            // for the CI workflows.
            let hidden = name.starts_with('.') && name != ".github";
            if !hidden && !SKIPPED_DIRS.contains(&name.as_str()) {
                files(&path, out);
            }
        } else if kind.is_file() && searched(&path) {
            out.push(path);
        }
    }
}

/// The pins in one line: `==` right after a package name (or its extras)
/// and right before a version, a shell variable or a format placeholder.
fn pins(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let name_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b']');
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = line[at..].find("==") {
        let eq = at + offset;
        let after = bytes.get(eq + 2).copied();
        if eq > 0
            && name_byte(bytes[eq - 1])
            && after.is_some_and(|b| b.is_ascii_digit() || b == b'$' || b == b'{')
        {
            let start = line[..eq]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || "._-[],".contains(c)))
                .map_or(0, |i| i + 1);
            let end = line[eq + 2..]
                .find(|c: char| c.is_whitespace() || "\"'`)".contains(c))
                .map_or(line.len(), |i| eq + 2 + i);
            if line[start..eq].bytes().any(|b| b.is_ascii_alphabetic()) {
                found.push(&line[start..end]);
            }
        }
        at = eq + 2;
    }
    found
}

#[test]
fn the_scanner_finds_pins_and_nothing_else() {
    let pin = |s: &str| s.replace("@@", "==");
    assert_eq!(
        pins(&pin(
            r#"pip install "checkov@@3.3.30" 'moto[server]@@5.2.1'"#
        )),
        [
            pin("checkov@@3.3.30").as_str(),
            pin("moto[server]@@5.2.1").as_str()
        ]
    );
    assert_eq!(
        pins(&pin(r#"pip3 install "ziglang@@${ZIG_VERSION}""#)),
        [pin("ziglang@@${ZIG_VERSION}").as_str()]
    );
    assert_eq!(
        pins(&pin("format!(\"moto[server]@@{MOTO_VERSION}\")")),
        [pin("moto[server]@@{MOTO_VERSION}").as_str()]
    );
    for not_a_pin in [
        "if a @@ 1 {",
        "[ \"$x\" @@ 2 ]",
        "x@@@1",
        "len(x)@@2",
        "a@@b",
        "1@@2",
    ] {
        assert!(pins(&pin(not_a_pin)).is_empty(), "{not_a_pin}");
    }
}

#[test]
fn python_versions_are_pinned_in_requirements_files_only() {
    let root = onboarding_devstack::moto::workspace_root();
    let mut all = Vec::new();
    files(&root, &mut all);
    all.sort();
    assert!(
        all.iter()
            .any(|p| p.ends_with("crates/onboarding-devstack/src/moto.rs")),
        "the search walks the workspace ({})",
        root.display()
    );
    let mut found = Vec::new();
    for path in &all {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for (number, line) in text.lines().enumerate() {
            for pin in pins(line) {
                let relative = path.strip_prefix(&root).unwrap_or(path);
                found.push(format!("{}:{}: {pin}", relative.display(), number + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "Python version pins outside requirements/ (move each into a requirements file \
         there, which the code or script reads; see docs/development.md, \"Python tool pins\"):\n{}",
        found.join("\n")
    );
}
