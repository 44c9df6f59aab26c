//! What the examples share: their command-line options and serving with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use hub_runtime::{HubOptions, Transports};

/// The options every example takes.
#[derive(Debug, Clone)]
pub struct ServerArgs {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Send error details to clients.
    pub detailed_errors: bool,
    /// The largest hub message a client may send.
    pub max_message_size: Option<usize>,
    /// How long a client result is awaited.
    pub client_result_timeout: Option<Duration>,
    /// The transports the hub accepts.
    pub transports: Transports,
    /// How long a long poll waits before it returns empty.
    pub long_polling_timeout: Option<Duration>,
    /// How long a negotiated connection may wait for its transport.
    pub negotiate_timeout: Option<Duration>,
    /// Print the hub manifest (JSON) and exit instead of serving.
    pub print_manifest: bool,
    /// Serve the runtime's metrics in the Prometheus text format at `GET /metrics`.
    pub metrics: bool,
    /// Let clients reconnect statefully (`withStatefulReconnect()`).
    pub stateful_reconnect: bool,
    /// Run as one server of several on this Redis (`--redis URL`; examples that scale out also
    /// read `HUB_REDIS_URL`).
    pub redis: Option<String>,
}

impl ServerArgs {
    /// Reads the options from the command line; prints usage and exits on `--help` or a mistake.
    pub fn from_env(name: &str, default_port: u16) -> Result<Self, ExitCode> {
        let usage = format!(
            "usage: {name} [--addr HOST:PORT] [--detailed-errors] [--max-message-size BYTES] [--client-result-timeout-ms MS] [--transports LIST]\n\
             \x20      [--long-polling-timeout-ms MS] [--negotiate-timeout-ms MS] [--print-manifest] [--metrics] [--stateful-reconnect]\n\
             \n\
             \x20 --addr HOST:PORT              where to listen (default 127.0.0.1:{default_port}; port 0 picks a free one)\n\
             \x20 --detailed-errors             send error details to clients\n\
             \x20 --max-message-size BYTES      largest hub message a client may send (default 32768)\n\
             \x20 --client-result-timeout-ms MS how long a client result is awaited (default 30000)\n\
             \x20 --transports LIST            comma-separated: websockets,sse,longpolling (default all)\n\
             \x20 --long-polling-timeout-ms MS how long a long poll waits for messages (default 90000)\n\
             \x20 --negotiate-timeout-ms MS    how long a negotiated connection may wait to connect (default 15000)\n\
             \x20 --print-manifest             print the hub manifest (JSON, for hub-codegen) and exit; the server also serves it at GET <hub path>/manifest\n\
             \x20 --metrics                    serve the server's metrics in the Prometheus text format at GET /metrics\n\
             \x20 --stateful-reconnect         let clients reconnect statefully (withStatefulReconnect: no message lost in a network blip)\n\
             \x20 --redis URL                  run as one server of several on this Redis (e.g. redis://127.0.0.1:6379/; chat only, which also reads $HUB_REDIS_URL)"
        );
        match Self::parse(std::env::args().skip(1), default_port) {
            Ok(Some(args)) => Ok(args),
            Ok(None) => {
                println!("{usage}");
                Err(ExitCode::SUCCESS)
            }
            Err(message) => {
                eprintln!("{name}: {message}\n{usage}");
                Err(ExitCode::from(2))
            }
        }
    }

    /// Parses `args`; `Ok(None)` for `--help`.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        default_port: u16,
    ) -> Result<Option<Self>, String> {
        let mut parsed = ServerArgs {
            addr: SocketAddr::from(([127, 0, 0, 1], default_port)),
            detailed_errors: false,
            max_message_size: Some(32 * 1024),
            client_result_timeout: None,
            transports: Transports::default(),
            long_polling_timeout: None,
            negotiate_timeout: None,
            print_manifest: false,
            metrics: false,
            stateful_reconnect: false,
            redis: None,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--addr" => {
                    let text = value("--addr")?;
                    parsed.addr = text
                        .parse()
                        .map_err(|e| format!("--addr {text}: {e} (expected HOST:PORT)"))?;
                }
                "--detailed-errors" => parsed.detailed_errors = true,
                "--print-manifest" => parsed.print_manifest = true,
                "--metrics" => parsed.metrics = true,
                "--max-message-size" => {
                    let text = value("--max-message-size")?;
                    let size = text
                        .parse()
                        .map_err(|e| format!("--max-message-size {text}: {e}"))?;
                    parsed.max_message_size = Some(size);
                }
                "--client-result-timeout-ms" => {
                    parsed.client_result_timeout = Some(millis(&arg, value(&arg)?)?);
                }
                "--long-polling-timeout-ms" => {
                    parsed.long_polling_timeout = Some(millis(&arg, value(&arg)?)?);
                }
                "--negotiate-timeout-ms" => {
                    parsed.negotiate_timeout = Some(millis(&arg, value(&arg)?)?);
                }
                "--transports" => {
                    let text = value("--transports")?;
                    parsed.transports = parse_transports(&text)?;
                }
                "--stateful-reconnect" => parsed.stateful_reconnect = true,
                "--redis" => parsed.redis = Some(value("--redis")?),
                "-h" | "--help" => return Ok(None),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(Some(parsed))
    }

    /// For an example that runs in memory only: refuses `--redis`.
    pub fn in_memory_only(&self, name: &str) -> Result<(), ExitCode> {
        if self.redis.is_some() {
            eprintln!(
                "{name}: --redis is not supported by this example (the chat example scales out)"
            );
            return Err(ExitCode::from(2));
        }
        Ok(())
    }

    /// The Redis URL to scale out on: `--redis`, else `HUB_REDIS_URL`.
    pub fn redis_url(&self) -> Option<String> {
        self.redis.clone().or_else(|| {
            std::env::var("HUB_REDIS_URL")
                .ok()
                .filter(|url| !url.is_empty())
        })
    }

    /// Hub options with these settings.
    pub fn hub_options(&self) -> HubOptions {
        let mut options = HubOptions::default()
            .detailed_errors(self.detailed_errors)
            .maximum_receive_message_size(self.max_message_size)
            .transports(self.transports)
            .allow_stateful_reconnects(self.stateful_reconnect);
        if let Some(timeout) = self.client_result_timeout {
            options = options.client_result_timeout(timeout);
        }
        if let Some(timeout) = self.long_polling_timeout {
            options = options.long_polling_timeout(timeout);
        }
        if let Some(timeout) = self.negotiate_timeout {
            options = options.negotiate_timeout(timeout);
        }
        options
    }
}

fn millis(flag: &str, text: String) -> Result<Duration, String> {
    text.parse()
        .map(Duration::from_millis)
        .map_err(|e| format!("{flag} {text}: {e}"))
}

fn parse_transports(text: &str) -> Result<Transports, String> {
    let mut transports = Transports {
        web_sockets: false,
        server_sent_events: false,
        long_polling: false,
    };
    for name in text
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        match name.to_ascii_lowercase().as_str() {
            "websockets" | "ws" => transports.web_sockets = true,
            "sse" | "serversentevents" => transports.server_sent_events = true,
            "longpolling" | "lp" => transports.long_polling = true,
            other => return Err(format!("--transports: unknown transport {other}")),
        }
    }
    Ok(transports)
}

/// Logs to stderr, `info` unless `RUST_LOG` says otherwise.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// With `--metrics`: installs a Prometheus recorder for the runtime's metrics. Call it before
/// the hubs are mounted: a hub takes its counters from the recorder installed then.
pub fn install_metrics(args: &ServerArgs) -> Option<Metrics> {
    if !args.metrics {
        return None;
    }
    match metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder() {
        Ok(handle) => Some(Metrics(handle)),
        Err(error) => {
            tracing::error!(%error, "cannot install the metrics recorder");
            None
        }
    }
}

/// The installed Prometheus recorder (see [`install_metrics`]).
#[derive(Clone)]
pub struct Metrics(metrics_exporter_prometheus::PrometheusHandle);

impl Metrics {
    /// `app` with `GET /metrics`: the text format Prometheus scrapes.
    pub fn route(metrics: Option<Metrics>, app: axum::Router) -> axum::Router {
        let Some(Metrics(handle)) = metrics else {
            return app;
        };
        app.route(
            "/metrics",
            axum::routing::get(move || {
                let handle = handle.clone();
                async move { handle.render() }
            }),
        )
    }
}

/// Serves `app` on `addr` until Ctrl-C or SIGTERM, then runs `on_shutdown` (close the hubs).
///
/// Prints `listening on http://ADDR` on stdout once bound: scripts and tests wait for that line
/// to learn the port.
pub async fn serve<F, Fut>(
    name: &str,
    addr: SocketAddr,
    app: axum::Router,
    on_shutdown: F,
) -> ExitCode
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("{name}: cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(addr);
    println!("listening on http://{addr}");
    tracing::info!(%addr, "{name} listening");
    // Header timeout, a maximum of connections answered 503, paths that ignore case as in
    // ASP.NET Core (`/Hubs/Chat` reaches `/hubs/chat`).
    let served = hub_runtime::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: closing connections");
            on_shutdown().await;
        })
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{name}: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<ServerArgs>, String> {
        ServerArgs::parse(args.iter().map(|s| s.to_string()), 5000)
    }

    #[test]
    fn defaults_and_flags() {
        let args = parse(&[]).unwrap().unwrap();
        assert_eq!(args.addr, "127.0.0.1:5000".parse().unwrap());
        assert!(!args.detailed_errors);
        let args = parse(&[
            "--addr",
            "127.0.0.1:0",
            "--detailed-errors",
            "--max-message-size",
            "100",
            "--client-result-timeout-ms",
            "250",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(args.addr.port(), 0);
        assert!(args.detailed_errors);
        assert_eq!(args.max_message_size, Some(100));
        assert_eq!(args.client_result_timeout, Some(Duration::from_millis(250)));
        let args = parse(&[
            "--long-polling-timeout-ms",
            "5",
            "--negotiate-timeout-ms",
            "6",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(args.long_polling_timeout, Some(Duration::from_millis(5)));
        assert_eq!(args.negotiate_timeout, Some(Duration::from_millis(6)));
        assert!(parse(&["--negotiate-timeout-ms", "soon"]).is_err());
        let args = parse(&["--transports", "sse,longpolling"])
            .unwrap()
            .unwrap();
        assert!(!args.transports.web_sockets);
        assert!(args.transports.server_sent_events && args.transports.long_polling);
        assert!(parse(&["--transports", "carrier-pigeon"]).is_err());
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&["--addr"]).is_err());
        assert!(parse(&["--addr", "nope"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
