//! Errors every layer may return and the front ends turn into exit codes. They live at the
//! bottom of the module graph so that no lower module has to import the CLI to use them.

/// An error the user can fix by changing the command (an unknown card or status, an empty
/// title): exit code 2, printed as a plain sentence.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    pub fn new(message: impl Into<String>) -> UsageError {
        UsageError(message.into())
    }
}
