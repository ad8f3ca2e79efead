//! The Python tool pins of `requirements/`, the only place a Python version
//! is written (a test, `tests/python_pins.rs`, fails on one anywhere else).
//! Code builds the files in with `include_str!` and reads its versions from
//! them with [`pinned_version`], at compile time.

/// The requirements file of the emulator, moto server.
pub const MOTO: &str = include_str!("../../../requirements/moto.txt");
/// Every package of `.venv/moto` at its verified version.
pub const MOTO_CONSTRAINTS: &str = include_str!("../../../requirements/moto-constraints.txt");
/// LocalStack, which `scripts/localstack.sh` installs for the compose parity test.
pub const LOCALSTACK: &str = include_str!("../../../requirements/localstack.txt");
/// `scripts/pins.py`: compares what a venv holds with requirements files
/// (`python -c PINS_SCRIPT installed REQUIREMENTS CONSTRAINTS`).
pub const PINS_SCRIPT: &str = include_str!("../../../scripts/pins.py");

/// The version `requirements` (a requirements file's text) pins `package` at,
/// in a line `package==VERSION` or `package[extras]==VERSION`. Names compare
/// as pip compares them: case and the separators `-`, `_` and `.` aside.
///
/// Panics when the file pins no such package: in a `const`, that is a
/// compile error.
pub const fn pinned_version(requirements: &'static str, package: &str) -> &'static str {
    let text = requirements.as_bytes();
    let mut start = 0;
    while start < text.len() {
        let mut end = start;
        while end < text.len() && text[end] != b'\n' {
            end += 1;
        }
        if let Some((from, to)) = version_in_line(text, start, end, package.as_bytes()) {
            let (head, _) = text.split_at(to);
            let (_, version) = head.split_at(from);
            match core::str::from_utf8(version) {
                Ok(version) => return version,
                Err(_) => panic!("a pinned version is not UTF-8"),
            }
        }
        start = end + 1;
    }
    panic!("the requirements file does not pin that package (`package==VERSION`)")
}

/// Where the version is in `text[start..end]` when that line pins `name`.
const fn version_in_line(
    text: &[u8],
    start: usize,
    end: usize,
    name: &[u8],
) -> Option<(usize, usize)> {
    let mut at = skip_spaces(text, start, end);
    let mut n = 0;
    while n < name.len() {
        if at == end || !same_name_byte(text[at], name[n]) {
            return None;
        }
        at += 1;
        n += 1;
    }
    at = skip_spaces(text, at, end);
    if at < end && text[at] == b'[' {
        while at < end && text[at] != b']' {
            at += 1;
        }
        if at == end {
            return None;
        }
        at = skip_spaces(text, at + 1, end);
    }
    if at + 2 > end || text[at] != b'=' || text[at + 1] != b'=' {
        return None;
    }
    let from = skip_spaces(text, at + 2, end);
    let mut to = from;
    while to < end && !matches!(text[to], b' ' | b'\t' | b'\r' | b';' | b'#') {
        to += 1;
    }
    if to == from { None } else { Some((from, to)) }
}

const fn skip_spaces(text: &[u8], mut at: usize, end: usize) -> usize {
    while at < end && matches!(text[at], b' ' | b'\t') {
        at += 1;
    }
    at
}

const fn same_name_byte(a: u8, b: u8) -> bool {
    a.eq_ignore_ascii_case(&b) || (is_separator(a) && is_separator(b))
}

const fn is_separator(c: u8) -> bool {
    matches!(c, b'-' | b'_' | b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A requirements file; `@@` stands for `==`, so that this file holds no
    /// pin for `tests/python_pins.rs` to find.
    fn file() -> &'static str {
        "# moto[server]@@0.0.1 in a comment\n\
         motor@@9.9.9\n\
         moto [server] @@ 5.2.1 ; python_version >= \"3.9\"  # the emulator\n\
         Python_HCL2@@8.1.4\r\n\
         localstack-core[runtime]@@4.14.0\n\
         broken@@\n"
            .replace("@@", "==")
            .leak()
    }

    #[test]
    fn reads_the_pin_of_a_package_with_extras_markers_and_comments() {
        assert_eq!(pinned_version(file(), "moto"), "5.2.1");
        assert_eq!(pinned_version(file(), "motor"), "9.9.9");
        assert_eq!(pinned_version(file(), "python-hcl2"), "8.1.4");
        assert_eq!(pinned_version(file(), "localstack_core"), "4.14.0");
    }

    #[test]
    #[should_panic(expected = "does not pin that package")]
    fn a_package_without_a_pin_is_an_error() {
        pinned_version(file(), "broken");
    }

    #[test]
    fn the_project_files_pin_their_tools() {
        assert_eq!(pinned_version(MOTO, "moto"), crate::moto::MOTO_VERSION);
        assert_eq!(
            pinned_version(MOTO_CONSTRAINTS, "moto"),
            crate::moto::MOTO_VERSION,
            "requirements/moto-constraints.txt is the freeze of the pinned moto"
        );
        assert!(!pinned_version(LOCALSTACK, "localstack-core").is_empty());
    }
}
