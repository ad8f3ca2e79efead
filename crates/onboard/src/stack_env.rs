//! The local stack's `.dev/stack.env`, read into the environment so that
//! every command finds the stack without flags. Variables already set win,
//! so the same commands work against AWS with the environment set by hand.

use std::path::PathBuf;

/// Where `onboard dev up` writes the stack's endpoints and names.
pub fn path() -> PathBuf {
    std::env::var_os("ONBOARD_STACK_ENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".dev/stack.env"))
}

/// Parses `KEY=VALUE` lines; blank lines and `#` comments are skipped.
pub fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        .collect()
}

/// Loads the file into the process environment. Call before any thread starts.
pub fn load() {
    let Ok(text) = std::fs::read_to_string(path()) else {
        return;
    };
    for (key, value) in parse(&text) {
        if std::env::var_os(&key).is_none() {
            // SAFETY: called from `main` before the runtime or any other
            // thread exists, so nothing reads the environment concurrently.
            unsafe { std::env::set_var(key, value) };
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_become_pairs() {
        let pairs = super::parse("# stack\nA=1\n\nB = x=y \nnot a pair\n");
        assert_eq!(
            pairs,
            vec![("A".into(), "1".into()), ("B".into(), "x=y".into())]
        );
    }
}
