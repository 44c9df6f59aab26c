//! The connections of one hub on this node.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

use super::handle::ConnectionHandle;
use super::message::ProtocolSet;
use crate::protocol::Protocol;

/// How many shards the connections are spread over (a power of two): connects and disconnects
/// on different workers rarely wait for each other.
const SHARDS: usize = 32;

/// How many connections a walk reads ahead of the one it hands on. A delivery locks the
/// connection's queue, and a locked instruction waits for every load before it: read one at a
/// time, each connection's memory is fetched only after the previous delivery is done. Read
/// ahead in groups, the fetches overlap.
const AHEAD: usize = 16;

struct Connected {
    id: Arc<str>,
    handle: Arc<ConnectionHandle>,
}

/// One shard, alone on its cache lines so that shards locked by different workers do not
/// share one.
#[derive(Default)]
#[repr(align(128))]
struct Shard(RwLock<HashTable<Connected>>);

impl Shard {
    fn read(&self) -> RwLockReadGuard<'_, HashTable<Connected>> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashTable<Connected>> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The connections of one hub on this node (ASP.NET's `HubConnectionStore`): every lifetime
/// manager delivers to local connections through it, and the runtime's heartbeat and shutdown
/// walk it.
///
/// A map from connection id to handle in shards, each a hash table behind a read-write lock.
/// Connection ids are the server's own random ids, so the hash need not resist chosen keys.
pub struct LocalConnections {
    shards: Box<[Shard]>,
    hasher: foldhash::fast::RandomState,
    len: AtomicUsize,
    /// Connections per protocol: a broadcast encodes only for protocols someone speaks.
    protocol_counts: [AtomicUsize; 2],
}

impl Default for LocalConnections {
    fn default() -> Self {
        LocalConnections {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            hasher: foldhash::fast::RandomState::default(),
            len: AtomicUsize::new(0),
            protocol_counts: Default::default(),
        }
    }
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

    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(id)
    }

    /// The shard of a hash: bits the tables' own bucket index (the low bits) and tags (the
    /// top seven) do not use.
    fn shard(&self, hash: u64) -> &Shard {
        &self.shards[(hash >> 32) as usize & (SHARDS - 1)]
    }

    pub(crate) fn add(&self, handle: &Arc<ConnectionHandle>) {
        let id = handle.id().shared();
        let hash = self.hash(id);
        let mut table = self.shard(hash).write();
        let entry = table.entry(
            hash,
            |connected| connected.id == *id,
            |connected| self.hash(&connected.id),
        );
        let replaced = match entry {
            Entry::Occupied(mut occupied) => Some(std::mem::replace(
                &mut occupied.get_mut().handle,
                handle.clone(),
            )),
            Entry::Vacant(vacant) => {
                vacant.insert(Connected {
                    id: id.clone(),
                    handle: handle.clone(),
                });
                self.len.fetch_add(1, Ordering::AcqRel);
                None
            }
        };
        self.protocol_count(handle.protocol())
            .fetch_add(1, Ordering::AcqRel);
        if let Some(replaced) = replaced {
            self.protocol_count(replaced.protocol())
                .fetch_sub(1, Ordering::AcqRel);
        }
    }

    pub(crate) fn remove(&self, handle: &ConnectionHandle) {
        let id = handle.id().as_str();
        let hash = self.hash(id);
        let mut table = self.shard(hash).write();
        if let Ok(occupied) = table.find_entry(hash, |connected| *connected.id == *id) {
            let (removed, _) = occupied.remove();
            self.len.fetch_sub(1, Ordering::AcqRel);
            self.protocol_count(removed.handle.protocol())
                .fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// The connection with this id, if it is connected here.
    pub fn get(&self, id: &str) -> Option<Arc<ConnectionHandle>> {
        let hash = self.hash(id);
        let table = self.shard(hash).read();
        table
            .find(hash, |connected| *connected.id == *id)
            .map(|connected| connected.handle.clone())
    }

    /// Calls `f` with the connection with this id, if it is connected here (no reference
    /// count is taken).
    pub fn with<R>(&self, id: &str, f: impl FnOnce(&ConnectionHandle) -> R) -> Option<R> {
        let hash = self.hash(id);
        let table = self.shard(hash).read();
        table
            .find(hash, |connected| *connected.id == *id)
            .map(|connected| f(&connected.handle))
    }

    /// Calls `f` with every connection.
    ///
    /// `f` runs while a shard is locked for reading: it must not add or remove connections.
    pub fn for_each(&self, mut f: impl FnMut(&ConnectionHandle)) {
        for shard in self.shards.iter() {
            let table = shard.read();
            read_ahead(table.iter().map(|connected| &*connected.handle), &mut f);
        }
    }

    /// How many connections there are.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

/// Calls `f` with each of `handles`, having read [`AHEAD`] of them at a time first (see there).
pub(super) fn read_ahead<'a>(
    handles: impl Iterator<Item = &'a ConnectionHandle>,
    mut f: impl FnMut(&'a ConnectionHandle),
) {
    let mut handles = handles.fuse();
    let mut ahead: [Option<&ConnectionHandle>; AHEAD] = [None; AHEAD];
    loop {
        let mut read = 0;
        for (slot, handle) in ahead.iter_mut().zip(handles.by_ref()) {
            handle.touch();
            *slot = Some(handle);
            read += 1;
        }
        for handle in ahead[..read].iter_mut().filter_map(Option::take) {
            f(handle);
        }
        if read < AHEAD {
            return;
        }
    }
}
