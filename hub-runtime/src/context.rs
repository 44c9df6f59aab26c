//! What hub code sees: the caller's context ([`Ctx`]), the clients it can call ([`HubClients`],
//! [`CallerClients`]), group management, and [`HubContext`] for code outside the hub.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::connection::{ConnectionId, RequestInfo, TransportType, User};
use crate::hub::Hub;
use crate::lifetime::{
    CallContext, CloseReason, ConnectionHandle, HubLifetime, LifetimeError, Target,
};
use crate::proxy::{ClientProxy, FromTarget, ProxyTarget};

/// The caller's context, given to hub methods that take a `&Ctx<Self>` parameter.
pub struct Ctx<H: Hub> {
    call: CallContext,
    hub: PhantomData<fn() -> H>,
}

impl<H: Hub> Clone for Ctx<H> {
    fn clone(&self) -> Self {
        Ctx {
            call: self.call.clone(),
            hub: PhantomData,
        }
    }
}

impl<H: Hub> fmt::Debug for Ctx<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("connection_id", self.connection_id())
            .field("user_id", &self.user_id())
            .field("transport", &self.transport())
            .finish()
    }
}

impl<H: Hub> Ctx<H> {
    /// The context of the connection `call` names (for the generated code).
    #[doc(hidden)]
    pub fn __new(call: &CallContext) -> Self {
        Ctx {
            call: call.clone(),
            hub: PhantomData,
        }
    }

    fn connection(&self) -> &ConnectionHandle {
        &self.call.connection
    }

    /// The caller's connection id.
    pub fn connection_id(&self) -> &ConnectionId {
        self.connection().id()
    }

    /// The caller's user id, as the [user id provider](crate::HubOptions::user_id_provider) found it
    /// (by default, the authenticated user's id).
    pub fn user_id(&self) -> Option<&str> {
        self.connection().user_id()
    }

    /// The caller's authenticated user (id, name, roles, claims), if the connection was opened
    /// with credentials (see [`HubOptions::authenticate`](crate::HubOptions::authenticate)).
    pub fn user(&self) -> Option<&User> {
        self.connection().request().user()
    }

    /// The HTTP request that opened the caller's connection, with the extensions the layers in
    /// front of the hub put there (an authentication layer's claims, say).
    pub fn request(&self) -> &RequestInfo {
        self.connection().request()
    }

    /// The transport of the caller's connection (ASP.NET's `IHttpTransportFeature`).
    pub fn transport(&self) -> TransportType {
        self.connection().transport()
    }

    /// A token cancelled when the caller's connection ends (ASP.NET's
    /// `Context.ConnectionAborted`): work started for the caller can stop then, and clean up
    /// in its own code.
    pub fn connection_aborted(&self) -> CancellationToken {
        self.connection().aborted_token()
    }

    /// The clients this hub can call, including `caller()` and `others()`.
    pub fn clients(&self) -> CallerClients<H::Client> {
        CallerClients {
            clients: HubClients::new(self.call.lifetime.clone()),
            caller: self.connection_id().clone(),
        }
    }

    /// Adds connections to groups and removes them.
    pub fn groups(&self) -> GroupManager {
        GroupManager {
            lifetime: self.call.lifetime.clone(),
        }
    }

    /// Who is connected where: the members and sizes of groups, the groups of a connection,
    /// the connections of a user.
    pub fn presence(&self) -> Presence {
        Presence {
            lifetime: self.call.lifetime.clone(),
        }
    }

    /// The groups the caller is in, in no particular order.
    pub fn group_names(&self) -> Vec<String> {
        self.connection().groups()
    }

    /// Ends the caller's connection after the current invocation.
    pub fn abort(&self) {
        self.connection().close(CloseReason::Aborted);
    }
}

/// The clients of a hub, by target. Each method returns the typed proxy of the hub's client trait.
pub struct HubClients<C: ClientProxy> {
    lifetime: Arc<HubLifetime>,
    client: PhantomData<fn() -> C>,
}

impl<C: ClientProxy> Clone for HubClients<C> {
    fn clone(&self) -> Self {
        HubClients::new(self.lifetime.clone())
    }
}

impl<C: ClientProxy> fmt::Debug for HubClients<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HubClients")
    }
}

fn boxed_all<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> Vec<Box<str>> {
    items.into_iter().map(|s| s.as_ref().into()).collect()
}

impl<C: ClientProxy> HubClients<C> {
    pub(crate) fn new(lifetime: Arc<HubLifetime>) -> Self {
        HubClients {
            lifetime,
            client: PhantomData,
        }
    }

    fn proxy<P: FromTarget>(&self, target: Target) -> P {
        P::from_target(ProxyTarget::new(self.lifetime.clone(), target))
    }

    /// Every connected client.
    pub fn all(&self) -> C::Many {
        self.proxy(Target::All)
    }

    /// Every connected client except the given connections.
    pub fn all_except<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, excluded: I) -> C::Many {
        self.proxy(Target::AllExcept(boxed_all(excluded)))
    }

    /// One connection.
    pub fn client(&self, connection_id: impl AsRef<str>) -> C::Single {
        self.proxy(Target::Connection(connection_id.as_ref().into()))
    }

    /// Several connections.
    pub fn clients<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, connection_ids: I) -> C::Many {
        self.proxy(Target::Connections(boxed_all(connection_ids)))
    }

    /// Every connection in a group.
    pub fn group(&self, name: impl AsRef<str>) -> C::Many {
        self.proxy(Target::Group(name.as_ref().into()))
    }

    /// Every connection in any of the groups (once each).
    pub fn groups<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, names: I) -> C::Many {
        self.proxy(Target::Groups(boxed_all(names)))
    }

    /// Every connection in a group except the given connections.
    pub fn group_except<I: IntoIterator<Item = S>, S: AsRef<str>>(
        &self,
        name: impl AsRef<str>,
        excluded: I,
    ) -> C::Many {
        self.proxy(Target::GroupExcept(
            name.as_ref().into(),
            boxed_all(excluded),
        ))
    }

    /// Every connection of a user.
    pub fn user(&self, user_id: impl AsRef<str>) -> C::Many {
        self.proxy(Target::User(user_id.as_ref().into()))
    }

    /// Every connection of any of the users (once each).
    pub fn users<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, user_ids: I) -> C::Many {
        self.proxy(Target::Users(boxed_all(user_ids)))
    }
}

/// The clients of a hub as a hub method sees them: every target of [`HubClients`], and those
/// relative to the caller.
pub struct CallerClients<C: ClientProxy> {
    clients: HubClients<C>,
    caller: ConnectionId,
}

impl<C: ClientProxy> fmt::Debug for CallerClients<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallerClients")
            .field("caller", &self.caller)
            .finish()
    }
}

impl<C: ClientProxy> CallerClients<C> {
    /// The connection that invoked the hub method.
    pub fn caller(&self) -> C::Single {
        self.clients.client(&self.caller)
    }

    /// Every connection except the caller.
    pub fn others(&self) -> C::Many {
        self.clients.all_except([&self.caller])
    }

    /// Every connection in a group except the caller.
    pub fn others_in_group(&self, name: impl AsRef<str>) -> C::Many {
        self.clients.group_except(name, [&self.caller])
    }

    /// Every connected client.
    pub fn all(&self) -> C::Many {
        self.clients.all()
    }

    /// Every connected client except the given connections.
    pub fn all_except<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, excluded: I) -> C::Many {
        self.clients.all_except(excluded)
    }

    /// One connection.
    pub fn client(&self, connection_id: impl AsRef<str>) -> C::Single {
        self.clients.client(connection_id)
    }

    /// Several connections.
    pub fn clients<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, connection_ids: I) -> C::Many {
        self.clients.clients(connection_ids)
    }

    /// Every connection in a group.
    pub fn group(&self, name: impl AsRef<str>) -> C::Many {
        self.clients.group(name)
    }

    /// Every connection in any of the groups (once each).
    pub fn groups<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, names: I) -> C::Many {
        self.clients.groups(names)
    }

    /// Every connection in a group except the given connections.
    pub fn group_except<I: IntoIterator<Item = S>, S: AsRef<str>>(
        &self,
        name: impl AsRef<str>,
        excluded: I,
    ) -> C::Many {
        self.clients.group_except(name, excluded)
    }

    /// Every connection of a user.
    pub fn user(&self, user_id: impl AsRef<str>) -> C::Many {
        self.clients.user(user_id)
    }

    /// Every connection of any of the users (once each).
    pub fn users<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, user_ids: I) -> C::Many {
        self.clients.users(user_ids)
    }

    /// The same clients, without the caller-relative targets (to keep beyond the call).
    pub fn hub_clients(&self) -> HubClients<C> {
        self.clients.clone()
    }
}

/// Adds connections to groups and removes them. Groups exist while they have members.
#[derive(Clone)]
pub struct GroupManager {
    lifetime: Arc<HubLifetime>,
}

impl fmt::Debug for GroupManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GroupManager")
    }
}

impl GroupManager {
    /// Adds a connection to a group (ASP.NET's `AddToGroupAsync`). Unknown connections are
    /// ignored. With a backplane the connection may be on another server, which acknowledges;
    /// the in-memory lifetime manager never fails.
    pub async fn add_to_group(
        &self,
        connection_id: impl AsRef<str>,
        group: impl AsRef<str>,
    ) -> Result<(), LifetimeError> {
        let (connection_id, group) = (connection_id.as_ref(), group.as_ref());
        self.lifetime.check_join(connection_id, group)?;
        self.lifetime
            .manager()
            .add_to_group(connection_id, group)
            .await
    }

    /// Removes a connection from a group (ASP.NET's `RemoveFromGroupAsync`).
    pub async fn remove_from_group(
        &self,
        connection_id: impl AsRef<str>,
        group: impl AsRef<str>,
    ) -> Result<(), LifetimeError> {
        self.lifetime
            .manager()
            .remove_from_group(connection_id.as_ref(), group.as_ref())
            .await
    }
}

/// Presence: who is connected where (`ctx.presence()`, `HubContext::presence`), as the hub's
/// lifetime manager knows it (ASP.NET leaves this to the app; here every lifetime manager
/// answers it, so a backplane can answer for the whole cluster).
///
/// The in-memory lifetime manager answers from the tables it delivers with, at once: a size or
/// a count is a lookup, a list of members costs a `Vec` of the group's size. A backplane answers
/// for every server, which costs a round trip to the store; call these where an answer is
/// needed, not per message.
///
/// ```no_run
/// # use hub_runtime::prelude::*;
/// # async fn watching<H: hub_runtime::Hub>(ctx: &HubContext<H>) -> Result<(), hub_runtime::lifetime::LifetimeError> {
/// let watching = ctx.presence().group_size("topic:cpu").await?;
/// let ada_online = ctx.presence().user_connection_count("ada").await? > 0;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Presence {
    lifetime: Arc<HubLifetime>,
}

impl fmt::Debug for Presence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Presence")
    }
}

impl Presence {
    /// The connections in a group, in no particular order.
    pub async fn group_connections(
        &self,
        group: impl AsRef<str>,
    ) -> Result<Vec<ConnectionId>, LifetimeError> {
        self.lifetime
            .manager()
            .group_connections(group.as_ref())
            .await
    }

    /// How many connections are in a group (0 for a group nobody joined).
    pub async fn group_size(&self, group: impl AsRef<str>) -> Result<usize, LifetimeError> {
        self.lifetime.manager().group_size(group.as_ref()).await
    }

    /// The groups a connection is in, in no particular order (none for an unknown connection).
    pub async fn connection_groups(
        &self,
        connection_id: impl AsRef<str>,
    ) -> Result<Vec<String>, LifetimeError> {
        self.lifetime
            .manager()
            .connection_groups(connection_id.as_ref())
            .await
    }

    /// How many connections a user has open (0 when the user is not connected).
    pub async fn user_connection_count(
        &self,
        user_id: impl AsRef<str>,
    ) -> Result<usize, LifetimeError> {
        self.lifetime
            .manager()
            .user_connection_count(user_id.as_ref())
            .await
    }
}

/// Reaches a hub's clients from outside the hub: an axum handler, a background task.
///
/// Get one from [`HubRouter::context`](crate::HubRouter::context); clones share the hub.
pub struct HubContext<H: Hub> {
    lifetime: Arc<HubLifetime>,
    hub: PhantomData<fn() -> H>,
}

impl<H: Hub> Clone for HubContext<H> {
    fn clone(&self) -> Self {
        HubContext::new(self.lifetime.clone())
    }
}

impl<H: Hub> fmt::Debug for HubContext<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubContext")
            .field("connections", &self.lifetime.connection_count())
            .finish()
    }
}

impl<H: Hub> HubContext<H> {
    pub(crate) fn new(lifetime: Arc<HubLifetime>) -> Self {
        HubContext {
            lifetime,
            hub: PhantomData,
        }
    }

    /// The hub's clients, by target.
    pub fn clients(&self) -> HubClients<H::Client> {
        HubClients::new(self.lifetime.clone())
    }

    /// Adds connections to groups and removes them.
    pub fn groups(&self) -> GroupManager {
        GroupManager {
            lifetime: self.lifetime.clone(),
        }
    }

    /// Who is connected where: see [`Presence`].
    pub fn presence(&self) -> Presence {
        Presence {
            lifetime: self.lifetime.clone(),
        }
    }

    /// How many connections completed their handshake on this server and are still open.
    pub fn connection_count(&self) -> usize {
        self.lifetime.connection_count()
    }

    /// Graceful shutdown: refuses new connections, sends every client a Close message with
    /// `allowReconnect: true` (clients with automatic reconnect retry), closes the sockets, and
    /// resolves once every connection has ended and its `on_disconnected` ran.
    ///
    /// Call it from the future given to axum's `with_graceful_shutdown`, after the signal.
    pub async fn shutdown(&self) {
        self.lifetime.shutdown().await;
    }
}
