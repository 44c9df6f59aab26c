//! The in-memory lifetime manager: one process, no backplane. Delivery only queues frames
//! (never waits), so a broadcast costs one reference-count increment and one queue push per
//! recipient.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;

use super::future::LifetimeFuture;
use super::handle::{ClientReply, ConnectionHandle};
use super::local::{LocalConnections, read_ahead};
use super::manager::HubLifetimeManager;
use super::message::{ProtocolSet, SerializedMessage};
use super::target::Target;
use crate::connection::ConnectionId;
use crate::model::{ClientResultError, LifetimeError};
use crate::protocol::OwnedValue;

/// The default lifetime manager: groups and users of one process.
pub struct InMemoryLifetimeManager {
    local: Arc<LocalConnections>,
    /// Each group's connections of this node, by id: a message to a group goes to the handles
    /// without looking each member up.
    groups: DashMap<Arc<str>, HashMap<Arc<str>, Arc<ConnectionHandle>>>,
    users: DashMap<Arc<str>, Vec<Arc<str>>>,
}

impl std::fmt::Debug for InMemoryLifetimeManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryLifetimeManager")
            .field("connections", &self.local.len())
            .field("groups", &self.groups.len())
            .field("users", &self.users.len())
            .finish()
    }
}

impl InMemoryLifetimeManager {
    /// A manager of the connections in `local`.
    pub fn new(local: Arc<LocalConnections>) -> Self {
        InMemoryLifetimeManager {
            local,
            groups: DashMap::new(),
            users: DashMap::new(),
        }
    }

    /// Queues `message` for every connection `target` names, each in its protocol.
    pub(super) fn deliver(&self, target: &Target, message: &SerializedMessage) {
        let push = |handle: &ConnectionHandle| {
            if let Some(frame) = message.get(handle.protocol()) {
                handle.send(frame.clone());
            }
        };
        let to = |id: &str| {
            self.local.with(id, push);
        };
        let excluded = |id: &str, except: &[Box<str>]| except.iter().any(|e| **e == *id);
        match target {
            Target::All => self.local.for_each(push),
            Target::AllExcept(except) => self.local.for_each(|handle| {
                if !excluded(handle.id().as_str(), except) {
                    push(handle);
                }
            }),
            Target::Connection(id) => to(id),
            Target::Connections(ids) => dedup(ids.iter().map(|id| &**id), to),
            Target::Group(name) => self.for_group(name, |_| true, push),
            Target::GroupExcept(name, except) => {
                self.for_group(name, |id| !excluded(id, except), push)
            }
            Target::Groups(names) => {
                let names: Vec<&str> = names.iter().map(|name| &**name).collect();
                self.for_groups(&names, &[], push);
            }
            Target::User(user) => self.for_users(std::slice::from_ref(user), to),
            Target::Users(users) => self.for_users(users, to),
        }
    }

    /// Calls `to` with each connection of a group whose id `keep` accepts.
    fn for_group(
        &self,
        name: &str,
        keep: impl Fn(&str) -> bool,
        to: impl FnMut(&ConnectionHandle),
    ) {
        if let Some(group) = self.groups.get(name) {
            let members = group
                .iter()
                .filter(|(id, _)| keep(id))
                .map(|(_, handle)| &**handle);
            read_ahead(members, to);
        }
    }

    fn for_users(&self, users: &[Box<str>], to: impl Fn(&str)) {
        let mut ids: Vec<Arc<str>> = Vec::new();
        for user in users {
            if let Some(connections) = self.users.get(&**user) {
                ids.extend(connections.iter().cloned());
            }
        }
        dedup(ids.iter().map(|id| &**id), to);
    }

    /// Adds a connection of this node to a group.
    pub(super) fn add(&self, connection_id: &str, group: &str) {
        let Some(handle) = self.local.get(connection_id) else {
            return;
        };
        let mut membership = handle.groups.lock().unwrap_or_else(|e| e.into_inner());
        if membership.removed || membership.contains(group) {
            return;
        }
        let name: Arc<str> = group.into();
        membership.insert(&name);
        self.groups
            .entry(name)
            .or_default()
            .insert(handle.id().shared().clone(), handle.clone());
    }

    /// Removes a connection of this node from a group.
    pub(super) fn remove(&self, connection_id: &str, group: &str) {
        let Some(handle) = self.local.get(connection_id) else {
            return;
        };
        let mut membership = handle.groups.lock().unwrap_or_else(|e| e.into_inner());
        if membership.remove(group) {
            self.remove_from_group_map(group, connection_id);
        }
    }

    /// Calls `to` once for each connection of this node in any of `groups`, but `except`.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) fn for_groups(
        &self,
        groups: &[&str],
        except: &[&str],
        to: impl FnMut(&ConnectionHandle),
    ) {
        if let [name] = groups {
            return self.for_group(name, |id| !except.contains(&id), to);
        }
        let mut members: HashMap<Arc<str>, Arc<ConnectionHandle>> = HashMap::new();
        for name in groups {
            if let Some(group) = self.groups.get(*name) {
                for (id, handle) in group.iter() {
                    if !except.contains(&&**id) {
                        members.insert(id.clone(), handle.clone());
                    }
                }
            }
        }
        read_ahead(members.values().map(|handle| &**handle), to);
    }

    /// Calls `to` for each connection of this node of `user`.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) fn for_user(&self, user: &str, to: impl Fn(&ConnectionHandle)) {
        if let Some(ids) = self.users.get(user) {
            for id in ids.iter() {
                self.local.with(id, &to);
            }
        }
    }

    /// The connections of this node in a group.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) fn members(&self, group: &str) -> Vec<Arc<str>> {
        self.groups
            .get(group)
            .map(|members| members.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// How many connections of this node are in a group.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) fn local_group_size(&self, group: &str) -> usize {
        self.groups.get(group).map_or(0, |members| members.len())
    }

    /// How many connections of this node a user has.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) fn local_user_count(&self, user: &str) -> usize {
        self.users.get(user).map_or(0, |ids| ids.len())
    }

    fn remove_from_group_map(&self, group: &str, connection_id: &str) {
        self.groups.remove_if_mut(group, |_, members| {
            members.remove(connection_id);
            members.is_empty()
        });
    }
}

impl HubLifetimeManager for InMemoryLifetimeManager {
    fn on_connected(&self, connection: &Arc<ConnectionHandle>) -> LifetimeFuture<()> {
        if let Some(user) = connection.shared_user() {
            self.users
                .entry(user.clone())
                .or_default()
                .push(connection.id().shared().clone());
        }
        LifetimeFuture::ready(())
    }

    fn on_disconnected(&self, connection: &Arc<ConnectionHandle>) -> LifetimeFuture<()> {
        let names: Vec<Arc<str>> = {
            let mut membership = connection.groups.lock().unwrap_or_else(|e| e.into_inner());
            membership.removed = true;
            membership.take().collect()
        };
        let id = connection.id().as_str();
        for name in names {
            self.remove_from_group_map(&name, id);
        }
        if let Some(user) = connection.shared_user() {
            self.users.remove_if_mut(user, |_, ids| {
                ids.retain(|other| **other != *id);
                ids.is_empty()
            });
        }
        LifetimeFuture::ready(())
    }

    fn protocols(&self, target: &Target) -> ProtocolSet {
        if let Target::Connection(id) = target {
            return self
                .local
                .with(id, |handle| ProtocolSet::only(handle.protocol()))
                .unwrap_or_default();
        }
        self.local.protocols()
    }

    fn send(
        &self,
        target: &Target,
        message: &SerializedMessage,
    ) -> LifetimeFuture<Result<(), LifetimeError>> {
        self.deliver(target, message);
        LifetimeFuture::ready(Ok(()))
    }

    fn add_to_group(
        &self,
        connection_id: &str,
        group: &str,
    ) -> LifetimeFuture<Result<(), LifetimeError>> {
        self.add(connection_id, group);
        LifetimeFuture::ready(Ok(()))
    }

    fn remove_from_group(
        &self,
        connection_id: &str,
        group: &str,
    ) -> LifetimeFuture<Result<(), LifetimeError>> {
        self.remove(connection_id, group);
        LifetimeFuture::ready(Ok(()))
    }

    fn invoke_connection(
        &self,
        connection_id: &str,
        invocation_id: &str,
        message: &SerializedMessage,
        timeout: Duration,
    ) -> LifetimeFuture<Result<OwnedValue, ClientResultError>> {
        let Some(handle) = self.local.get(connection_id) else {
            return LifetimeFuture::ready(Err(ClientResultError::NotConnected));
        };
        let Some(frame) = message.get(handle.protocol()) else {
            return LifetimeFuture::ready(Err(ClientResultError::InvalidArguments(
                "the invocation was not encoded for the connection's protocol".to_owned(),
            )));
        };
        let Some(receiver) = handle.register_result(invocation_id) else {
            return LifetimeFuture::ready(Err(ClientResultError::Disconnected));
        };
        handle.send(frame.clone());
        let invocation_id: Box<str> = invocation_id.into();
        LifetimeFuture::new(async move {
            match tokio::time::timeout(timeout, receiver).await {
                Err(_) => {
                    handle.forget_result(&invocation_id);
                    Err(ClientResultError::Timeout)
                }
                Ok(Err(_)) => Err(ClientResultError::Disconnected),
                Ok(Ok(Ok(value))) => Ok(value),
                Ok(Ok(Err(error))) => Err(ClientResultError::Client(error)),
            }
        })
    }

    fn set_connection_result(
        &self,
        connection: &ConnectionHandle,
        invocation_id: &str,
        reply: ClientReply,
    ) -> bool {
        connection.resolve_result(invocation_id, reply)
    }

    fn group_connections(
        &self,
        group: &str,
    ) -> LifetimeFuture<Result<Vec<ConnectionId>, LifetimeError>> {
        let members = self
            .groups
            .get(group)
            .map(|members| members.keys().cloned().map(ConnectionId::from).collect())
            .unwrap_or_default();
        LifetimeFuture::ready(Ok(members))
    }

    fn connection_groups(
        &self,
        connection_id: &str,
    ) -> LifetimeFuture<Result<Vec<String>, LifetimeError>> {
        let groups = self
            .local
            .with(connection_id, ConnectionHandle::groups)
            .unwrap_or_default();
        LifetimeFuture::ready(Ok(groups))
    }

    fn group_size(&self, group: &str) -> LifetimeFuture<Result<usize, LifetimeError>> {
        let size = self.groups.get(group).map_or(0, |members| members.len());
        LifetimeFuture::ready(Ok(size))
    }

    fn user_connection_count(&self, user_id: &str) -> LifetimeFuture<Result<usize, LifetimeError>> {
        let count = self.users.get(user_id).map_or(0, |ids| ids.len());
        LifetimeFuture::ready(Ok(count))
    }
}

/// Calls `to` once per distinct id.
fn dedup<'a>(ids: impl Iterator<Item = &'a str>, to: impl Fn(&str)) {
    let mut seen = HashSet::new();
    for id in ids {
        if seen.insert(id) {
            to(id);
        }
    }
}
