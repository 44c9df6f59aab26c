//! The runtime side of the proxies `#[client]` generates.
//!
//! A proxy is a [`ProxyTarget`] (whom to send to) plus typed methods generated from the client
//! trait. Multi-target proxies (`all()`, `group()`, `user()`...) are [`Many`]; single-target proxies
//! (`caller()`, `client(id)`) are [`Single`], the only ones that may await client results.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;

use crate::dispatch::BoxFuture;
use crate::lifetime::{
    HubLifetime, LifetimeError, LifetimeFuture, SerializedMessage, Target, frame,
};
use crate::manifest::{ClientMethod, ManifestBuilder};
use crate::model::ClientResultError;

/// Marks a proxy that may reach several connections: fire-and-forget calls only.
#[derive(Debug, Clone, Copy)]
pub enum Many {}

/// Marks a proxy that reaches exactly one connection.
#[derive(Debug, Clone, Copy)]
pub enum Single {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::proxy::Many {}
    impl Sealed for crate::proxy::Single {}
}

/// [`Many`] or [`Single`].
pub trait TargetKind: sealed::Sealed + Send + Sync + 'static {}
impl TargetKind for Many {}
impl TargetKind for Single {}

/// Implemented by the proxies of one connection (`ChatClientProxy<Single>`): the client-result
/// methods `#[client]` generates exist only where it holds, so calling one on a proxy of many
/// connections says why.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "client results need a single client: `caller()`, `client(id)`",
    label = "this proxy may reach any number of clients",
    note = "only a proxy of one connection can wait for a client's result"
)]
pub trait SingleTarget {}

/// Implemented by no type. `#[client]` implements its trait for [`NoClient`] under this bound, so
/// that a client method called through a hub without `client = ...` is refused with a message
/// that says what to add, rather than "no method found".
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this hub declares no client trait: add `client = YourClientTrait` to its `#[hub(...)]`",
    label = "the proxies of a hub without `client = ...` have no client methods"
)]
pub trait ClientDeclared {}

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
    lifetime: Arc<HubLifetime>,
    target: Target,
}

/// A fire-and-forget call to clients, already sent: this node's recipients have it queued
/// when the proxy method returns. Await it to know that it is on its way to every other node
/// (with a backplane; at once in memory); a failure to reach the backplane is logged, or
/// returned by [`checked`](Self::checked).
#[must_use = "the call went to this node's clients; await it so that other nodes are known to have it too"]
pub struct Delivery(Option<LifetimeFuture<Result<(), LifetimeError>>>);

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Delivery")
    }
}

impl Delivery {
    /// Waits until every node took the call, and says whether the backplane could be reached
    /// (awaiting the `Delivery` itself logs a failure instead).
    pub async fn checked(mut self) -> Result<(), LifetimeError> {
        match self.0.take() {
            Some(sending) => sending.await,
            None => Ok(()),
        }
    }
}

impl Future for Delivery {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(sending) = &mut self.0 else {
            return Poll::Ready(());
        };
        let result = std::task::ready!(Pin::new(sending).poll(cx));
        self.0 = None;
        if let Err(error) = result {
            tracing::warn!(%error, "a message did not reach every server");
        }
        Poll::Ready(())
    }
}

impl ProxyTarget {
    pub(crate) fn new(lifetime: Arc<HubLifetime>, target: Target) -> Self {
        ProxyTarget { lifetime, target }
    }

    /// The Invocation of client method `method` with `arguments` (the positional arguments),
    /// encoded once per protocol the lifetime manager asks for; `Err` when an argument fails to
    /// serialize.
    fn encode(
        &self,
        invocation_id: Option<&str>,
        method: &'static str,
        arguments: &[&dyn erased_serde::Serialize],
    ) -> Result<SerializedMessage, String> {
        let mut message = SerializedMessage::default();
        for protocol in self.lifetime.manager().protocols(&self.target).iter() {
            let bytes = protocol.invocation(invocation_id, method, arguments)?;
            message.set(protocol, frame(protocol, bytes));
        }
        Ok(message)
    }

    /// Sends client method `method` with `arguments` (the positional arguments) to every
    /// connection of the target, encoded once per protocol; nothing when an argument fails to
    /// serialize (logged).
    pub fn send(
        &self,
        method: &'static str,
        arguments: &[&dyn erased_serde::Serialize],
    ) -> Delivery {
        match self.encode(None, method, arguments) {
            Ok(message) if message.is_empty() => Delivery(None),
            Ok(message) => Delivery(Some(self.lifetime.manager().send(&self.target, &message))),
            Err(err) => {
                tracing::error!(method, %err, "client method arguments failed to serialize; nothing was sent");
                Delivery(None)
            }
        }
    }

    /// Calls client method `method` on the target connection and waits for its result.
    ///
    /// The future owns everything it needs (it borrows neither the proxy nor the arguments).
    pub fn invoke<T: DeserializeOwned + Send + 'static>(
        &self,
        method: &'static str,
        arguments: &[&dyn erased_serde::Serialize],
    ) -> BoxFuture<Result<T, ClientResultError>> {
        let Target::Connection(connection_id) = &self.target else {
            // Single-target proxies are only built for one connection.
            return Box::pin(async { Err(ClientResultError::NotConnected) });
        };
        let invocation_id = self.lifetime.next_invocation_id();
        let message = match self.encode(Some(&invocation_id), method, arguments) {
            Ok(message) => message,
            Err(err) => return Box::pin(async { Err(ClientResultError::InvalidArguments(err)) }),
        };
        let reply = self.lifetime.manager().invoke_connection(
            connection_id,
            &invocation_id,
            &message,
            self.lifetime.client_result_timeout(),
        );
        Box::pin(async move {
            let value = reply.await?;
            value.decode().map_err(ClientResultError::InvalidResult)
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{ConnectionId, Frame, RequestInfo, TransportType};
    use crate::lifetime::ConnectionHandle;
    use crate::protocol::Protocol;

    async fn connect(lifetime: &Arc<HubLifetime>, protocol: Protocol) -> Arc<ConnectionHandle> {
        let handle = ConnectionHandle::new(
            ConnectionId::random(),
            None,
            RequestInfo::default(),
            protocol,
            TransportType::WebSockets,
            1 << 20,
        );
        lifetime.add(&handle).await;
        handle
    }

    fn payload(frame: &Frame) -> *const u8 {
        frame.as_bytes().as_ptr()
    }

    #[tokio::test]
    async fn a_broadcast_is_encoded_once_per_protocol_and_shared() {
        let lifetime = Arc::new(HubLifetime::default());
        let mut json = Vec::new();
        for _ in 0..3 {
            json.push(connect(&lifetime, Protocol::Json).await);
        }
        let all = ProxyTarget::new(lifetime.clone(), Target::All);

        // Only JSON clients: one encoding.
        let encoded = all.encode(None, "Note", &[&"hi"]).unwrap();
        assert!(encoded.get(Protocol::Json).is_some());
        #[cfg(feature = "messagepack")]
        assert!(encoded.get(Protocol::MessagePack).is_none());

        #[cfg(feature = "messagepack")]
        {
            let mut packed = Vec::new();
            for _ in 0..2 {
                packed.push(connect(&lifetime, Protocol::MessagePack).await);
            }
            all.send("Note", &[&"hi"]).await;
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
            assert!(json_frames[0].is_text());
            assert!(!packed_frames[0].is_text());
            assert_eq!(
                json_frames[0].as_bytes(),
                b"{\"type\":1,\"target\":\"Note\",\"arguments\":[\"hi\"]}\x1e"
            );
        }

        // One connection: only its protocol.
        let first = &json[0];
        let one = ProxyTarget::new(
            lifetime.clone(),
            Target::Connection(first.id().as_str().into()),
        );
        let encoded = one.encode(None, "Note", &[&"hi"]).unwrap();
        assert!(encoded.get(Protocol::Json).is_some());
        #[cfg(feature = "messagepack")]
        assert!(encoded.get(Protocol::MessagePack).is_none());
    }

    /// The call is sent when the proxy method returns, awaited or not.
    #[tokio::test]
    async fn a_call_that_is_never_awaited_is_sent_all_the_same() {
        let lifetime = Arc::new(HubLifetime::default());
        let handle = connect(&lifetime, Protocol::Json).await;
        let all = ProxyTarget::new(lifetime.clone(), Target::All);
        let delivery = all.send("Note", &[&"unawaited"]);
        drop(delivery);
        let frame = handle.outbound.try_pop().expect("queued without an await");
        assert_eq!(
            frame.as_bytes(),
            b"{\"type\":1,\"target\":\"Note\",\"arguments\":[\"unawaited\"]}\x1e"
        );
    }
}
