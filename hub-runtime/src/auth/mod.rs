//! Authentication: who is on a connection.
//!
//! An endpoint runs its [`Authenticator`] on every request to its paths (see
//! [`HubOptions::authenticate`](crate::HubOptions::authenticate)) and puts the [`User`] it found
//! in the request's extensions, where `ctx.user()`, `#[authorize]` and the default user id read
//! it. An app with an axum or tower authentication layer of its own inserts a [`User`] there
//! instead. See `docs/security.md`.
//!
//! With the `jwt` feature, `JwtAuthenticator` checks JWT bearer tokens (ASP.NET's
//! `AddJwtBearer`), with keys from the configuration or, with the `jwks` feature, from an
//! identity provider's JWKS URL.

#[cfg(feature = "jwt")]
mod jwt;

pub use crate::connection::{AuthError, AuthFuture, Authenticator, User, bearer_token};
pub use crate::model::{AuthorizationContext, MethodCall, Requirement};
#[cfg(feature = "jwt")]
pub use jwt::{JwtAuthenticator, JwtConfigError, JwtKey};
