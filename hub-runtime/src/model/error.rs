//! Errors a hub method returns, and how they reach the client.

use std::any::Any;
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
#[derive(Clone)]
pub struct HubError {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Hub(String),
    Internal {
        type_name: String,
        message: String,
    },
    /// An invocation refused before it ran (by a filter): the text is the client's whole error.
    Refused(String),
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

    /// An invocation refused before it ran: `text` is the whole error the client sees (a
    /// [filter](crate::HubFilter) refusing a call, as ASP.NET's
    /// `Failed to invoke 'X' because user is unauthorized`).
    pub fn refused(text: impl Into<String>) -> Self {
        HubError {
            kind: Kind::Refused(text.into()),
        }
    }

    /// Whether this is an error raised on purpose with [`HubError::new`].
    pub fn is_hub_exception(&self) -> bool {
        matches!(self.kind, Kind::Hub(_))
    }

    /// The error's own message.
    pub fn message(&self) -> &str {
        match &self.kind {
            Kind::Hub(message) | Kind::Internal { message, .. } | Kind::Refused(message) => message,
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
            Kind::Refused(text) => text.clone(),
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
            Kind::Refused(text) => f.debug_tuple("HubError::Refused").field(text).finish(),
        }
    }
}

impl fmt::Display for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Hub(message) => write!(f, "HubException: {message}"),
            Kind::Internal { type_name, message } => write!(f, "{type_name}: {message}"),
            Kind::Refused(text) => f.write_str(text),
        }
    }
}

/// Any error converts with `?`; its detail reaches the client only with detailed errors on. A
/// [`ClientResultError::Client`] (the client's own error) reaches the hub method's caller as a
/// `HubException` with the client's text, as in ASP.NET Core; the other client-result failures
/// are unexpected errors (`TimeoutException`, `IOException`).
impl<E: std::error::Error + Send + Sync + 'static> From<E> for HubError {
    fn from(err: E) -> Self {
        if let Some(LifetimeError::Refused(text)) = (&err as &dyn Any).downcast_ref() {
            return HubError::new(text.clone());
        }
        if let Some(error) = (&err as &dyn Any).downcast_ref::<ClientResultError>() {
            return match error {
                ClientResultError::Client(text) => HubError::new(text.clone()),
                ClientResultError::Timeout => {
                    HubError::internal("TimeoutException", error.to_string())
                }
                other => HubError::internal("IOException", other.to_string()),
            };
        }
        HubError::internal(short_type_name::<E>(), err.to_string())
    }
}

/// The error of a hub method or lifecycle hook: [`HubError`], any `std::error::Error + Send +
/// Sync + 'static` (and any other type that converts `Into<HubError>`), or a message
/// (`String`, `&'static str`) that the client receives as a `HubException`, as if returned as
/// `HubError::new(message)`.
///
/// `M` is [`Converted`] or [`Message`]: the two implementations differ in it, so they do not
/// overlap (a blanket `impl<E: Error>` beside `impl for String` would, since a future std may make
/// `String` an `Error`). Generated code leaves `M` to inference.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error of a hub method",
    label = "not an error a hub method can return",
    note = "return `HubError`, a message (`String`, `&'static str`), or a type that implements `std::error::Error + Send + Sync + 'static`"
)]
pub trait IntoHubError<M> {
    /// The error the client is told about.
    fn into_hub_error(self) -> HubError;
}

/// Marks the [`IntoHubError`] of the types that convert `Into<HubError>`.
pub enum Converted {}

/// Marks the [`IntoHubError`] of messages: `String` and `&'static str`.
pub enum Message {}

impl<E: Into<HubError>> IntoHubError<Converted> for E {
    fn into_hub_error(self) -> HubError {
        self.into()
    }
}

impl IntoHubError<Message> for String {
    fn into_hub_error(self) -> HubError {
        HubError::new(self)
    }
}

impl IntoHubError<Message> for &'static str {
    fn into_hub_error(self) -> HubError {
        HubError::new(self)
    }
}

/// `std::io::Error` -> `Error`: the last path segment, as .NET shows `GetType().Name`.
fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// Why a client result could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientResultError {
    /// No connection with that id is connected.
    NotConnected,
    /// The connection ended before it answered.
    Disconnected,
    /// No answer within [`client_result_timeout`](crate::HubOptions::client_result_timeout).
    Timeout,
    /// The client answered with an error (its handler threw, or it has no handler:
    /// `Client didn't provide a result.`).
    Client(String),
    /// The client's result does not decode into the expected type.
    InvalidResult(String),
    /// The arguments could not be serialized.
    InvalidArguments(String),
    /// The lifetime manager could not reach the connection's node.
    Unavailable(String),
}

impl fmt::Display for ClientResultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientResultError::NotConnected => f.write_str("The connection does not exist."),
            ClientResultError::Disconnected => {
                f.write_str("The connection ended before the client returned a result.")
            }
            ClientResultError::Timeout => {
                f.write_str("The client did not return a result in time.")
            }
            ClientResultError::Client(error) => f.write_str(error),
            ClientResultError::InvalidResult(detail) => {
                write!(f, "The client's result has the wrong type: {detail}")
            }
            ClientResultError::InvalidArguments(detail) => {
                write!(f, "The arguments could not be serialized: {detail}")
            }
            ClientResultError::Unavailable(detail) => {
                write!(f, "The connection's server could not be reached: {detail}")
            }
        }
    }
}

impl std::error::Error for ClientResultError {}

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
    /// A limit of the hub refuses the operation (a group name too long, a connection in as
    /// many groups as allowed): the text says which. It reaches the client as a HubException.
    Refused(String),
}

impl fmt::Display for LifetimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LifetimeError::Unavailable(detail) => {
                write!(f, "the lifetime manager is unavailable: {detail}")
            }
            LifetimeError::Timeout => f.write_str("the lifetime manager's operation timed out"),
            LifetimeError::Refused(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for LifetimeError {}

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
        let refused = HubError::refused("Failed to invoke 'X' because user is unauthorized");
        assert_eq!(
            refused.client_text("P.", true),
            "Failed to invoke 'X' because user is unauthorized"
        );
    }

    #[test]
    fn a_message_is_a_hub_exception_and_an_error_a_failure() {
        let text = String::from("no").into_hub_error();
        assert_eq!(text.client_text("P.", false), "P. HubException: no");
        assert_eq!(
            "no".into_hub_error().client_text("P.", false),
            "P. HubException: no"
        );
        let io = std::io::Error::other("disk").into_hub_error();
        assert_eq!(io.client_text("P.", false), "P.");
        let hub = HubError::new("as is").into_hub_error();
        assert_eq!(hub.client_text("P.", false), "P. HubException: as is");
    }

    #[test]
    fn client_result_errors_convert_as_aspnet_reports_them() {
        let client: HubError = ClientResultError::Client("no way".into()).into();
        assert!(client.is_hub_exception());
        assert_eq!(client.client_text("P.", false), "P. HubException: no way");
        let timeout: HubError = ClientResultError::Timeout.into();
        assert_eq!(
            timeout.client_text("P.", true),
            "P. TimeoutException: The client did not return a result in time."
        );
        let gone: HubError = ClientResultError::Disconnected.into();
        assert_eq!(
            gone.client_text("P.", true),
            "P. IOException: The connection ended before the client returned a result."
        );
    }
}
