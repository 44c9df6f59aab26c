//! Errors a hub method returns, and how they reach the client.

use std::fmt;

/// An error from a hub method or lifecycle hook.
///
/// Two kinds, as in ASP.NET Core SignalR:
/// - [`HubError::new`] is an error raised on purpose (ASP.NET's `HubException`): its message always
///   reaches the client, as `An unexpected error occurred invoking 'X' on the server. HubException: <message>`.
/// - any other error (`?` on a `std::error::Error`) is a failure whose detail reaches the client
///   only when [`HubOptions::detailed_errors`](crate::HubOptions::detailed_errors) is on.
///
/// `HubError` does not implement `std::error::Error` itself, so that every error type converts into
/// it with `?` (the same choice `anyhow::Error` makes).
pub struct HubError {
    kind: Kind,
}

enum Kind {
    Hub(String),
    Internal { type_name: String, message: String },
}

impl HubError {
    /// An error raised on purpose: its message is sent to the client.
    pub fn new(message: impl Into<String>) -> Self {
        HubError {
            kind: Kind::Hub(message.into()),
        }
    }

    /// A failure: the client sees its detail only with detailed errors on.
    pub fn internal(type_name: impl Into<String>, message: impl Into<String>) -> Self {
        HubError {
            kind: Kind::Internal {
                type_name: type_name.into(),
                message: message.into(),
            },
        }
    }

    /// Whether this is an error raised on purpose with [`HubError::new`].
    pub fn is_hub_exception(&self) -> bool {
        matches!(self.kind, Kind::Hub(_))
    }

    /// The error's own message.
    pub fn message(&self) -> &str {
        match &self.kind {
            Kind::Hub(message) | Kind::Internal { message, .. } => message,
        }
    }

    /// `prefix`, followed by ` Type: message` when the client may see the detail: always for an
    /// error raised on purpose, otherwise only with detailed errors.
    pub(crate) fn client_text(&self, prefix: &str, detailed: bool) -> String {
        match &self.kind {
            Kind::Hub(message) => format!("{prefix} HubException: {message}"),
            Kind::Internal { type_name, message } if detailed => {
                format!("{prefix} {type_name}: {message}")
            }
            Kind::Internal { .. } => prefix.to_owned(),
        }
    }
}

impl fmt::Debug for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Hub(message) => f.debug_tuple("HubError").field(message).finish(),
            Kind::Internal { type_name, message } => f
                .debug_struct("HubError")
                .field("type", type_name)
                .field("message", message)
                .finish(),
        }
    }
}

impl fmt::Display for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Hub(message) => write!(f, "HubException: {message}"),
            Kind::Internal { type_name, message } => write!(f, "{type_name}: {message}"),
        }
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HubError {
    fn from(err: E) -> Self {
        HubError::internal(short_type_name::<E>(), err.to_string())
    }
}

/// `std::io::Error` -> `Error`: the last path segment, as .NET shows `GetType().Name`.
pub(crate) fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        let hub = HubError::new("nope");
        assert_eq!(hub.client_text("P.", false), "P. HubException: nope");
        let io: HubError = std::io::Error::other("disk").into();
        assert_eq!(io.client_text("P.", false), "P.");
        assert_eq!(io.client_text("P.", true), "P. Error: disk");
        let parse: HubError = "x".parse::<u32>().unwrap_err().into();
        assert_eq!(
            parse.client_text("P.", true),
            "P. ParseIntError: invalid digit found in string"
        );
    }
}
