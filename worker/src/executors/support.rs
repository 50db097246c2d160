//! Helpers every executor uses, below all of them so no executor reaches into the
//! registry module for them.

use ferry_common::executor::ExecError;

pub(crate) use crate::cancel::cancellable;

/// The error for a task body handed to the wrong executor (a registry bug or a forged
/// message); never worth retrying.
pub(crate) fn wrong_body(expected: &str, body: &ferry_common::spec::TaskBody) -> ExecError {
    ExecError::Fatal(format!(
        "the {expected} executor cannot run a `{}` task",
        body.kind()
    ))
}
