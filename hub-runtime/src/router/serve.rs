//! Serving an app with the limits a public server needs: a timeout for request headers (and for
//! the next request of a kept-alive connection), a maximum number of connections answered 503
//! beyond, endpoint paths that ignore case, and a graceful shutdown.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use super::paths::CaseInsensitive;

/// Serves `app` on `listener` with the protections of a public server: see [`Serve`].
///
/// ```no_run
/// # use hub_runtime::prelude::*;
/// # pub struct EchoHub;
/// # #[hub_runtime::hub] impl EchoHub { pub fn echo(&self, text: String) -> String { text } }
/// # async fn run() -> std::io::Result<()> {
/// let hub = HubRouter::new("/hubs/echo", EchoHub);
/// let context = hub.context();
/// let app = axum::Router::new().merge(hub);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
/// hub_runtime::serve(listener, app)
///     .max_connections(10_000)
///     .with_graceful_shutdown(async move {
///         tokio::signal::ctrl_c().await.ok();
///         context.shutdown().await; // Close with allowReconnect to every client
///     })
///     .await
/// # }
/// ```
pub fn serve(listener: TcpListener, app: Router) -> Serve {
    Serve {
        listener,
        app,
        header_read_timeout: Duration::from_secs(30),
        max_connections: default_max_connections(),
        drain_timeout: Duration::from_secs(10),
        shutdown: None,
    }
}

/// What [`serve`] runs: await it (or [`with_graceful_shutdown`](Self::with_graceful_shutdown)).
///
/// - **Request headers** must arrive within [`header_read_timeout`](Self::header_read_timeout)
///   (default 30 s, as Kestrel's `RequestHeadersTimeout`); the same time bounds how long a
///   kept-alive connection may wait for its next request. `axum::serve` sets no timer, so there a
///   client can hold a connection open by never finishing its headers.
/// - **Connections** beyond [`max_connections`](Self::max_connections) are answered
///   `503 Service Unavailable` and closed at once, so that the process keeps file descriptors
///   for the connections it serves (WebSocket and long-lived SSE connections count while open).
///   The default is the process's open-file limit less a reserve.
/// - **Paths**: the endpoints mapped in the app ignore case ([`CaseInsensitivePaths`](crate::CaseInsensitivePaths)).
/// - **HTTP/1.1** with upgrades (WebSockets).
pub struct Serve {
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    max_connections: usize,
    drain_timeout: Duration,
    shutdown: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl std::fmt::Debug for Serve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("header_read_timeout", &self.header_read_timeout)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// The process's limit of open files less a reserve (for the listener, logs, outgoing
/// connections), or 10,000 where it cannot be read.
fn default_max_connections() -> usize {
    const RESERVE: usize = 128;
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse::<usize>().ok())
        .map_or(10_000, |soft| soft.saturating_sub(RESERVE).max(1))
}

impl Serve {
    /// How long a client has to send a request's headers, and a kept-alive connection to start
    /// its next request (default 30 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How many connections are served at once; beyond, 503 (default: the open-file limit less
    /// a reserve).
    pub fn max_connections(mut self, count: usize) -> Self {
        self.max_connections = count.max(1);
        self
    }

    /// How long a graceful shutdown waits for HTTP requests in progress (default 10 s).
    /// Connections taken over by WebSockets or streams end with their handler (a hub's
    /// `HubContext::shutdown` closes its connections).
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Stops accepting once `signal` resolves, then lets the requests in progress finish (up to
    /// the drain timeout).
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.shutdown = Some(Box::pin(signal));
        self
    }

    async fn run(self) -> io::Result<()> {
        let Serve {
            listener,
            app,
            header_read_timeout,
            max_connections,
            drain_timeout,
            shutdown,
        } = self;
        let service = CaseInsensitive::new(app);
        let open = Arc::new(AtomicUsize::new(0));
        let (stopping, stop) = watch::channel(false);
        let serving = Arc::new(Serving::default());
        let mut shutdown = shutdown.unwrap_or_else(|| Box::pin(std::future::pending()));
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let count = open.fetch_add(1, Ordering::AcqRel) + 1;
            let stream = Counted {
                stream,
                open: open.clone(),
            };
            if count > max_connections {
                tokio::spawn(refuse(stream));
                continue;
            }
            let _ = stream.stream.set_nodelay(true);
            let hyper_service = TowerToHyperService::new(service.clone());
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let connection = builder
                .serve_connection(TokioIo::new(stream), hyper_service)
                .with_upgrades();
            let mut stop = stop.clone();
            let serving = serving.clone().enter();
            tokio::spawn(async move {
                let _serving = serving;
                let mut connection = std::pin::pin!(connection);
                let result = tokio::select! {
                    result = connection.as_mut() => result,
                    () = async { let _ = stop.wait_for(|stop| *stop).await; } => {
                        // Finish the request in progress, then close.
                        connection.as_mut().graceful_shutdown();
                        connection.await
                    }
                };
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
            });
        }
        drop(listener);
        let _ = stopping.send(true);
        if tokio::time::timeout(drain_timeout, serving.drained())
            .await
            .is_err()
        {
            tracing::warn!("shutdown: requests still in progress after the drain timeout");
        }
        Ok(())
    }
}

impl std::future::IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// The HTTP connections being served (not those taken over by an upgrade).
#[derive(Default)]
struct Serving {
    count: AtomicUsize,
    drained: Notify,
}

/// One HTTP connection being served; counted out when dropped.
struct Entered(Arc<Serving>);

impl Serving {
    fn enter(self: Arc<Self>) -> Entered {
        self.count.fetch_add(1, Ordering::AcqRel);
        Entered(self)
    }

    async fn drained(&self) {
        loop {
            let drained = self.drained.notified();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            drained.await;
        }
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.drained.notify_waiters();
        }
    }
}

/// Answers 503 to a connection beyond the maximum, and closes it.
async fn refuse(mut stream: Counted) {
    const BUSY: &[u8] =
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(BUSY).await?;
        stream.shutdown().await
    })
    .await;
}

/// A connection counted while its socket is open (past an upgrade too).
struct Counted {
    stream: TcpStream,
    open: Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
