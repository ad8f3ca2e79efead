//! `onboard cost` prints, byte for byte, what it printed before the model
//! moved to `onboarding-cost`: every command in
//! crates/onboarding-cost/tests/fixtures/manifest.txt, help included, run
//! as the built binary.

use std::path::Path;
use std::process::Command;

#[test]
fn cost_command_output_is_byte_identical_to_the_fixtures() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../onboarding-cost/tests/fixtures");
    let manifest = std::fs::read_to_string(fixtures.join("manifest.txt")).expect("manifest.txt");
    let mut checked = 0;
    for line in manifest.lines().filter(|line| !line.starts_with('#')) {
        let Some((file, command)) = line.split_once(' ') else {
            continue;
        };
        let flags = command
            .trim()
            .strip_prefix("onboard cost")
            .expect("an onboard cost command")
            .split_whitespace();
        let output = Command::new(env!("CARGO_BIN_EXE_onboard"))
            .arg("cost")
            .args(flags)
            .output()
            .expect("onboard runs");
        assert!(output.status.success(), "`{command}`: {output:?}");
        let expected = std::fs::read(fixtures.join(file)).expect("the fixture");
        assert!(
            output.stdout == expected,
            "`{command}` no longer prints {file}:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
        checked += 1;
    }
    assert!(checked >= 45, "{checked} commands checked");
}
