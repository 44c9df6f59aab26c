//! The seams apps and later layers build on: filters around calls and lifecycle, cancellation
//! tokens, request extensions and the transport on `Ctx`, case-insensitive paths and the tower
//! forms of a hub, and a lifetime manager of the app's own.
#![allow(missing_docs, unreachable_pub)]

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::ServiceExt;
use futures_util::Stream;
use hub_runtime::lifetime::{
    ClientReply, ConnectionHandle, HubLifetimeManager, InMemoryLifetimeManager, LifetimeError,
    LifetimeFuture, LocalConnections, ProtocolSet, SerializedMessage, Target,
};
use hub_runtime::prelude::*;
use hub_runtime::protocol::OwnedValue;
use hub_runtime::{
    CaseInsensitivePaths, ConnectionId, HubFilter, HubInvocation, InvocationResult, Next,
};
use serde_json::{Value, json};
use support::*;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Serves `app` on `127.0.0.1:0` until the test ends.
async fn serve_app<S>(app: S) -> SocketAddr
where
    S: tower_service::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            ServiceExt::<axum::extract::Request>::into_make_service(app),
        )
        .await
        .unwrap();
    });
    addr
}

/// A JSON hub client on a WebSocket at `path` (with its handshake done).
async fn ws_client(addr: SocketAddr, path: &str) -> Client {
    let (ws, _) = timeout(
        WAIT,
        tokio_tungstenite::connect_async(format!("ws://{addr}{path}")),
    )
    .await
    .expect("connect timed out")
    .expect("connect failed");
    let mut client = Client::new(ws);
    client.handshake().await;
    client
}

// ---------------------------------------------------------------------------------------------
// Filters

type Log = Arc<Mutex<Vec<String>>>;

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// Logs around every call and hook under `name`; refuses `Secret` and `SecretStream`.
struct Recorder {
    name: &'static str,
    log: Log,
    refuse: bool,
}

impl HubFilter for Recorder {
    fn invoke(&self, call: &HubInvocation, next: Next<InvocationResult>) -> Next<InvocationResult> {
        let method = call.method();
        let first = call
            .arguments()
            .first()
            .and_then(|argument| argument.decode::<Value>().ok());
        self.log
            .lock()
            .unwrap()
            .push(format!("{} > {method} {first:?}", self.name));
        if self.refuse && method.starts_with("Secret") {
            let text = format!("Failed to invoke '{method}' because user is unauthorized");
            return Next::ready(InvocationResult::failed(HubError::refused(text)));
        }
        let (name, log) = (self.name, self.log.clone());
        Next::new(async move {
            let result = next.await;
            let ok = result.error().is_none();
            log.lock()
                .unwrap()
                .push(format!("{name} < {method} ok={ok}"));
            result
        })
    }

    fn on_connected(
        &self,
        connection: &ConnectionHandle,
        next: Next<Result<(), HubError>>,
    ) -> Next<Result<(), HubError>> {
        self.log.lock().unwrap().push(format!(
            "{} connected {}",
            self.name,
            connection.transport()
        ));
        next
    }

    fn on_disconnected(
        &self,
        _: &ConnectionHandle,
        error: Option<&HubError>,
        next: Next<()>,
    ) -> Next<()> {
        let (name, log) = (self.name, self.log.clone());
        let had_error = error.is_some();
        Next::new(async move {
            next.await;
            log.lock()
                .unwrap()
                .push(format!("{name} disconnected error={had_error}"));
        })
    }
}

pub struct FilteredHub {
    log: Log,
    ran: Arc<AtomicUsize>,
}

#[hub_runtime::hub]
impl FilteredHub {
    pub fn echo(&self, text: String) -> String {
        self.log.lock().unwrap().push(format!("echo {text}"));
        text
    }

    pub fn fail(&self) -> Result<(), HubError> {
        Err(HubError::new("failed on purpose"))
    }

    pub fn secret(&self) -> u32 {
        self.ran.fetch_add(1, Ordering::SeqCst);
        42
    }

    pub fn secret_stream(&self) -> impl Stream<Item = u32> + use<> {
        self.ran.fetch_add(1, Ordering::SeqCst);
        futures_util::stream::iter(0..3)
    }

    pub fn count(&self, to: u32) -> impl Stream<Item = u32> + use<> {
        futures_util::stream::iter(0..to)
    }

    async fn on_connected(&self, _ctx: &Ctx<Self>) {
        self.log.lock().unwrap().push("hub on_connected".into());
    }

    async fn on_disconnected(&self, _ctx: &Ctx<Self>) {
        self.log.lock().unwrap().push("hub on_disconnected".into());
    }
}

#[tokio::test]
async fn filters_run_in_the_order_added_around_calls_streams_and_lifecycle() {
    let log = Log::default();
    let ran = Arc::new(AtomicUsize::new(0));
    let hub = FilteredHub {
        log: log.clone(),
        ran: ran.clone(),
    };
    let options = HubOptions::default()
        .add_filter(Recorder {
            name: "A",
            log: log.clone(),
            refuse: true,
        })
        .add_filter(Recorder {
            name: "B",
            log: log.clone(),
            refuse: false,
        });
    let server = serve(hub, options).await;
    let mut client = Client::connect(server.addr, "").await;

    let done = client.invoke("1", "Echo", json!(["hi"])).await;
    assert_eq!(done, result("1", json!("hi")));
    let failed = client.invoke("2", "Fail", json!([])).await;
    assert_eq!(
        failed,
        error(
            "2",
            "An unexpected error occurred invoking 'Fail' on the server. HubException: failed on purpose"
        )
    );
    // Refused by the first filter: the text is the filter's, the method never ran, and the
    // filter after it never saw the call.
    let refused = client.invoke("3", "Secret", json!([])).await;
    assert_eq!(
        refused,
        error(
            "3",
            "Failed to invoke 'Secret' because user is unauthorized"
        )
    );
    client
        .send(stream_invocation("4", "SecretStream", json!([])))
        .await;
    assert_eq!(
        client.next_non_ping().await,
        error(
            "4",
            "Failed to invoke 'SecretStream' because user is unauthorized"
        )
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0, "a refused method ran");
    // A stream is filtered as a whole: the filters see its end after its items.
    client
        .send(stream_invocation("5", "Count", json!([2])))
        .await;
    let mut stream = Vec::new();
    for _ in 0..3 {
        stream.push(client.next_non_ping().await);
    }
    assert_eq!(
        stream,
        vec![
            stream_item("5", json!(0)),
            stream_item("5", json!(1)),
            completion("5")
        ]
    );
    drop(client);
    server.stop().await;

    let log = entries(&log);
    let expected = [
        "A connected WebSockets",
        "B connected WebSockets",
        "hub on_connected",
        "A > Echo Some(String(\"hi\"))",
        "B > Echo Some(String(\"hi\"))",
        "echo hi",
        "B < Echo ok=true",
        "A < Echo ok=true",
        "A > Fail None",
        "B > Fail None",
        "B < Fail ok=false",
        "A < Fail ok=false",
        "A > Secret None",
        "A > SecretStream None",
        "A > Count Some(Number(2))",
        "B > Count Some(Number(2))",
        "B < Count ok=true",
        "A < Count ok=true",
        "hub on_disconnected",
        "B disconnected error=false",
        "A disconnected error=false",
    ];
    assert_eq!(log, expected);
}

/// Without filters, nothing changes: the sync fast path runs (covered by the other suites);
/// with a filter that refuses on connect, the connection is refused like an `on_connected`
/// error.
struct RefuseConnect;

impl HubFilter for RefuseConnect {
    fn on_connected(
        &self,
        _: &ConnectionHandle,
        _: Next<Result<(), HubError>>,
    ) -> Next<Result<(), HubError>> {
        Next::ready(Err(HubError::new("not today")))
    }
}

#[tokio::test]
async fn a_filter_can_refuse_a_connection() {
    let hub = FilteredHub {
        log: Log::default(),
        ran: Arc::default(),
    };
    let server = serve(hub, HubOptions::default().add_filter(RefuseConnect)).await;
    let mut client = Client::connect(server.addr, "").await;
    assert_eq!(
        client.next().await,
        json!({"type": 7, "error": "Connection closed with an error. HubException: not today"})
    );
    client.expect_closed().await;
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Cancellation

pub struct CancelHub {
    cleaned: mpsc::UnboundedSender<&'static str>,
}

#[hub_runtime::hub]
impl CancelHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    /// Ticks until cancelled, then cleans up asynchronously in its own code.
    pub fn ticks(&self, token: CancellationToken) -> impl Stream<Item = u32> + use<> {
        let cleaned = self.cleaned.clone();
        async_stream(token, cleaned)
    }

    /// Waits until the caller's connection ends, then reports it.
    pub async fn hold(&self, token: CancellationToken) {
        token.cancelled().await;
        tokio::task::yield_now().await;
        let _ = self.cleaned.send("hold saw the connection end");
    }

    /// The transport of the caller and the state of its connection token.
    pub fn about(&self, ctx: &Ctx<Self>) -> (String, bool) {
        (
            ctx.transport().to_string(),
            ctx.connection_aborted().is_cancelled(),
        )
    }
}

fn async_stream(
    token: CancellationToken,
    cleaned: mpsc::UnboundedSender<&'static str>,
) -> impl Stream<Item = u32> + Send + 'static {
    futures_util::stream::unfold((0u32, token, cleaned), |(n, token, cleaned)| async move {
        tokio::select! {
            () = token.cancelled() => {
                // Cleanup that awaits: the producer keeps running after the cancellation.
                tokio::task::yield_now().await;
                let _ = cleaned.send("ticks cleaned up");
                None
            }
            () = tokio::time::sleep(Duration::from_millis(5)) => Some((n, (n + 1, token, cleaned))),
        }
    })
}

#[tokio::test]
async fn a_cancellation_token_sees_the_stream_cancelled_and_the_connection_end() {
    let (cleaned, mut reports) = mpsc::unbounded_channel();
    let server = serve(CancelHub { cleaned }, HubOptions::default()).await;
    let mut client = Client::connect(server.addr, "").await;
    let about = client.invoke("a", "About", json!([])).await;
    assert_eq!(about, result("a", json!(["WebSockets", false])));

    client
        .send(stream_invocation("s", "Ticks", json!([])))
        .await;
    assert_eq!(client.next_non_ping().await, stream_item("s", json!(0)));
    client.send(cancel("s")).await;
    // Items already on their way may come before the Completion; nothing after it.
    loop {
        let message = client.next_non_ping().await;
        if message["type"] == 3 {
            assert_eq!(message, completion("s"));
            break;
        }
        assert_eq!(message["type"], 2, "{message}");
    }
    let report = timeout(WAIT, reports.recv()).await.expect("no cleanup");
    assert_eq!(report, Some("ticks cleaned up"));

    // A call waiting on the connection's token ends with the connection (it holds the
    // connection's only call slot meanwhile: nothing else is invoked).
    client.send(send_only("Hold", json!([]))).await;
    drop(client);
    let report = timeout(WAIT, reports.recv()).await.expect("no report");
    assert_eq!(report, Some("hold saw the connection end"));
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Request extensions

#[derive(Clone)]
struct Claims {
    sub: String,
}

pub struct ClaimsHub;

#[hub_runtime::hub]
impl ClaimsHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    /// The claims an auth layer put on the request, and the user id the provider found.
    pub fn who(&self, ctx: &Ctx<Self>) -> (Option<String>, Option<String>) {
        let claims = ctx.request().extensions().get::<Claims>();
        (
            claims.map(|claims| claims.sub.clone()),
            ctx.user_id().map(str::to_owned),
        )
    }
}

/// An auth layer of the app's own: the `x-user` header becomes `Claims`.
async fn fake_auth(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let user = request
        .headers()
        .get("x-user")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if let Some(sub) = user {
        request.extensions_mut().insert(Claims { sub });
    }
    next.run(request).await
}

#[tokio::test]
async fn request_extensions_reach_ctx_and_the_user_id_provider() {
    let options = HubOptions::default().user_id_provider(|request| {
        request
            .extensions()
            .get::<Claims>()
            .map(|claims| format!("user:{}", claims.sub))
    });
    let app = axum::Router::new()
        .merge(HubRouter::new("/hub", ClaimsHub).options(options))
        .route_layer(axum::middleware::from_fn(fake_auth));
    let addr = serve_app(app).await;
    let mut request = format!("ws://{addr}/hub").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("x-user", "ada".parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut client = Client::new(ws);
    client.handshake().await;
    let who = client.invoke("1", "Who", json!([])).await;
    assert_eq!(who, result("1", json!(["ada", "user:ada"])));
    let mut anonymous = ws_client(addr, "/hub").await;
    let who = anonymous.invoke("1", "Who", json!([])).await;
    assert_eq!(who, result("1", json!([null, null])));
}

use tokio_tungstenite::tungstenite::client::IntoClientRequest;

// ---------------------------------------------------------------------------------------------
// Paths and tower forms

#[tokio::test]
async fn hub_paths_ignore_case_when_the_app_is_wrapped() {
    let app = axum::Router::new().merge(HubRouter::new("/hubs/Seams", ClaimsHub));
    let addr = serve_app(CaseInsensitivePaths::wrap(app)).await;
    let negotiated = http(
        addr,
        "POST",
        "/HUBS/SEAMS/negotiate?negotiateVersion=1",
        &[],
        b"",
    )
    .await;
    assert_eq!(negotiated.status, 200, "{}", negotiated.text());
    let mut client = ws_client(addr, "/hubs/seams").await;
    client.ready().await;
    assert_eq!(http_status(addr, "GET", "/hubs/seamsx").await, 404);
}

#[tokio::test]
async fn a_hub_as_a_tower_layer_and_as_a_service() {
    let api = axum::Router::new().route("/health", axum::routing::get(|| async { "ok" }));
    let layered = HubRouter::new("/hubs/layered", ClaimsHub)
        .into_layer()
        .layer(api);
    let addr = serve_app(layered).await;
    let health = http(addr, "GET", "/health", &[], b"").await;
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));
    let negotiated = http(addr, "POST", "/Hubs/Layered/negotiate", &[], b"").await;
    assert_eq!(negotiated.status, 200, "{}", negotiated.text());
    let mut client = ws_client(addr, "/HUBS/layered").await;
    client.ready().await;

    let alone = serve_app(HubRouter::new("/hubs/alone", ClaimsHub).into_service()).await;
    assert_eq!(
        http_status(alone, "POST", "/hubs/alone/negotiate").await,
        200
    );
    assert_eq!(http_status(alone, "GET", "/health").await, 404);
    let mut client = ws_client(alone, "/hubs/alone").await;
    client.ready().await;
}

use tower_layer::Layer;

// ---------------------------------------------------------------------------------------------
// A lifetime manager of the app's own

/// The in-memory manager, counting what goes through it: dispatch and proxies work with it
/// unchanged.
struct Counting {
    inner: InMemoryLifetimeManager,
    sends: Arc<AtomicUsize>,
    joins: Arc<AtomicUsize>,
    lifecycle: mpsc::UnboundedSender<(&'static str, ConnectionId)>,
}

impl HubLifetimeManager for Counting {
    fn on_connected(&self, connection: &Arc<ConnectionHandle>) -> LifetimeFuture<()> {
        let _ = self.lifecycle.send(("connected", connection.id().clone()));
        self.inner.on_connected(connection)
    }
    fn on_disconnected(&self, connection: &Arc<ConnectionHandle>) -> LifetimeFuture<()> {
        let _ = self
            .lifecycle
            .send(("disconnected", connection.id().clone()));
        self.inner.on_disconnected(connection)
    }
    fn protocols(&self, target: &Target) -> ProtocolSet {
        self.inner.protocols(target)
    }
    fn send(
        &self,
        target: &Target,
        message: &SerializedMessage,
    ) -> LifetimeFuture<Result<(), LifetimeError>> {
        self.sends.fetch_add(1, Ordering::SeqCst);
        self.inner.send(target, message)
    }
    fn add_to_group(
        &self,
        connection_id: &str,
        group: &str,
    ) -> LifetimeFuture<Result<(), LifetimeError>> {
        self.joins.fetch_add(1, Ordering::SeqCst);
        // As a backplane would: the acknowledgement comes later.
        let done = self.inner.add_to_group(connection_id, group);
        LifetimeFuture::new(async move {
            tokio::task::yield_now().await;
            done.await
        })
    }
    fn remove_from_group(
        &self,
        connection_id: &str,
        group: &str,
    ) -> LifetimeFuture<Result<(), LifetimeError>> {
        self.inner.remove_from_group(connection_id, group)
    }
    fn invoke_connection(
        &self,
        connection_id: &str,
        invocation_id: &str,
        message: &SerializedMessage,
        timeout: Duration,
    ) -> LifetimeFuture<Result<OwnedValue, ClientResultError>> {
        self.inner
            .invoke_connection(connection_id, invocation_id, message, timeout)
    }
    fn set_connection_result(
        &self,
        connection: &ConnectionHandle,
        invocation_id: &str,
        reply: ClientReply,
    ) -> bool {
        self.inner
            .set_connection_result(connection, invocation_id, reply)
    }
    fn group_connections(
        &self,
        group: &str,
    ) -> LifetimeFuture<Result<Vec<ConnectionId>, LifetimeError>> {
        self.inner.group_connections(group)
    }
    fn connection_groups(
        &self,
        connection_id: &str,
    ) -> LifetimeFuture<Result<Vec<String>, LifetimeError>> {
        self.inner.connection_groups(connection_id)
    }
    fn group_size(&self, group: &str) -> LifetimeFuture<Result<usize, LifetimeError>> {
        self.inner.group_size(group)
    }
    fn user_connection_count(&self, user_id: &str) -> LifetimeFuture<Result<usize, LifetimeError>> {
        self.inner.user_connection_count(user_id)
    }
}

pub struct GroupHub;

#[hub_runtime::hub(client = Notes)]
impl GroupHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    pub async fn join(&self, ctx: &Ctx<Self>, group: String) -> Result<(), HubError> {
        ctx.groups()
            .add_to_group(ctx.connection_id(), &group)
            .await?;
        Ok(())
    }

    pub async fn tell(&self, ctx: &Ctx<Self>, group: String, text: String) {
        ctx.clients().group(&group).note(text).await;
    }
}

#[tokio::test]
async fn a_lifetime_manager_of_the_apps_own_serves_hub_code_unchanged() {
    let sends = Arc::new(AtomicUsize::new(0));
    let joins = Arc::new(AtomicUsize::new(0));
    let (lifecycle, mut events) = mpsc::unbounded_channel();
    let router = HubRouter::new("/hub", GroupHub).lifetime_manager({
        let (sends, joins) = (sends.clone(), joins.clone());
        move |local: Arc<LocalConnections>| Counting {
            inner: InMemoryLifetimeManager::new(local),
            sends,
            joins,
            lifecycle,
        }
    });
    let context = router.context();
    let addr = serve_app(axum::Router::new().merge(router)).await;
    let mut member = ws_client(addr, "/hub").await;
    let mut outsider = ws_client(addr, "/hub").await;
    let mut event = async || timeout(WAIT, events.recv()).await.unwrap().unwrap();
    let (what, member_id) = event().await;
    assert_eq!(what, "connected");
    assert_eq!(event().await.0, "connected");
    assert_eq!(
        member.invoke("1", "Join", json!(["g"])).await,
        completion("1")
    );
    outsider.ready().await;
    assert_eq!(
        outsider
            .invoke("2", "Tell", json!(["g", "to the group"]))
            .await,
        completion("2")
    );
    assert_eq!(member.next_non_ping().await, note("to the group"));
    context.clients().all().note("to all".into()).await;
    assert_eq!(member.next_non_ping().await, note("to all"));
    assert_eq!(outsider.next_non_ping().await, note("to all"));
    assert_eq!(joins.load(Ordering::SeqCst), 1);
    assert_eq!(sends.load(Ordering::SeqCst), 2);
    assert_eq!(context.connection_count(), 2);
    drop(member);
    assert_eq!(event().await, ("disconnected", member_id));
}
