//! `onboard cost`'s output before the model left the CLI, byte for byte:
//! every fixture in tests/fixtures/manifest.txt is what the command printed
//! for its flags, and the renderer must print the same.

mod common;

use onboarding_cost::render;

#[test]
fn the_renderer_prints_every_fixture_byte_for_byte() {
    let fixtures = common::rendered_fixtures();
    assert!(fixtures.len() >= 40, "{} fixtures", fixtures.len());
    for (file, command) in fixtures {
        let path = common::fixtures_dir().join(&file);
        let printed = render(&common::report(&command));
        if common::blessing() {
            std::fs::write(&path, &printed).unwrap();
            continue;
        }
        let expected = common::read(&path);
        assert!(
            printed == expected,
            "`{command}` no longer prints tests/fixtures/{file}:\n{}",
            first_difference(&expected, &printed)
        );
    }
}

/// The first line that differs, from both sides.
fn first_difference(expected: &str, printed: &str) -> String {
    let mut expected_lines = expected.lines();
    let mut printed_lines = printed.lines();
    for number in 1.. {
        match (expected_lines.next(), printed_lines.next()) {
            (None, None) => break,
            (want, got) if want == got => continue,
            (want, got) => return format!("line {number}\nwas: {want:?}\nnow: {got:?}"),
        }
    }
    "the same lines, different line endings".into()
}
