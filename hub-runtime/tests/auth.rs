//! Authentication and authorization: the authenticator on the hub's paths, `#[authorize]` on a
//! hub (401/403 before a connection opens) and on methods (the ASP.NET refusal text, the
//! connection staying up), named policies, users on `Ctx` and as targets, connection tokens
//! bound to their user, and closing connections whose credentials expire.
#![allow(missing_docs, unreachable_pub)]

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use futures_util::{Stream, StreamExt};
use hub_runtime::auth::{AuthError, AuthFuture, Authenticator, bearer_token};
use hub_runtime::prelude::*;
use serde_json::{Value, json};
use support::*;

/// Users by bearer token: an authenticator of the app's own, as an app with opaque session
/// tokens would write one. `"bad"` is a token that is presented but not valid.
#[derive(Clone, Default)]
struct Tokens(HashMap<&'static str, User>);

impl Tokens {
    fn standard() -> Self {
        let mut tokens = HashMap::new();
        tokens.insert(
            "ada",
            User::new("ada")
                .with_name("Ada")
                .with_roles(["Admin", "Member"]),
        );
        tokens.insert("bob", User::new("bob").with_roles(["Member"]));
        tokens.insert("eve", User::new("eve"));
        let mut claims = serde_json::Map::new();
        claims.insert("room".into(), json!("blue"));
        tokens.insert(
            "blue",
            User::new("blue-user")
                .with_roles(["Member"])
                .with_claims(claims),
        );
        Tokens(tokens)
    }
}

impl Authenticator for Tokens {
    fn authenticate<'a>(&'a self, request: &'a axum::http::request::Parts) -> AuthFuture<'a> {
        Box::pin(async move {
            let Some(token) = bearer_token(request) else {
                return Ok(None);
            };
            match self.0.get(token.as_str()) {
                Some(user) => Ok(Some(user.clone())),
                None => Err(AuthError::new("unknown token")),
            }
        })
    }
}

#[hub_runtime::client]
pub trait SecureClient {
    async fn private_message(&self, from: String, text: String);
}

/// Every connection needs a user with role Member.
pub struct SecureHub;

#[hub_runtime::hub(client = SecureClient)]
#[authorize(roles = "Member")]
impl SecureHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    pub fn who_am_i(&self, ctx: &Ctx<Self>) -> Value {
        let user = ctx.user().expect("an authorized connection has a user");
        json!({ "id": user.id(), "name": user.name(), "roles": user.roles(), "userId": ctx.user_id() })
    }

    #[authorize(roles = "Admin")]
    pub fn admin_only(&self) -> &'static str {
        "done"
    }

    #[authorize(roles = "Admin")]
    pub fn admin_stream(&self, count: u32) -> impl Stream<Item = u32> + use<> {
        futures_util::stream::iter(0..count)
    }

    #[authorize(roles = "Admin")]
    pub async fn admin_upload(&self, mut items: ClientStream<String>) -> usize {
        let mut count = 0;
        while let Some(Ok(_)) = items.next().await {
            count += 1;
        }
        count
    }

    /// Only for the room the user's `room` claim names.
    #[authorize(policy = "own-room")]
    pub fn enter(&self, room: String) -> String {
        format!("in {room}")
    }

    pub async fn whisper(&self, ctx: &Ctx<Self>, to: String, text: String) {
        let from = ctx.user_id().unwrap_or_default().to_owned();
        ctx.clients().user(&to).private_message(from, text).await;
    }
}

fn secure_options() -> HubOptions {
    HubOptions::default()
        .authenticate(Tokens::standard())
        .policy("own-room", |cx| {
            let room = cx.call().and_then(|call| call.argument::<String>(0).ok());
            room.is_some() && cx.user().claim("room").and_then(Value::as_str) == room.as_deref()
        })
}

/// A hub anyone may use, whose authenticator still finds users.
pub struct OpenHub;

#[hub_runtime::hub]
impl OpenHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    pub fn user_id(&self, ctx: &Ctx<Self>) -> Option<String> {
        ctx.user_id().map(str::to_owned)
    }
}

async fn negotiate(addr: SocketAddr, token: Option<&str>) -> Response {
    let header = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = header
        .iter()
        .map(|h| ("Authorization", h.as_str()))
        .collect();
    http(
        addr,
        "POST",
        &format!("{PATH}/negotiate?negotiateVersion=1"),
        &headers,
        b"",
    )
    .await
}

/// The status a WebSocket upgrade gets with `query` (`""`: none).
async fn upgrade_status(addr: SocketAddr, query: &str) -> u16 {
    let url = format!("ws://{addr}{PATH}{query}");
    match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok(_)) => 101,
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
            response.status().as_u16()
        }
        Ok(Err(error)) => panic!("upgrade failed: {error}"),
        Err(_) => panic!("no upgrade answer within {WAIT:?}"),
    }
}

#[tokio::test]
async fn a_protected_hub_answers_401_without_credentials_and_403_without_the_role() {
    let server = serve(SecureHub, secure_options()).await;
    let addr = server.addr;

    let anonymous = negotiate(addr, None).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    assert!(anonymous.body.is_empty(), "a 401 has an empty body");

    let invalid = negotiate(addr, Some("bad")).await;
    assert_eq!(invalid.status, 401);
    assert_eq!(
        invalid.header("www-authenticate"),
        Some("Bearer error=\"invalid_token\"")
    );
    assert!(invalid.body.is_empty());

    let no_role = negotiate(addr, Some("eve")).await;
    assert_eq!(no_role.status, 403);
    assert!(no_role.body.is_empty());

    let member = negotiate(addr, Some("bob")).await;
    assert_eq!(member.status, 200, "{}", member.text());

    // Connecting without negotiating is checked the same way, on every transport.
    assert_eq!(upgrade_status(addr, "").await, 401);
    assert_eq!(upgrade_status(addr, "?access_token=bad").await, 401);
    assert_eq!(upgrade_status(addr, "?access_token=eve").await, 403);
    assert_eq!(upgrade_status(addr, "?access_token=bob").await, 101);
    let poll = http(addr, "GET", &format!("{PATH}?id=x"), &[], b"").await;
    assert_eq!(poll.status, 401);
    let post = http(addr, "POST", &format!("{PATH}?id=x"), &[], b"{}").await;
    assert_eq!(post.status, 401);
    server.stop().await;
}

#[tokio::test]
async fn the_user_reaches_ctx_and_is_the_default_user_id() {
    let server = serve(SecureHub, secure_options()).await;
    let mut ada = Client::connect(server.addr, "?access_token=ada").await;
    let me = ada.invoke("1", "WhoAmI", json!([])).await;
    assert_eq!(
        me["result"],
        json!({ "id": "ada", "name": "Ada", "roles": ["Admin", "Member"], "userId": "ada" })
    );
    server.stop().await;
}

#[tokio::test]
async fn an_unauthorized_call_is_refused_and_the_connection_stays_up() {
    let server = serve(SecureHub, secure_options()).await;
    let mut bob = Client::connect(server.addr, "?access_token=bob").await;
    let refused = bob.invoke("1", "AdminOnly", json!([])).await;
    assert_eq!(
        refused,
        error(
            "1",
            "Failed to invoke 'AdminOnly' because user is unauthorized"
        )
    );
    // The name as the client sent it, as ASP.NET Core reports it.
    let refused = bob.invoke("2", "adminonly", json!([])).await;
    assert_eq!(
        refused,
        error(
            "2",
            "Failed to invoke 'adminonly' because user is unauthorized"
        )
    );
    // A server stream, and an upload, likewise; the upload's items go nowhere.
    bob.send(stream_invocation("3", "AdminStream", json!([3])))
        .await;
    assert_eq!(
        bob.next_non_ping().await,
        error(
            "3",
            "Failed to invoke 'AdminStream' because user is unauthorized"
        )
    );
    bob.send(upload_invocation("4", "AdminUpload", json!([]), &["s"]))
        .await;
    assert_eq!(
        bob.next_non_ping().await,
        error(
            "4",
            "Failed to invoke 'AdminUpload' because user is unauthorized"
        )
    );
    bob.send_all(&[stream_item("s", json!("x")), completion("s")])
        .await;
    // Fire-and-forget: nothing comes back, and nothing runs.
    bob.send(send_only("AdminOnly", json!([]))).await;
    // Still connected, and allowed what Members may do.
    let echoed = bob.invoke("5", "Echo", json!(["still here"])).await;
    assert_eq!(echoed, result("5", json!("still here")));

    let mut ada = Client::connect(server.addr, "?access_token=ada").await;
    assert_eq!(
        ada.invoke("1", "AdminOnly", json!([])).await,
        result("1", json!("done"))
    );
    ada.send(stream_invocation("2", "AdminStream", json!([2])))
        .await;
    assert_eq!(
        ada.next_non_ping().await,
        json!({"type": 2, "invocationId": "2", "item": 0})
    );
    assert_eq!(
        ada.next_non_ping().await,
        json!({"type": 2, "invocationId": "2", "item": 1})
    );
    assert_eq!(ada.next_non_ping().await, completion("2"));
    ada.send(upload_invocation("3", "AdminUpload", json!([]), &["u"]))
        .await;
    ada.send_all(&[
        stream_item("u", json!("a")),
        stream_item("u", json!("b")),
        completion("u"),
    ])
    .await;
    assert_eq!(ada.next_non_ping().await, result("3", json!(2)));
    server.stop().await;
}

#[tokio::test]
async fn a_policy_sees_the_user_and_the_arguments() {
    let server = serve(SecureHub, secure_options()).await;
    let mut blue = Client::connect(server.addr, "?access_token=blue").await;
    assert_eq!(
        blue.invoke("1", "Enter", json!(["blue"])).await,
        result("1", json!("in blue"))
    );
    assert_eq!(
        blue.invoke("2", "Enter", json!(["red"])).await,
        error("2", "Failed to invoke 'Enter' because user is unauthorized")
    );
    // The policy's own decoding failed: refused, not a binding error that describes the method.
    assert_eq!(
        blue.invoke("3", "Enter", json!([42])).await,
        error("3", "Failed to invoke 'Enter' because user is unauthorized")
    );
    let mut bob = Client::connect(server.addr, "?access_token=bob").await;
    assert_eq!(
        bob.invoke("1", "Enter", json!(["blue"])).await,
        error("1", "Failed to invoke 'Enter' because user is unauthorized")
    );
    server.stop().await;
}

#[tokio::test]
async fn user_targets_reach_every_connection_of_that_user_and_nobody_else() {
    let server = serve(SecureHub, secure_options()).await;
    let mut bob_one = Client::connect_ready(server.addr, "?access_token=bob").await;
    let mut bob_two = Client::connect_ready(server.addr, "?access_token=bob").await;
    let mut ada = Client::connect_ready(server.addr, "?access_token=ada").await;
    let sent = ada.invoke("1", "Whisper", json!(["bob", "psst"])).await;
    assert_eq!(sent, completion("1"));
    let expected = json!({"type": 1, "target": "PrivateMessage", "arguments": ["ada", "psst"]});
    assert_eq!(bob_one.next_non_ping().await, expected);
    assert_eq!(bob_two.next_non_ping().await, expected);
    // Ada got nothing: her next message is the answer to her next call.
    ada.ready().await;
    server.stop().await;
}

#[tokio::test]
async fn a_connection_token_works_only_for_the_user_who_negotiated_it() {
    let server = serve(
        OpenHub,
        HubOptions::default().authenticate(Tokens::standard()),
    )
    .await;
    let addr = server.addr;
    let negotiated = negotiate(addr, Some("ada")).await;
    assert_eq!(negotiated.status, 200);
    let token = serde_json::from_slice::<Value>(&negotiated.body).unwrap()["connectionToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another user's credentials, or none, with Ada's token: 403 on every transport request.
    for query in [
        format!("?id={token}&access_token=bob"),
        format!("?id={token}"),
    ] {
        assert_eq!(upgrade_status(addr, &query).await, 403, "{query}");
        let target = format!("{PATH}{query}");
        assert_eq!(http(addr, "GET", &target, &[], b"").await.status, 403);
        let sse = [("Accept", "text/event-stream")];
        assert_eq!(http(addr, "GET", &target, &sse, b"").await.status, 403);
        assert_eq!(http(addr, "POST", &target, &[], b"{}").await.status, 403);
        assert_eq!(http(addr, "DELETE", &target, &[], b"").await.status, 403);
    }
    // Ada herself connects with it (by header or by query: the same user).
    let mut ada = Client::connect(addr, &format!("?id={token}&access_token=ada")).await;
    assert_eq!(
        ada.invoke("1", "UserId", json!([])).await,
        result("1", json!("ada"))
    );

    // A long-polling connection: its polls, posts and delete too.
    let negotiated = negotiate(addr, Some("bob")).await;
    let token = serde_json::from_slice::<Value>(&negotiated.body).unwrap()["connectionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob = [("Authorization", "Bearer bob")];
    let eve = [("Authorization", "Bearer eve")];
    let target = format!("{PATH}?id={token}");
    assert_eq!(http(addr, "GET", &target, &bob, b"").await.status, 200);
    assert_eq!(
        http(addr, "POST", &target, &eve, HANDSHAKE.as_bytes())
            .await
            .status,
        403
    );
    assert_eq!(
        http(addr, "POST", &target, &bob, HANDSHAKE.as_bytes())
            .await
            .status,
        200
    );
    assert_eq!(http(addr, "GET", &target, &eve, b"").await.status, 403);
    assert_eq!(http(addr, "DELETE", &target, &eve, b"").await.status, 403);
    let poll = http(addr, "GET", &target, &bob, b"").await;
    assert_eq!(poll.status, 200);
    assert_eq!(
        poll.json_messages(),
        vec![json!({})],
        "the handshake response"
    );
    assert_eq!(http(addr, "DELETE", &target, &bob, b"").await.status, 202);

    // Anonymous negotiations stay usable anonymously.
    let negotiated = negotiate(addr, None).await;
    let token = serde_json::from_slice::<Value>(&negotiated.body).unwrap()["connectionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        upgrade_status(addr, &format!("?id={token}&access_token=ada")).await,
        403
    );
    let mut anonymous = Client::connect(addr, &format!("?id={token}")).await;
    assert_eq!(
        anonymous.invoke("1", "UserId", json!([])).await,
        result("1", Value::Null)
    );
    server.stop().await;
}

#[tokio::test]
async fn the_authenticator_runs_only_on_the_hubs_paths() {
    let hub = HubRouter::new(PATH, OpenHub)
        .options(HubOptions::default().authenticate(Tokens::standard()));
    let other = axum::routing::get(|user: Option<axum::Extension<User>>| async move {
        if user.is_some() { "user" } else { "nobody" }
    });
    let app = axum::Router::new().merge(hub).route("/other", other);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let response = http(addr, "GET", "/other?access_token=ada", &[], b"").await;
    assert_eq!(response.text(), "nobody");
    server.abort();
}

#[tokio::test]
async fn a_user_put_in_the_request_by_an_app_layer_is_honoured() {
    // The app's own middleware authenticates (here from a header) and inserts the User.
    async fn app_auth(
        mut request: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        let name = request
            .headers()
            .get("x-user")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(name) = name {
            let roles = if name == "ada" {
                vec!["Admin", "Member"]
            } else {
                vec!["Member"]
            };
            request
                .extensions_mut()
                .insert(User::new(name).with_roles(roles));
        }
        next.run(request).await
    }
    let hub = HubRouter::new(PATH, SecureHub)
        .options(HubOptions::default().policy("own-room", |_| false));
    let app = axum::Router::new()
        .merge(hub)
        .layer(axum::middleware::from_fn(app_auth));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    assert_eq!(negotiate(addr, None).await.status, 401);
    let member = http(
        addr,
        "POST",
        &format!("{PATH}/negotiate?negotiateVersion=1"),
        &[("x-user", "bob")],
        b"",
    )
    .await;
    assert_eq!(member.status, 200);
    server.abort();
}

#[test]
#[should_panic(expected = "names policy \"own-room\", which is not registered")]
fn mounting_a_hub_whose_policy_is_not_registered_panics() {
    let _: axum::Router = HubRouter::new(PATH, SecureHub).into();
}

/// A user whose credentials expire a moment from now.
#[derive(Clone)]
struct Expiring(Duration);

impl Authenticator for Expiring {
    fn authenticate<'a>(&'a self, request: &'a axum::http::request::Parts) -> AuthFuture<'a> {
        let user = bearer_token(request)
            .map(|token| User::new(token).with_expiry(SystemTime::now() + self.0));
        Box::pin(async move { Ok(user) })
    }
}

#[tokio::test]
async fn a_connection_closes_when_its_credentials_expire_if_asked() {
    let fast = HubOptions::default().keep_alive_interval(ms(100));
    let closing = serve(
        OpenHub,
        fast.clone()
            .authenticate(Expiring(ms(600)))
            .close_on_authentication_expiration(true),
    )
    .await;
    let keeping = serve(OpenHub, fast.authenticate(Expiring(ms(600)))).await;
    let mut expiring = Client::connect(closing.addr, "?access_token=ada").await;
    let mut kept = Client::connect(keeping.addr, "?access_token=ada").await;

    let close = loop {
        let message = expiring.next().await;
        if message["type"] == 7 {
            break message;
        }
    };
    assert_eq!(
        close,
        json!({
            "type": 7,
            "error": "Connection closed because its authentication expired.",
            "allowReconnect": true
        })
    );
    expiring.expect_closed().await;

    // The other hub's heartbeat has looked at its connection since the credentials expired (a
    // ping came after the answer to a call made since), and left it open.
    assert_eq!(
        kept.invoke("0", "Echo", json!(["after"])).await,
        result("0", json!("after"))
    );
    let mut pings = 0;
    while pings < 2 {
        if kept.next().await == json!({"type": 6}) {
            pings += 1;
        }
    }
    assert_eq!(
        kept.invoke("1", "Echo", json!(["open"])).await,
        result("1", json!("open"))
    );
    closing.stop().await;
    keeping.stop().await;
}
