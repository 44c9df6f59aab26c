//! What hub code sees: the caller's context ([`Ctx`]), the clients it can call ([`HubClients`],
//! [`CallerClients`]), group management, and [`HubContext`] for code outside the hub.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};

use crate::connection::{CloseReason, ConnectionHandle, ConnectionId};
use crate::dispatch::Hub;
use crate::lifetime::{Lifetime, Target};
use crate::proxy::{ClientProxy, FromTarget, ProxyTarget};

/// The HTTP request that opened a connection (for WebSockets, the upgrade request), without the
/// WebSocket handshake headers.
///
/// Every connection keeps one, and most never look at it: it is held as one compact allocation
/// and parsed into a [`Uri`] and a [`HeaderMap`] on first use.
#[derive(Clone, Default)]
pub struct RequestInfo {
    /// The URI, then `\n` and `name:value` for each header kept. Neither a URI nor a header
    /// can contain `\n`, nor a header name `:`.
    raw: Box<[u8]>,
    parsed: OnceLock<Box<ParsedRequest>>,
}

#[derive(Clone, Default)]
struct ParsedRequest {
    uri: Uri,
    headers: HeaderMap,
}

impl RequestInfo {
    /// Captures a request, dropping the WebSocket handshake headers nobody needs later.
    ///
    /// The URI and headers are copied: hyper parses them as slices of its connection read
    /// buffer, and keeping those slices would keep that whole buffer (8 KiB and more) alive for
    /// as long as the connection lives.
    pub fn new(uri: Uri, headers: &HeaderMap) -> Self {
        let mut raw = uri.to_string().into_bytes();
        for (name, value) in headers {
            let name = name.as_str();
            if name.starts_with("sec-websocket-") || name == "upgrade" || name == "connection" {
                continue;
            }
            raw.push(b'\n');
            raw.extend_from_slice(name.as_bytes());
            raw.push(b':');
            raw.extend_from_slice(value.as_bytes());
        }
        RequestInfo {
            raw: raw.into_boxed_slice(),
            parsed: OnceLock::new(),
        }
    }

    fn parsed(&self) -> &ParsedRequest {
        self.parsed.get_or_init(|| {
            let mut lines = self.raw.split(|&byte| byte == b'\n');
            let uri = lines
                .next()
                .and_then(|uri| Uri::try_from(uri).ok())
                .unwrap_or_default();
            let lines: Vec<&[u8]> = lines.collect();
            // Sized to what is kept: grown one by one, a map of one header holds room for six.
            let mut headers = HeaderMap::with_capacity(lines.len());
            for line in lines {
                let Some(colon) = line.iter().position(|&byte| byte == b':') else {
                    continue;
                };
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(&line[..colon]),
                    HeaderValue::from_bytes(&line[colon + 1..]),
                ) {
                    headers.append(name, value);
                }
            }
            Box::new(ParsedRequest { uri, headers })
        })
    }

    /// The request URI (path and query).
    pub fn uri(&self) -> &Uri {
        &self.parsed().uri
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parsed().headers
    }

    /// A header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The bearer token of the request: the `Authorization: Bearer` header (Node and .NET
    /// clients), or the `access_token` query parameter (browsers, which cannot set headers on
    /// WebSockets and Server-Sent Events).
    pub fn access_token(&self) -> Option<String> {
        let header = self
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::to_owned);
        header.or_else(|| self.query_param("access_token"))
    }

    /// The first value of query parameter `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.uri().query()?;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key) == name).then(|| percent_decode(value))
        })
    }
}

impl fmt::Debug for RequestInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestInfo")
            .field("uri", self.uri())
            .field("headers", self.headers())
            .finish()
    }
}

fn percent_decode(text: &str) -> String {
    fn hex(byte: u8) -> Option<u8> {
        (byte as char).to_digit(16).map(|digit| digit as u8)
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The caller's context, given to hub methods that take a `&Ctx<Self>` parameter.
pub struct Ctx<H: Hub> {
    connection: Arc<ConnectionHandle>,
    hub: PhantomData<fn() -> H>,
}

impl<H: Hub> Clone for Ctx<H> {
    fn clone(&self) -> Self {
        Ctx {
            connection: self.connection.clone(),
            hub: PhantomData,
        }
    }
}

impl<H: Hub> fmt::Debug for Ctx<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("connection_id", &self.connection.id)
            .field("user_id", &self.connection.user)
            .finish()
    }
}

impl<H: Hub> Ctx<H> {
    pub(crate) fn new(connection: Arc<ConnectionHandle>) -> Self {
        Ctx {
            connection,
            hub: PhantomData,
        }
    }

    /// The caller's connection id.
    pub fn connection_id(&self) -> &ConnectionId {
        &self.connection.id
    }

    /// The caller's user id, as the [user id provider](crate::HubOptions::user_id_provider) found it.
    pub fn user_id(&self) -> Option<&str> {
        self.connection.user.as_deref()
    }

    /// The HTTP request that opened the caller's connection.
    pub fn request(&self) -> &RequestInfo {
        &self.connection.request
    }

    /// The clients this hub can call, including `caller()` and `others()`.
    pub fn clients(&self) -> CallerClients<H::Client> {
        CallerClients {
            clients: HubClients::new(self.connection.lifetime.clone()),
            caller: self.connection.id.clone(),
        }
    }

    /// Adds connections to groups and removes them.
    pub fn groups(&self) -> GroupManager {
        GroupManager {
            lifetime: self.connection.lifetime.clone(),
        }
    }

    /// The groups the caller is in.
    pub fn group_names(&self) -> Vec<String> {
        let membership = self
            .connection
            .groups
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        membership
            .names
            .iter()
            .map(|name| name.to_string())
            .collect()
    }

    /// Ends the caller's connection after the current invocation.
    pub fn abort(&self) {
        self.connection.close(CloseReason::Aborted);
    }
}

/// The clients of a hub, by target. Each method returns the typed proxy of the hub's client trait.
pub struct HubClients<C: ClientProxy> {
    lifetime: Arc<Lifetime>,
    client: PhantomData<fn() -> C>,
}

impl<C: ClientProxy> Clone for HubClients<C> {
    fn clone(&self) -> Self {
        HubClients::new(self.lifetime.clone())
    }
}

fn boxed_all<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> Vec<Box<str>> {
    items.into_iter().map(|s| s.as_ref().into()).collect()
}

impl<C: ClientProxy> HubClients<C> {
    pub(crate) fn new(lifetime: Arc<Lifetime>) -> Self {
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

/// [`HubClients`] seen from a hub method: adds the targets relative to the caller.
pub struct CallerClients<C: ClientProxy> {
    clients: HubClients<C>,
    caller: ConnectionId,
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
}

impl<C: ClientProxy> Deref for CallerClients<C> {
    type Target = HubClients<C>;
    fn deref(&self) -> &HubClients<C> {
        &self.clients
    }
}

/// Adds connections to groups and removes them. Groups exist while they have members.
#[derive(Clone)]
pub struct GroupManager {
    lifetime: Arc<Lifetime>,
}

impl GroupManager {
    /// Adds a connection to a group (ASP.NET's `AddToGroupAsync`). Unknown connections are ignored.
    pub async fn add_to_group(&self, connection_id: impl AsRef<str>, group: impl AsRef<str>) {
        self.lifetime
            .add_to_group(connection_id.as_ref(), group.as_ref());
    }

    /// Removes a connection from a group (ASP.NET's `RemoveFromGroupAsync`).
    pub async fn remove_from_group(&self, connection_id: impl AsRef<str>, group: impl AsRef<str>) {
        self.lifetime
            .remove_from_group(connection_id.as_ref(), group.as_ref());
    }
}

/// Reaches a hub's clients from outside the hub: an axum handler, a background task.
///
/// Get one from [`HubRouter::context`](crate::HubRouter::context); clones share the hub.
pub struct HubContext<H: Hub> {
    lifetime: Arc<Lifetime>,
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
    pub(crate) fn new(lifetime: Arc<Lifetime>) -> Self {
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

    /// How many connections completed their handshake and are still open.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params() {
        let req = RequestInfo::new(
            "/hubs/chat?id=a%20b&user=x+y&flag&bad=%zz&end=%4"
                .parse()
                .unwrap(),
            &HeaderMap::new(),
        );
        assert_eq!(req.query_param("id").as_deref(), Some("a b"));
        assert_eq!(req.query_param("user").as_deref(), Some("x y"));
        assert_eq!(req.query_param("flag").as_deref(), Some(""));
        assert_eq!(req.query_param("bad").as_deref(), Some("%zz"));
        assert_eq!(req.query_param("end").as_deref(), Some("%4"));
        assert_eq!(req.query_param("none"), None);
        assert_eq!(req.access_token(), None);
    }

    #[test]
    fn access_tokens() {
        let query = RequestInfo::new(
            "/hub?access_token=a%2Bb".parse().unwrap(),
            &HeaderMap::new(),
        );
        assert_eq!(query.access_token().as_deref(), Some("a+b"));
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer xyz".parse().unwrap());
        let header = RequestInfo::new("/hub?access_token=other".parse().unwrap(), &headers);
        assert_eq!(header.access_token().as_deref(), Some("xyz"));
    }

    #[test]
    fn headers_are_kept_but_the_websocket_handshake_ones() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "127.0.0.1:5000".parse().unwrap());
        headers.append("x-multi", "one".parse().unwrap());
        headers.append("x-multi", "two: with a colon".parse().unwrap());
        headers.insert("x-opaque", HeaderValue::from_bytes(b"caf\xe9\tok").unwrap());
        headers.insert("x-empty", HeaderValue::from_static(""));
        headers.insert("upgrade", "websocket".parse().unwrap());
        headers.insert("connection", "Upgrade".parse().unwrap());
        headers.insert(
            "sec-websocket-key",
            "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap(),
        );
        let request = RequestInfo::new("/hubs/chat?id=x".parse().unwrap(), &headers);
        assert_eq!(request.uri().path(), "/hubs/chat");
        assert_eq!(request.uri().query(), Some("id=x"));
        let kept = request.headers();
        assert_eq!(kept.len(), 5);
        assert_eq!(request.header("host"), Some("127.0.0.1:5000"));
        let multi: Vec<_> = kept.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["one", "two: with a colon"]);
        assert_eq!(kept["x-opaque"].as_bytes(), b"caf\xe9\tok");
        assert_eq!(request.header("x-empty"), Some(""));
        for dropped in ["upgrade", "connection", "sec-websocket-key"] {
            assert!(!kept.contains_key(dropped), "{dropped}");
        }
        let copy = request.clone();
        assert_eq!(copy.headers().len(), 5);
        assert_eq!(RequestInfo::default().uri(), &Uri::default());
    }
}
