//! Scale-out on Redis, on the backplane format of ASP.NET Core SignalR
//! (`Microsoft.AspNetCore.SignalR.StackExchangeRedis`): servers of this crate and ASP.NET servers
//! of the same hub can share one Redis and reach each other's clients.

mod bus;
mod channels;
mod envelope;
mod manager;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::local::LocalConnections;

pub use manager::RedisLifetimeManager;

/// Redis could not be reached or its address is wrong.
#[derive(Debug, Clone)]
pub struct RedisError(String);

impl fmt::Display for RedisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedisError {}

/// The settings of a [`RedisBackplane`].
#[derive(Clone, Debug)]
pub struct RedisOptions {
    url: String,
    channel_prefix: String,
    server_name: Option<String>,
    connect_retry: Duration,
    ack_timeout: Duration,
    presence_timeout: Duration,
}

impl RedisOptions {
    /// Redis at `url` (`redis://host:port/`, `redis://:password@host:port/db`,
    /// `rediss://...` is not built in).
    pub fn new(url: impl Into<String>) -> Self {
        RedisOptions {
            url: url.into(),
            channel_prefix: String::new(),
            server_name: None,
            connect_retry: Duration::ZERO,
            ack_timeout: Duration::from_secs(30),
            presence_timeout: Duration::from_secs(2),
        }
    }

    /// What every channel name starts with (ASP.NET's `RedisOptions.Configuration.ChannelPrefix`):
    /// several applications can share one Redis under different prefixes. Empty by default.
    pub fn channel_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.channel_prefix = prefix.into();
        self
    }

    /// This server's name on the backplane (acknowledgements and client results come back on
    /// channels named after it). Default: the host name and a random suffix, as in ASP.NET;
    /// it must differ between servers.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// How long [`RedisBackplane::connect`] keeps trying when Redis cannot be reached at start
    /// (default: zero, one attempt, then an error).
    pub fn connect_retry(mut self, wait: Duration) -> Self {
        self.connect_retry = wait;
        self
    }

    /// How long adding a connection of another server to a group waits for that server's
    /// acknowledgement (default 30 s, as ASP.NET).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// How long a presence query waits for every server's answer (default 2 s).
    pub fn presence_timeout(mut self, timeout: Duration) -> Self {
        self.presence_timeout = timeout;
        self
    }
}

/// A Redis connection for the lifetime managers of this server's hubs.
///
/// ```no_run
/// # use hub_runtime::{HubRouter, RedisBackplane, RedisOptions};
/// # async fn run<H: hub_runtime::Hub>(hub: H) -> Result<(), Box<dyn std::error::Error>> {
/// let redis = RedisBackplane::connect(RedisOptions::new("redis://127.0.0.1:6379/")).await?;
/// let router = HubRouter::new("/hubs/chat", hub)
///     // The name ASP.NET servers of the same hub use: the hub class's full name.
///     .lifetime_manager(redis.hub("ChatSample.Hubs.ChatHub"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisBackplane {
    client: redis::Client,
    publisher: ConnectionManager,
    options: Arc<RedisOptions>,
    server_name: Arc<str>,
}

impl fmt::Debug for RedisBackplane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackplane")
            .field("server_name", &self.server_name)
            .field("channel_prefix", &self.options.channel_prefix)
            .finish()
    }
}

impl RedisBackplane {
    /// Connects to Redis: an error when the URL is wrong or Redis cannot be reached (within
    /// [`RedisOptions::connect_retry`]). Once connected, the backplane reconnects by itself:
    /// see [`RedisLifetimeManager`] for what an outage costs.
    pub async fn connect(options: RedisOptions) -> Result<Self, RedisError> {
        let client = redis::Client::open(options.url.as_str())
            .map_err(|e| RedisError(format!("invalid Redis URL {:?}: {e}", options.url)))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(bus::CONNECT_TIMEOUT))
            .set_response_timeout(Some(bus::CONNECT_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let deadline = tokio::time::Instant::now() + options.connect_retry;
        let mut backoff = Duration::from_millis(100);
        let publisher = loop {
            match client
                .get_connection_manager_with_config(config.clone())
                .await
            {
                Ok(publisher) => break publisher,
                Err(error) => {
                    if tokio::time::Instant::now() + backoff > deadline {
                        return Err(RedisError(format!(
                            "cannot reach Redis at {}: {error}",
                            redact(&options.url)
                        )));
                    }
                    tracing::warn!(%error, "cannot reach Redis yet; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
            }
        };
        let server_name = options
            .server_name
            .clone()
            .unwrap_or_else(default_server_name)
            .into();
        tracing::info!(server = %server_name, url = %redact(&options.url), "connected to Redis");
        Ok(RedisBackplane {
            client,
            publisher,
            options: Arc::new(options),
            server_name,
        })
    }

    /// This server's name on the backplane.
    pub fn server_name(&self) -> &str {
        &self.server_name
    }

    /// The lifetime manager of a hub, for
    /// [`HubRouter::lifetime_manager`](crate::HubRouter::lifetime_manager): `hub_name` names
    /// the hub on the backplane, the same on every server; to share the backplane with ASP.NET
    /// servers, their hub class's full name (`typeof(THub).FullName`, e.g.
    /// `ChatSample.Hubs.ChatHub`). Call it inside the tokio runtime: the manager starts its
    /// subscriber task.
    pub fn hub(
        &self,
        hub_name: impl Into<String>,
    ) -> impl FnOnce(Arc<LocalConnections>) -> RedisLifetimeManager + Send + 'static {
        let backplane = self.clone();
        let hub_name = hub_name.into();
        move |local| RedisLifetimeManager::new(&backplane, &hub_name, local)
    }
}

/// `redis://user:secret@host` without the secret.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// The host name and a random suffix, as ASP.NET names its servers.
fn default_server_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty())
        })
        .unwrap_or_else(|| "server".to_owned());
    format!("{host}_{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_logs() {
        assert_eq!(redact("redis://:pw@h:1/0"), "redis://***@h:1/0");
        assert_eq!(redact("redis://h:1"), "redis://h:1");
    }

    #[test]
    fn server_names_differ() {
        assert_ne!(default_server_name(), default_server_name());
    }
}
