//! The exit codes of every `onboard` command, in one place (docs/cli.md#exit-codes).
//!
//! A command returns [`Exit`] for an outcome it expected (a file with
//! errors, a stack that is not ready); an error that should exit with
//! something other than [`Exit::Failed`] is made with [`not_found`],
//! [`unavailable`] or [`invalid`], so `main` finds its code in the error
//! chain and a message can still gain context on the way up.

use std::fmt;
use std::process::ExitCode;

/// What a command's exit status means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Done; the answer is yes (a clean file, a ready stack, a completed upload).
    Ok = 0,
    /// It ran and the answer is no (a file with errors, a failed upload or
    /// invocation, a stack that is not ready), or something broke.
    Failed = 1,
    /// The input is wrong: a bad flag (clap's own usage errors exit 2 too),
    /// an unreadable file, an event that is not JSON, an invalid vendor id.
    Invalid = 2,
    /// What was asked for does not exist: an unknown vendor or upload.
    NotFound = 3,
    /// What the command needs is not there: the local stack is not up, a
    /// port is taken, the API cannot be reached.
    Unavailable = 4,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// An error that carries its exit code.
#[derive(Debug)]
struct Classified {
    exit: Exit,
    message: String,
}

impl fmt::Display for Classified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Classified {}

fn classified(exit: Exit, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Classified {
        exit,
        message: message.into(),
    })
}

/// Exit 3: the message should say where to look for what exists.
pub fn not_found(message: impl Into<String>) -> anyhow::Error {
    classified(Exit::NotFound, message)
}

/// Exit 4: the message should say how to bring up what is missing.
pub fn unavailable(message: impl Into<String>) -> anyhow::Error {
    classified(Exit::Unavailable, message)
}

/// Exit 2: the message should say what a valid input looks like.
pub fn invalid(message: impl Into<String>) -> anyhow::Error {
    classified(Exit::Invalid, message)
}

/// The exit code of a command that failed with `error`.
pub fn of_error(error: &anyhow::Error) -> Exit {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Classified>())
        .map_or(Exit::Failed, |classified| classified.exit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn context_keeps_the_exit_code() {
        let error = Err::<(), _>(not_found("no vendor VEND999"))
            .context("uploading")
            .unwrap_err();
        assert_eq!(of_error(&error), Exit::NotFound);
        assert_eq!(format!("{error:#}"), "uploading: no vendor VEND999");
        assert_eq!(of_error(&anyhow::anyhow!("broken")), Exit::Failed);
    }
}
