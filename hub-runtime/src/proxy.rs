//! The runtime side of the proxies `#[client]` generates.
//!
//! A proxy is a [`ProxyTarget`] (whom to send to) plus typed methods generated from the client
//! trait. Multi-target proxies (`all()`, `group()`, `user()`...) are [`Many`]; single-target proxies
//! (`caller()`, `client(id)`) are [`Single`], the only ones that may await client results.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::connection::Frame;
use crate::lifetime::{Lifetime, Target};
use crate::protocol::JsonEncoder;

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
    /// arguments), once for every recipient. `None` when an argument fails to serialize (logged).
    pub fn encode(
        &self,
        method: &'static str,
        arguments: &[&dyn erased_serde::Serialize],
    ) -> Option<Frame> {
        match JsonEncoder::invocation(method, arguments).map(String::from_utf8) {
            Ok(Ok(text)) => Some(Frame::from(text)),
            Ok(Err(_)) => unreachable!("serde_json writes UTF-8"),
            Err(err) => {
                tracing::error!(method, %err, "client method arguments failed to serialize; nothing was sent");
                None
            }
        }
    }

    /// Queues an encoded message for every connection of the target.
    pub async fn deliver(&self, frame: Option<Frame>) {
        if let Some(frame) = frame {
            self.lifetime.deliver(&self.target, &frame);
        }
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
}
