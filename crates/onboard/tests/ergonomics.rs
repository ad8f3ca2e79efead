//! What the CLI offers besides its commands: completions, man pages, exit
//! codes (docs/cli.md#exit-codes) and errors that say what to do next.

use std::process::{Command, Output};

fn onboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onboard"))
        .args(args)
        .env("ONBOARD_STACK_ENV", "/nonexistent/stack.env")
        .env_remove("DATABASE_URL")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("PORTAL_URL")
        .env_remove("ONBOARD_API_URL")
        .output()
        .expect("run onboard")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn bash_completion_knows_the_subcommands() {
    let out = onboard(&["completions", "bash"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let script = text(&out.stdout);
    assert!(script.contains("complete -F _onboard"), "{script}");
    for word in ["invoke", "rerun", "upload", "postgres-start", "--event"] {
        assert!(script.contains(word), "no {word} in the bash completion");
    }
}

#[test]
fn the_man_page_renders_and_one_page_per_subcommand_is_written() {
    let out = onboard(&["man"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH onboard"),
        "{page}"
    );
    assert!(page.contains("invoke"), "{page}");

    let dir = tempfile::tempdir().unwrap();
    let out = onboard(&["man", "--out", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for page in ["onboard.1", "onboard-invoke.1", "onboard-dev-up.1"] {
        let roff = std::fs::read_to_string(dir.path().join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(roff.contains(".TH"), "{page} is not a man page: {roff}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let out = onboard(&["invoke", "no-such-function", "--event", "-"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("csv-parser"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn commands_that_need_the_stack_say_to_start_it_and_exit_4() {
    for args in [&["outbox"][..], &["dlq", "list"], &["admin", "monitor"]] {
        let out = onboard(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {stderr}");
        assert!(stderr.contains("onboard dev up"), "{args:?}: {stderr}");
    }
}

#[test]
fn dev_up_on_a_taken_portal_port_says_so_and_exits_4() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_onboard"))
        .args(["dev", "up"])
        .env("ONBOARD_STACK_ENV", dir.path().join("stack.env"))
        .env("ONBOARD_PG_DIR", dir.path().join("postgres"))
        .env("PORTAL_PORT", &port)
        .env_remove("PORTAL_BIND")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("port {port} (PORTAL_PORT)")) && stderr.contains("free port"),
        "{stderr}"
    );
    // Nothing was started on the way.
    assert!(!dir.path().join("postgres").exists());
}
