//! JWT bearer authentication, as ASP.NET's `AddJwtBearer`: the `jwt` feature.
//!
//! Tokens are verified with `jsonwebtoken` on its RustCrypto backend (pure Rust: no C toolchain
//! and no assembler for the `jwt` feature; its `aws_lc_rs` backend is faster but builds
//! aws-lc's C code). The `jwks` feature adds keys fetched from a URL, over hyper-util's client
//! (hyper is in the tree already) with rustls.

mod claims;
mod error;
#[cfg(feature = "jwks")]
mod jwks;
mod key;
mod rules;
mod token;

pub use error::JwtConfigError;
pub use key::JwtKey;

use std::fmt;
use std::time::Duration;

use axum::http::request::Parts;

use crate::connection::{AuthError, AuthFuture, Authenticator, User, bearer_token};
use claims::ClaimNames;
use error::Rejection;
use rules::Rules;
use token::TokenHeader;

/// An [`Authenticator`] of JWT bearer tokens (ASP.NET's `AddJwtBearer`): the token of the
/// `Authorization: Bearer` header, or of the `access_token` query parameter browsers use on
/// WebSockets and Server-Sent Events.
///
/// A token is accepted when one of the keys verifies its signature with an algorithm that key
/// accepts (see [`JwtKey`]: the token's header never decides), it has not expired (`exp`,
/// required unless [`require_expiry(false)`](Self::require_expiry)), is already valid (`nbf`),
/// both within the [clock skew](Self::clock_skew), and its issuer and audience are accepted
/// when [issuers](Self::issuer) and [audiences](Self::audience) are set. Its claims make the
/// [`User`]:
///
/// | [`User`] | claims (the first present) | configured by |
/// | --- | --- | --- |
/// | [`id`](User::id) (required) | `sub` | [`id_claim`](Self::id_claim) |
/// | [`name`](User::name) | `name`, `unique_name`, `preferred_username` | [`name_claims`](Self::name_claims) |
/// | [`roles`](User::roles) | all of `role`, `roles` and ASP.NET's `http://schemas.microsoft.com/ws/2008/06/identity/claims/role`, each a string or an array of strings | [`role_claims`](Self::role_claims) |
/// | [`expires_at`](User::expires_at) | `exp` | |
/// | [`claims`](User::claims) | all | |
///
/// A refused token is an [`AuthError`] whose [reason](AuthError::reason) says why (`token
/// expired`, `bad signature`, `wrong issuer`, `wrong audience`, `unknown key id`, `malformed
/// token`...): for logs, never for the client. The token itself is never logged.
///
/// ```
/// use hub_runtime::auth::JwtAuthenticator;
///
/// # fn main() -> Result<(), hub_runtime::auth::JwtConfigError> {
/// let authenticator = JwtAuthenticator::hmac(b"a secret of at least thirty-two bytes")?
///     .issuer("https://issuer.example")
///     .audience("chat");
/// # Ok(())
/// # }
/// ```
///
/// Audiences and issuers are not checked unless set: set them whenever the same keys sign
/// tokens for other apps (a shared identity provider), or those tokens are accepted here too.
pub struct JwtAuthenticator {
    keys: Vec<JwtKey>,
    #[cfg(feature = "jwks")]
    jwks: Option<jwks::Jwks>,
    rules: Rules,
    claims: ClaimNames,
}

impl JwtAuthenticator {
    /// Tokens signed with `key`; more keys with [`key`](Self::key).
    pub fn new(key: JwtKey) -> Self {
        JwtAuthenticator::with_keys(vec![key])
    }

    fn with_keys(keys: Vec<JwtKey>) -> Self {
        JwtAuthenticator {
            keys,
            #[cfg(feature = "jwks")]
            jwks: None,
            rules: Rules::default(),
            claims: ClaimNames::default(),
        }
    }

    /// Tokens signed with an HMAC secret (HS256, and HS384 and HS512 for secrets long enough):
    /// see [`JwtKey::hmac`].
    pub fn hmac(secret: impl AsRef<[u8]>) -> Result<Self, JwtConfigError> {
        Ok(JwtAuthenticator::new(JwtKey::hmac(secret)?))
    }

    /// Tokens signed with an RSA key (RS256, RS384, RS512, PS256, PS384, PS512), given its
    /// public key in PEM: see [`JwtKey::rsa_pem`].
    pub fn rsa_pem(pem: impl AsRef<[u8]>) -> Result<Self, JwtConfigError> {
        Ok(JwtAuthenticator::new(JwtKey::rsa_pem(pem)?))
    }

    /// Tokens signed with an elliptic-curve key (ES256 on P-256, ES384 on P-384), given its
    /// public key in PEM: see [`JwtKey::ec_pem`].
    pub fn ec_pem(pem: impl AsRef<[u8]>) -> Result<Self, JwtConfigError> {
        Ok(JwtAuthenticator::new(JwtKey::ec_pem(pem)?))
    }

    /// Tokens signed with the keys of a JWK set given as JSON (`{"keys": [...]}`): see
    /// [`JwtKey::jwk_set`].
    pub fn jwk_set(json: &str) -> Result<Self, JwtConfigError> {
        Ok(JwtAuthenticator::with_keys(JwtKey::jwk_set(json)?))
    }

    /// Tokens signed with the keys an identity provider publishes at `url` (its
    /// `.well-known/openid-configuration` names it `jwks_uri`).
    ///
    /// The set is fetched at the first token, again when a token names a key id it does not
    /// have (a key rotation), and when it is older than [`jwks_max_age`](Self::jwks_max_age);
    /// never twice within [`jwks_refresh_interval`](Self::jwks_refresh_interval), and requests
    /// that arrive during a fetch wait for it rather than fetch too. A fetch that fails (no
    /// answer within [`jwks_timeout`](Self::jwks_timeout), an error status, a body over 1 MiB,
    /// no usable key) keeps the keys there were, and tokens no key verifies are refused.
    /// HMAC secrets in the set are ignored.
    ///
    /// `url` must be `https://` (checked against Mozilla's root certificates), or `http://` on
    /// a loopback host.
    ///
    /// ```
    /// use hub_runtime::auth::JwtAuthenticator;
    ///
    /// # fn main() -> Result<(), hub_runtime::auth::JwtConfigError> {
    /// let authenticator =
    ///     JwtAuthenticator::jwks_url("https://login.example/.well-known/jwks.json")?
    ///         .issuer("https://login.example/")
    ///         .audience("api://chat");
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "jwks")]
    pub fn jwks_url(url: &str) -> Result<Self, JwtConfigError> {
        let mut authenticator = JwtAuthenticator::with_keys(Vec::new());
        authenticator.jwks = Some(jwks::Jwks::new(url)?);
        Ok(authenticator)
    }

    /// Accepts tokens signed with `key` too (a key being rotated in or out, say).
    pub fn key(mut self, key: JwtKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Accepts tokens issued (`iss`) by `issuer`; once one is set, tokens must name one.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.rules.issuers.insert(issuer.into());
        self
    }

    /// Accepts tokens meant for (`aud`) `audience`; once one is set, tokens must name one. A
    /// token whose `aud` is an array is accepted if any of its elements is.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.rules.audiences.insert(audience.into());
        self
    }

    /// How far `exp` and `nbf` may be off, for clocks that disagree (60 seconds by default; at
    /// most an hour).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.rules.clock_skew = skew.min(rules::MAX_CLOCK_SKEW);
        self
    }

    /// Whether tokens must carry `exp` (they must by default). One that does is checked either
    /// way.
    pub fn require_expiry(mut self, required: bool) -> Self {
        self.rules.require_expiry = required;
        self
    }

    /// The claim that holds the user's id (`sub` by default; Microsoft Entra's `oid`, say). A
    /// token without it (or with an empty one) is refused.
    pub fn id_claim(mut self, claim: impl Into<String>) -> Self {
        self.claims.id = claim.into();
        self
    }

    /// The claims that may hold the user's display name, the first present wins (`name`,
    /// `unique_name`, `preferred_username` by default).
    pub fn name_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, claims: I) -> Self {
        self.claims.name = claims.into_iter().map(Into::into).collect();
        self
    }

    /// The claims that hold the user's roles, all of them read (`role`, `roles` and
    /// `http://schemas.microsoft.com/ws/2008/06/identity/claims/role` by default).
    pub fn role_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, claims: I) -> Self {
        self.claims.roles = claims.into_iter().map(Into::into).collect();
        self
    }

    /// The least time between two fetches of the [JWKS URL](Self::jwks_url) (30 seconds by
    /// default): tokens with made-up key ids cannot make it fetch more often. No effect on an
    /// authenticator without a JWKS URL.
    #[cfg(feature = "jwks")]
    pub fn jwks_refresh_interval(mut self, interval: Duration) -> Self {
        if let Some(jwks) = &mut self.jwks {
            jwks.refresh_interval = interval;
        }
        self
    }

    /// How old the keys of the [JWKS URL](Self::jwks_url) may get before they are fetched
    /// again, so that a key the provider withdrew stops being accepted (12 hours by default,
    /// as ASP.NET). No effect on an authenticator without a JWKS URL.
    #[cfg(feature = "jwks")]
    pub fn jwks_max_age(mut self, max_age: Duration) -> Self {
        if let Some(jwks) = &mut self.jwks {
            jwks.max_age = max_age;
        }
        self
    }

    /// How long a fetch of the [JWKS URL](Self::jwks_url) may take, connection included (10
    /// seconds by default). No effect on an authenticator without a JWKS URL.
    #[cfg(feature = "jwks")]
    pub fn jwks_timeout(mut self, timeout: Duration) -> Self {
        if let Some(jwks) = &mut self.jwks {
            jwks.timeout = timeout;
        }
        self
    }

    /// The user of `token` (a compact JWS, without `Bearer `), or why it is refused.
    pub async fn verify(&self, token: &str) -> Result<User, AuthError> {
        let header = TokenHeader::read(token)?;
        let claims = self.check(token, &header).await?;
        Ok(self.claims.user(claims)?)
    }

    #[cfg(not(feature = "jwks"))]
    async fn check(
        &self,
        token: &str,
        header: &TokenHeader,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Rejection> {
        self.rules.check(token, header, &self.keys)
    }

    #[cfg(feature = "jwks")]
    async fn check(
        &self,
        token: &str,
        header: &TokenHeader,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Rejection> {
        let Some(jwks) = &self.jwks else {
            return self.rules.check(token, header, &self.keys);
        };
        let fetched = jwks.keys().await?;
        let result = self
            .rules
            .check(token, header, self.keys.iter().chain(&fetched.keys));
        match (&result, &header.kid) {
            // A key id the set does not have: the provider may have rotated its keys.
            (Err(Rejection::UnknownKid(_) | Rejection::BadSignature), Some(kid))
                if !fetched.has_kid(kid) =>
            {
                let refreshed = jwks.refresh(&fetched).await;
                self.rules
                    .check(token, header, self.keys.iter().chain(&refreshed.keys))
            }
            _ => result,
        }
    }
}

impl Authenticator for JwtAuthenticator {
    fn authenticate<'a>(&'a self, request: &'a Parts) -> AuthFuture<'a> {
        Box::pin(async move {
            match bearer_token(request) {
                Some(token) if !token.is_empty() => self.verify(&token).await.map(Some),
                _ => Ok(None),
            }
        })
    }
}

impl fmt::Debug for JwtAuthenticator {
    /// The settings and the keys' ids, never a key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("JwtAuthenticator");
        debug.field("keys", &self.keys);
        #[cfg(feature = "jwks")]
        debug.field("jwks", &self.jwks.as_ref().map(|jwks| jwks.url()));
        debug
            .field("rules", &self.rules)
            .field("claims", &self.claims)
            .finish()
    }
}
