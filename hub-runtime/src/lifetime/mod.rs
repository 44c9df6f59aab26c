//! Who is connected, in which groups, as which user; and delivery of encoded messages to them.
//!
//! [`HubLifetimeManager`] is the seam: the in-memory manager is the default, and a backplane
//! implements the same trait. Each connection of this node is a [`ConnectionHandle`] in the
//! hub's [`LocalConnections`].

mod caller;
mod future;
mod handle;
mod hub;
mod local;
mod manager;
mod memory;
mod message;
mod queue;
#[cfg(feature = "redis")]
mod redis;
mod target;

#[cfg(feature = "redis")]
pub use self::redis::{RedisBackplane, RedisError, RedisLifetimeManager, RedisOptions};
pub use crate::model::LifetimeError;
pub use caller::CallContext;
pub use future::LifetimeFuture;
pub use handle::{ClientReply, CloseReason, ConnectionHandle};
pub use local::LocalConnections;
pub use manager::HubLifetimeManager;
pub use memory::InMemoryLifetimeManager;
pub use message::{ProtocolSet, SerializedMessage};
pub use target::Target;

pub(crate) use hub::{HubLifetime, HubLimits};
pub(crate) use message::frame;
pub(crate) use queue::OutboundQueue;
