//! The connections of one hub on this node.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::DashMap;

use super::handle::ConnectionHandle;
use super::message::ProtocolSet;
use crate::protocol::Protocol;

/// The connections of one hub on this node (ASP.NET's `HubConnectionStore`): every lifetime
/// manager delivers to local connections through it, and the runtime's heartbeat and shutdown
/// walk it.
#[derive(Default)]
pub struct LocalConnections {
    connections: DashMap<Arc<str>, Arc<ConnectionHandle>>,
    /// Connections per protocol: a broadcast encodes only for protocols someone speaks.
    protocol_counts: [AtomicUsize; 2],
}

impl std::fmt::Debug for LocalConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalConnections")
            .field("len", &self.len())
            .finish()
    }
}

impl LocalConnections {
    fn protocol_count(&self, protocol: Protocol) -> &AtomicUsize {
        match protocol {
            Protocol::Json => &self.protocol_counts[0],
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => &self.protocol_counts[1],
        }
    }

    pub(crate) fn add(&self, handle: &Arc<ConnectionHandle>) {
        self.protocol_count(handle.protocol())
            .fetch_add(1, Ordering::AcqRel);
        self.connections
            .insert(handle.id().shared().clone(), handle.clone());
    }

    pub(crate) fn remove(&self, handle: &ConnectionHandle) {
        if self.connections.remove(handle.id().as_str()).is_some() {
            self.protocol_count(handle.protocol())
                .fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// The connection with this id, if it is connected here.
    pub fn get(&self, id: &str) -> Option<Arc<ConnectionHandle>> {
        self.connections.get(id).map(|entry| entry.value().clone())
    }

    /// Calls `f` with the connection with this id, if it is connected here (no reference
    /// count is taken).
    pub fn with<R>(&self, id: &str, f: impl FnOnce(&ConnectionHandle) -> R) -> Option<R> {
        self.connections.get(id).map(|entry| f(entry.value()))
    }

    /// Calls `f` with every connection.
    pub fn for_each(&self, mut f: impl FnMut(&ConnectionHandle)) {
        for entry in &self.connections {
            f(entry.value());
        }
    }

    /// How many connections there are.
    pub fn len(&self) -> usize {
        self.connections.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.connections.is_empty()
    }

    /// The protocols the connections speak.
    pub fn protocols(&self) -> ProtocolSet {
        Protocol::ALL
            .iter()
            .copied()
            .filter(|&protocol| self.protocol_count(protocol).load(Ordering::Acquire) > 0)
            .collect()
    }
}
