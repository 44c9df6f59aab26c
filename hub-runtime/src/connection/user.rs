//! Who is on a connection: the authenticated user, and the step that finds it in a request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use axum::http::request::Parts;
use serde_json::{Map, Value};

/// The authenticated user of a request, and so of the connection it opened.
///
/// An [`Authenticator`] (such as the JWT bearer one of the `jwt` feature) puts it in the
/// request's extensions; so may any axum or tower layer of the app, with
/// `request.extensions_mut().insert(user)`. Hubs read it with `ctx.user()`, `#[authorize]`
/// checks its roles, and the default user id of a connection is its [`id`](Self::id).
///
/// ```
/// use hub_runtime::User;
///
/// let user = User::new("ada").with_name("Ada Lovelace").with_roles(["Admin"]);
/// assert!(user.is_in_role("Admin"));
/// assert_eq!(user.id(), "ada");
/// ```
#[derive(Clone, PartialEq)]
pub struct User {
    id: String,
    name: Option<String>,
    roles: Vec<String>,
    claims: Map<String, Value>,
    expires_at: Option<SystemTime>,
}

impl User {
    /// A user known by `id` (a JWT's `sub` claim, ASP.NET's NameIdentifier), with no name,
    /// roles or claims.
    pub fn new(id: impl Into<String>) -> Self {
        User {
            id: id.into(),
            name: None,
            roles: Vec::new(),
            claims: Map::new(),
            expires_at: None,
        }
    }

    /// Sets the display name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds roles.
    pub fn with_roles<I: IntoIterator<Item = S>, S: Into<String>>(mut self, roles: I) -> Self {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }

    /// Sets every claim the credentials carried (a JWT's payload).
    pub fn with_claims(mut self, claims: Map<String, Value>) -> Self {
        self.claims = claims;
        self
    }

    /// Sets when the credentials expire (a JWT's `exp`): with
    /// [`close_on_authentication_expiration`](crate::HubOptions::close_on_authentication_expiration)
    /// the connection is closed then.
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// The user's id: what `ctx.clients().user(id)` targets.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The display name, if the credentials carried one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The user's roles.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// Whether the user has role `role` (compared exactly, as ASP.NET's `IsInRole`).
    pub fn is_in_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Every claim the credentials carried.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// One claim.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// When the credentials expire, if they do.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }
}

impl fmt::Debug for User {
    /// The id, name and roles; claims only by name, as they may hold what logs should not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("roles", &self.roles)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Credentials a request carried that are not valid: the request is answered 401 where a user
/// is required, with `WWW-Authenticate: Bearer error="invalid_token"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    reason: String,
}

impl AuthError {
    /// Invalid credentials, for `reason` (logged, never sent to the client).
    pub fn new(reason: impl Into<String>) -> Self {
        AuthError {
            reason: reason.into(),
        }
    }

    /// Why the credentials were refused.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid credentials: {}", self.reason)
    }
}

impl std::error::Error for AuthError {}

/// Whether a user may do something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Allowed,
    /// No user: answered 401 (a connection) or "unauthorized" (a method).
    Unauthenticated,
    /// A user, without a role or a policy's consent: answered 403 or "unauthorized".
    Forbidden,
}

/// The future of [`Authenticator::authenticate`].
pub type AuthFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<User>, AuthError>> + Send + 'a>>;

/// Finds the user of a request to an endpoint's paths (negotiate, the transports, the POSTs of
/// Server-Sent Events and long polling): ASP.NET's authentication handler, run by the endpoint
/// on its own paths only, so that the `access_token` query parameter browsers must use is
/// accepted there and nowhere else.
///
/// `Ok(None)` is a request without credentials (anonymous), `Err` one whose credentials are not
/// valid. A user already in the request's extensions (put there by a layer of the app) is kept,
/// and the authenticator is not asked.
pub trait Authenticator: Send + Sync + 'static {
    /// The user of `request`.
    fn authenticate<'a>(&'a self, request: &'a Parts) -> AuthFuture<'a>;
}
