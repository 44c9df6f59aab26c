//! Why a lifetime manager's operation failed.

use std::fmt;

/// Why a lifetime manager could not send, change a group, or answer a presence query. The
/// in-memory manager never fails; a backplane can (its server is unreachable, an
/// acknowledgement did not come in time).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LifetimeError {
    /// The backplane could not be reached.
    Unavailable(String),
    /// Another node did not acknowledge in time.
    Timeout,
}

impl fmt::Display for LifetimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LifetimeError::Unavailable(detail) => {
                write!(f, "the lifetime manager is unavailable: {detail}")
            }
            LifetimeError::Timeout => f.write_str("the lifetime manager's operation timed out"),
        }
    }
}

impl std::error::Error for LifetimeError {}
