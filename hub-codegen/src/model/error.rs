//! What cannot be mapped faithfully.

use std::fmt;

/// A schema that cannot be mapped faithfully, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where: `Everything.shape`, `ChatHub.SendMessage(user)`.
    pub location: String,
    /// What is wrong, and what to do.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for Error {}

/// An [`Error`] at `location`.
pub(super) fn error(location: &str, message: impl Into<String>) -> Error {
    Error {
        location: location.to_owned(),
        message: message.into(),
    }
}
