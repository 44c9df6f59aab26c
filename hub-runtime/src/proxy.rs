//! The runtime side of the proxies `#[client]` generates.
//!
//! A proxy is a [`ProxyTarget`] (whom to send to) plus typed methods generated from the client
//! trait. Multi-target proxies (`all()`, `group()`, `user()`...) are [`Many`]; single-target proxies
//! (`caller()`, `client(id)`) are [`Single`], the only ones that may await client results.

use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use crate::connection::{ClientReply, ConnectionHandle, EncodedMessage, Frame};
use crate::dispatch::BoxFuture;
use crate::lifetime::{Lifetime, Target};
use crate::manifest::{ClientMethod, ManifestBuilder};

/// Marks a proxy that may reach several connections: fire-and-forget calls only.
#[derive(Debug, Clone, Copy)]
pub enum Many {}

/// Marks a proxy that reaches exactly one connection.
#[derive(Debug, Clone, Copy)]
pub enum Single {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Many {}
    impl Sealed for super::Single {}
}

/// [`Many`] or [`Single`].
pub trait TargetKind: sealed::Sealed + Send + Sync + 'static {}
impl TargetKind for Many {}
impl TargetKind for Single {}

/// The proxy family `#[client]` generates for a client trait: `ChatClient` gives
/// `ChatClientProxy<Many>` and `ChatClientProxy<Single>`.
pub trait ClientProxy: Send + Sync + 'static {
    /// The proxy for calls to any number of connections.
    type Many: FromTarget;
    /// The proxy for calls to one connection.
    type Single: FromTarget;

    /// The client methods' part of the manifest.
    #[doc(hidden)]
    fn __describe(builder: &mut ManifestBuilder) -> Vec<ClientMethod>;
}

/// Builds a proxy for a target; implemented by the generated proxies.
#[doc(hidden)]
pub trait FromTarget {
    fn from_target(target: ProxyTarget) -> Self;
}

/// Whom a proxy sends to, and through which hub.
#[doc(hidden)]
#[derive(Clone)]
pub struct ProxyTarget {
    lifetime: Arc<Lifetime>,
    target: Target,
}

impl ProxyTarget {
    pub(crate) fn new(lifetime: Arc<Lifetime>, target: Target) -> Self {
        ProxyTarget { lifetime, target }
    }

    /// Encodes an Invocation of client method `method` with `arguments` (the positional
    /// arguments) once per protocol the recipients speak. Empty when an argument fails to
    /// serialize (logged).
    pub fn encode(
        &self,
        method: &'static str,
        arguments: &[&dyn erased_serde::Serialize],
    ) -> Encoded {
        let mut message = EncodedMessage::default();
        for protocol in self.lifetime.protocols_for(&self.target) {
            match protocol.invocation(None, method, arguments) {
                Ok(bytes) => message.set(protocol, Frame::encoded(protocol, bytes)),
                Err(err) => {
                    tracing::error!(method, %err, "client method arguments failed to serialize; nothing was sent");
                    return Encoded(EncodedMessage::default());
                }
            }
        }
        Encoded(message)
    }

    /// Queues an encoded message for every connection of the target.
    pub async fn deliver(&self, message: Encoded) {
        if !message.0.is_empty() {
            self.lifetime.deliver(&self.target, &message.0);
        }
    }
}

/// A message encoded for every protocol its recipients speak.
#[doc(hidden)]
pub struct Encoded(EncodedMessage);

/// A typed proxy of `K` ([`Many`] or [`Single`]), used by generated code.
#[doc(hidden)]
pub struct TypedTarget<K> {
    pub target: ProxyTarget,
    kind: PhantomData<fn() -> K>,
}

impl<K> TypedTarget<K> {
    pub fn new(target: ProxyTarget) -> Self {
        TypedTarget {
            target,
            kind: PhantomData,
        }
    }
}

impl<K> Clone for TypedTarget<K> {
    fn clone(&self) -> Self {
        TypedTarget::new(self.target.clone())
    }
}

/// The client proxy of a hub that calls no client method (`#[hub]` without `client = ...`).
pub struct NoClient<K = Many> {
    _target: TypedTarget<K>,
}

impl<K> FromTarget for NoClient<K> {
    fn from_target(target: ProxyTarget) -> Self {
        NoClient {
            _target: TypedTarget::new(target),
        }
    }
}

impl ClientProxy for NoClient {
    type Many = NoClient<Many>;
    type Single = NoClient<Single>;

    fn __describe(_: &mut ManifestBuilder) -> Vec<ClientMethod> {
        Vec::new()
    }
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
}

impl std::fmt::Display for ClientResultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
        }
    }
}

/// A client's error reaches the hub method's own caller as a `HubException` with the client's
/// text, as in ASP.NET Core; the other failures are unexpected errors.
///
/// (`ClientResultError` does not implement `std::error::Error`, so that this conversion, not
/// the generic one, applies with `?`.)
impl From<ClientResultError> for crate::HubError {
    fn from(error: ClientResultError) -> Self {
        match error {
            ClientResultError::Client(text) => crate::HubError::new(text),
            ClientResultError::Timeout => {
                crate::HubError::internal("TimeoutException", error.to_string())
            }
            other => crate::HubError::internal("IOException", other.to_string()),
        }
    }
}

impl ProxyTarget {
    /// Calls client method `method` on the target connection and waits for its result.
    ///
    /// The future owns everything it needs (it borrows neither the proxy nor the arguments).
    pub fn invoke<T: DeserializeOwned + Send + 'static>(
        &self,
        method: &'static str,
        arguments: &[&dyn erased_serde::Serialize],
    ) -> BoxFuture<Result<T, ClientResultError>> {
        let result = self.start_invoke(method, arguments);
        Box::pin(async move {
            let (handle, invocation_id, receiver, timeout) = result?;
            let reply = match tokio::time::timeout(timeout, receiver).await {
                Err(_) => {
                    handle.forget_result(&invocation_id);
                    return Err(ClientResultError::Timeout);
                }
                Ok(Err(_)) => return Err(ClientResultError::Disconnected),
                Ok(Ok(reply)) => reply,
            };
            match reply {
                Ok(value) => value.decode().map_err(ClientResultError::InvalidResult),
                Err(error) => Err(ClientResultError::Client(error)),
            }
        })
    }

    #[allow(clippy::type_complexity)]
    fn start_invoke(
        &self,
        method: &'static str,
        arguments: &[&dyn erased_serde::Serialize],
    ) -> Result<
        (
            Arc<ConnectionHandle>,
            Box<str>,
            oneshot::Receiver<ClientReply>,
            std::time::Duration,
        ),
        ClientResultError,
    > {
        let Target::Connection(id) = &self.target else {
            // Single-target proxies are only built for one connection.
            return Err(ClientResultError::NotConnected);
        };
        let handle = self
            .lifetime
            .connection(id)
            .ok_or(ClientResultError::NotConnected)?;
        let invocation_id: Box<str> = self.lifetime.next_invocation_id().into();
        let protocol = handle.protocol;
        let bytes = protocol
            .invocation(Some(&invocation_id), method, arguments)
            .map_err(ClientResultError::InvalidArguments)?;
        let receiver = handle
            .register_result(&invocation_id)
            .ok_or(ClientResultError::Disconnected)?;
        handle.push(Frame::encoded(protocol, bytes));
        Ok((
            handle,
            invocation_id,
            receiver,
            self.lifetime.client_result_timeout(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::RequestInfo;
    use crate::protocol::Protocol;

    fn connect(lifetime: &Arc<Lifetime>, protocol: Protocol) -> Arc<ConnectionHandle> {
        let handle = ConnectionHandle::new(
            crate::connection::ConnectionId::random(),
            None,
            RequestInfo::default(),
            lifetime.clone(),
            protocol,
            None,
            8,
        );
        lifetime.add(&handle);
        handle
    }

    fn payload(frame: &Frame) -> *const u8 {
        frame.as_bytes().as_ptr()
    }

    #[test]
    fn a_broadcast_is_encoded_once_per_protocol_and_shared() {
        let lifetime = Arc::new(Lifetime::default());
        let json: Vec<_> = (0..3).map(|_| connect(&lifetime, Protocol::Json)).collect();
        let all = ProxyTarget::new(lifetime.clone(), Target::All);

        // Only JSON clients: one encoding.
        let encoded = all.encode("Note", &[&"hi"]);
        assert!(encoded.0.get(Protocol::Json).is_some());
        #[cfg(feature = "messagepack")]
        assert!(encoded.0.get(Protocol::MessagePack).is_none());

        #[cfg(feature = "messagepack")]
        {
            let packed: Vec<_> = (0..2)
                .map(|_| connect(&lifetime, Protocol::MessagePack))
                .collect();
            let encoded = all.encode("Note", &[&"hi"]);
            lifetime.deliver(&Target::All, &encoded.0);
            let json_frames: Vec<Frame> = json
                .iter()
                .map(|handle| handle.outbound.try_pop().unwrap())
                .collect();
            let packed_frames: Vec<Frame> = packed
                .iter()
                .map(|handle| handle.outbound.try_pop().unwrap())
                .collect();
            // Every recipient of a protocol holds the very same bytes: encoded once, shared.
            assert!(
                json_frames
                    .iter()
                    .all(|f| payload(f) == payload(&json_frames[0]))
            );
            assert!(
                packed_frames
                    .iter()
                    .all(|f| payload(f) == payload(&packed_frames[0]))
            );
            assert!(matches!(json_frames[0], Frame::Text(_)));
            assert!(matches!(packed_frames[0], Frame::Binary(_)));
            assert_eq!(
                json_frames[0].as_bytes(),
                b"{\"type\":1,\"target\":\"Note\",\"arguments\":[\"hi\"]}\x1e"
            );
        }

        // One connection: only its protocol.
        let first = &json[0];
        let one = ProxyTarget::new(
            lifetime.clone(),
            Target::Connection(first.id.as_str().into()),
        );
        let encoded = one.encode("Note", &[&"hi"]);
        assert!(encoded.0.get(Protocol::Json).is_some());
        #[cfg(feature = "messagepack")]
        assert!(encoded.0.get(Protocol::MessagePack).is_none());
    }
}
