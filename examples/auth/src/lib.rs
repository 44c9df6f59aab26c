//! The authentication example: a hub at `/hubs/secure` that only authenticated users reach,
//! with JWT bearer tokens checked by [`JwtAuthenticator`], a method for role `Admin`, messages
//! to every connection of one user, and `POST /api/token`, a **demo** token issuer.
//!
//! The issuer hands a signed token to whoever asks, for any user and any roles: it exists so
//! that the example runs on its own. A real deployment gets its tokens from an identity
//! provider (and configures [`JwtAuthenticator::jwks_url`] with its keys) or from its own
//! login endpoint, never from an endpoint like this one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use hub_runtime::auth::JwtAuthenticator;
use hub_runtime::prelude::*;
use jsonwebtoken::{EncodingKey, Header};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `iss` of the example's tokens, checked by the hub.
pub const ISSUER: &str = "hub-auth-example";
/// The `aud` of the example's tokens, checked by the hub.
pub const AUDIENCE: &str = "hub-auth-example-clients";

/// How the example signs and checks tokens.
#[derive(Clone)]
pub struct Settings {
    /// The HS256 secret that signs the demo issuer's tokens and that the hub checks them with:
    /// 32 bytes or more.
    pub secret: Vec<u8>,
    /// How long an issued token is valid.
    pub token_lifetime: Duration,
    /// Close connections when their token expires (ASP.NET's
    /// `CloseOnAuthenticationExpiration`).
    pub close_on_expiry: bool,
}

impl Settings {
    /// Settings with a random secret (tokens issued before a restart stop working), tokens
    /// valid for an hour, connections outliving their token.
    pub fn random() -> Self {
        Settings {
            secret: rand::random::<[u8; 32]>().to_vec(),
            token_lifetime: Duration::from_secs(3600),
            close_on_expiry: false,
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("secret", &"<redacted>")
            .field("token_lifetime", &self.token_lifetime)
            .field("close_on_expiry", &self.close_on_expiry)
            .finish()
    }
}

/// What the server calls on clients of the secure hub.
#[hub_runtime::client]
pub trait SecureClient {
    /// A message `user_id` sent to everybody.
    async fn receive_message(&self, user_id: String, message: String);
    /// A message an administrator sent to everybody.
    async fn admin_message(&self, message: String);
    /// A message `sender_user_id` sent to this user only.
    async fn private_message(&self, sender_user_id: String, message: String);
}

/// Who the caller is, as the hub sees it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    /// The user id: the token's `sub`.
    pub user_id: String,
    /// The token's `name`, if any.
    pub name: Option<String>,
    /// The token's roles.
    pub roles: Vec<String>,
}

/// The secure hub: every connection needs an authenticated user.
pub struct SecureHub;

/// The group holding every connection of `user_id`.
fn user_group(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// The caller's user id: an authorized connection always has one.
fn caller_id(ctx: &Ctx<SecureHub>) -> String {
    ctx.user_id().unwrap_or_default().to_owned()
}

#[hub_runtime::hub(client = SecureClient)]
#[authorize]
impl SecureHub {
    /// Sends a message to everybody, signed with the caller's user id.
    pub async fn send_message(&self, ctx: &Ctx<Self>, message: String) {
        ctx.clients()
            .all()
            .receive_message(caller_id(ctx), message)
            .await;
    }

    /// Sends an announcement to everybody.
    #[authorize(roles = "Admin")]
    pub async fn send_admin_message(&self, ctx: &Ctx<Self>, message: String) {
        ctx.clients().all().admin_message(message).await;
    }

    /// Sends a message to every connection of one user (nobody else).
    pub async fn send_private_message(
        &self,
        ctx: &Ctx<Self>,
        target_user_id: String,
        message: String,
    ) {
        ctx.clients()
            .group(user_group(&target_user_id))
            .private_message(caller_id(ctx), message)
            .await;
    }

    /// The caller's user id, name and roles.
    pub fn who_am_i(&self, ctx: &Ctx<Self>) -> WhoAmI {
        let user = ctx.user();
        WhoAmI {
            user_id: caller_id(ctx),
            name: user.and_then(|user| user.name()).map(str::to_owned),
            roles: user.map(|user| user.roles().to_vec()).unwrap_or_default(),
        }
    }

    async fn on_connected(&self, ctx: &Ctx<Self>) -> Result<(), HubError> {
        ctx.groups()
            .add_to_group(ctx.connection_id(), &user_group(&caller_id(ctx)))
            .await?;
        Ok(())
    }
}

/// The claims the demo issuer signs.
#[derive(Debug, Serialize)]
struct Claims<'a> {
    sub: &'a str,
    name: &'a str,
    roles: &'a [String],
    iss: &'static str,
    aud: &'static str,
    iat: u64,
    nbf: u64,
    exp: u64,
}

/// What `POST /api/token` takes.
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    /// The user id (the token's `sub`, and its `name`).
    pub user: String,
    /// The user's roles.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// What `POST /api/token` returns.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// The signed JWT, for `accessTokenFactory`.
    pub token: String,
}

/// `POST /api/token`: **a demo issuer**, which signs a token for whoever asks (see the
/// crate's docs).
async fn issue_token(
    State(settings): State<Settings>,
    Json(request): Json<TokenRequest>,
) -> Result<Json<TokenResponse>, (StatusCode, &'static str)> {
    if request.user.is_empty() {
        return Err((StatusCode::BAD_REQUEST, "user must not be empty"));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let claims = Claims {
        sub: &request.user,
        name: &request.user,
        roles: &request.roles,
        iss: ISSUER,
        aud: AUDIENCE,
        iat: now,
        nbf: now,
        exp: now + settings.token_lifetime.as_secs().max(1),
    };
    let unsigned = || (StatusCode::INTERNAL_SERVER_ERROR, "cannot sign the token");
    let key = EncodingKey::from_secret(&settings.secret).map_err(|_| unsigned())?;
    let token = jsonwebtoken::encode(&Header::default(), &claims, &key).map_err(|_| unsigned())?;
    Ok(Json(TokenResponse { token }))
}

/// The secure hub's router: `options` with the JWT authenticator of `settings`, serving its
/// manifest.
///
/// # Panics
///
/// If the secret of `settings` is shorter than 32 bytes.
pub fn hub(options: HubOptions, settings: &Settings) -> HubRouter<SecureHub> {
    let authenticator = JwtAuthenticator::hmac(&settings.secret)
        .expect("an HS256 secret of 32 bytes or more")
        .issuer(ISSUER)
        .audience(AUDIENCE);
    HubRouter::new("/hubs/secure", SecureHub)
        .options(
            options
                .authenticate(authenticator)
                .close_on_authentication_expiration(settings.close_on_expiry),
        )
        .serve_manifest()
}

/// The hub at `/hubs/secure` and the demo issuer at `POST /api/token`.
pub fn app(hub: HubRouter<SecureHub>, settings: Settings) -> Router {
    Router::new()
        .route("/api/token", post(issue_token))
        .with_state(settings)
        .merge(hub)
}
