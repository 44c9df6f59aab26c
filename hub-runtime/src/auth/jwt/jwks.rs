//! Signing keys from an identity provider's JWKS URL: fetched at first use, again when a token
//! names a key id the set does not have (at most once per refresh interval, one fetch shared by
//! every request that waits for it), and when the set is older than its maximum age.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper::Request;
use hyper::header::{ACCEPT, CONTENT_LENGTH};
use hyper::http::Uri;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::time::Instant;

use super::error::{JwtConfigError, Rejection};
use super::key::JwtKey;

/// The largest JWK set taken (real ones are a few KiB).
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// The signing keys behind a JWKS URL.
pub(super) struct Jwks {
    url: Uri,
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    /// How long one fetch may take, connection included.
    pub(super) timeout: Duration,
    /// The least time between two fetches.
    pub(super) refresh_interval: Duration,
    /// How old a set may get before it is fetched again.
    pub(super) max_age: Duration,
    current: Mutex<Arc<KeySet>>,
    /// When the last fetch ended; held by the one request that fetches, the others wait on it.
    fetching: tokio::sync::Mutex<Option<Instant>>,
}

/// The keys of one fetch.
#[derive(Default)]
pub(super) struct KeySet {
    /// Counts the fetches, failed ones included.
    generation: u64,
    pub(super) keys: Vec<JwtKey>,
    /// When the keys were fetched; `None` before a fetch succeeded.
    fetched_at: Option<Instant>,
    /// Why the last fetch failed, if it did.
    error: Option<String>,
}

impl KeySet {
    /// Whether the set has a key of id `kid`.
    pub(super) fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|key| key.kid() == Some(kid))
    }
}

impl Jwks {
    /// The keys behind `url`, not fetched yet; `url` must be `https://`, or `http://` on a
    /// loopback host.
    pub(super) fn new(url: &str) -> Result<Self, JwtConfigError> {
        let invalid = |reason: &str| JwtConfigError::InvalidUrl(format!("{url}: {reason}"));
        let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
        let host = uri.host().ok_or_else(|| invalid("no host"))?;
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if is_loopback(host) => {}
            Some("http") => {
                return Err(invalid(
                    "keys are fetched over https (http on loopback only)",
                ));
            }
            _ => return Err(invalid("not an http(s) URL")),
        }
        // ring, not aws-lc-rs (rustls' default): it builds in a fraction of the time. rustls
        // deprecates it for want of post-quantum key exchange, which guards the secrecy of a
        // connection; a key set is public, and what TLS must give it here, the server's
        // authenticity, rests on certificate signatures, not on the key exchange.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .map_err(|error| JwtConfigError::Tls(error.to_string()))?
            .https_or_http()
            .enable_http1()
            .build();
        // Fetches are rare (a refresh interval apart at least): no idle connection is kept, so
        // none is found closed by the server when the next fetch comes.
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Ok(Jwks {
            url: uri,
            client,
            timeout: Duration::from_secs(10),
            refresh_interval: Duration::from_secs(30),
            max_age: Duration::from_secs(12 * 3600),
            current: Mutex::new(Arc::default()),
            fetching: tokio::sync::Mutex::new(None),
        })
    }

    /// The URL the keys are fetched from.
    pub(super) fn url(&self) -> &Uri {
        &self.url
    }

    fn snapshot(&self) -> Arc<KeySet> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The keys, fetched first if they never were or are older than the maximum age.
    pub(super) async fn keys(&self) -> Result<Arc<KeySet>, Rejection> {
        let current = self.snapshot();
        if current
            .fetched_at
            .is_some_and(|at| at.elapsed() < self.max_age)
        {
            return Ok(current);
        }
        let current = self.refresh(&current).await;
        if current.keys.is_empty() {
            let reason = current.error.as_deref().unwrap_or("not fetched yet");
            return Err(Rejection::KeysUnavailable(reason.to_owned()));
        }
        Ok(current)
    }

    /// The keys after `seen`: fetched again, unless another request did while this one waited
    /// or the last fetch ended less than the refresh interval ago.
    pub(super) async fn refresh(&self, seen: &KeySet) -> Arc<KeySet> {
        let mut last_fetch = self.fetching.lock().await;
        let current = self.snapshot();
        let recent = last_fetch.is_some_and(|at| at.elapsed() < self.refresh_interval);
        if current.generation != seen.generation || recent {
            return current;
        }
        // Marked once the fetch ended: a fetch whose request was dropped midway leaves the next
        // request free to fetch.
        let result = self.fetch().await;
        *last_fetch = Some(Instant::now());
        let next = match result {
            Ok(keys) => {
                tracing::debug!(url = %self.url, keys = keys.len(), "JWKS fetched");
                KeySet {
                    generation: current.generation + 1,
                    keys,
                    fetched_at: Some(Instant::now()),
                    error: None,
                }
            }
            Err(reason) => {
                tracing::warn!(url = %self.url, %reason, "JWKS fetch failed");
                KeySet {
                    generation: current.generation + 1,
                    keys: current.keys.clone(),
                    fetched_at: current.fetched_at,
                    error: Some(reason),
                }
            }
        };
        let next = Arc::new(next);
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = next.clone();
        next
    }

    /// The usable keys the URL serves.
    async fn fetch(&self) -> Result<Vec<JwtKey>, String> {
        let request = Request::get(self.url.clone())
            .header(ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|error| error.to_string())?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|error| chain(&error))?;
            if !response.status().is_success() {
                return Err(format!("status {}", response.status()));
            }
            let length = response
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
            if length.is_some_and(|length| length > MAX_JWKS_BYTES as u64) {
                return Err(too_large());
            }
            let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
                .collect()
                .await
                .map_err(|error| match error.is::<LengthLimitError>() {
                    true => too_large(),
                    false => chain(&*error),
                })?;
            Ok(body.to_bytes())
        };
        let body = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| format!("no answer within {:?}", self.timeout))??;
        let keys = JwtKey::parse_jwk_set(&body, false).map_err(|error| error.to_string())?;
        if keys.is_empty() {
            return Err("no usable signature key in the set".into());
        }
        Ok(keys)
    }
}

fn too_large() -> String {
    format!("the key set is larger than {MAX_JWKS_BYTES} bytes")
}

/// An error with its causes: hyper-util's say only "client error (Connect)".
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for good in [
            "https://idp.example/.well-known/jwks.json",
            "http://127.0.0.1:8080/jwks",
            "http://localhost/jwks",
            "http://[::1]:9/jwks",
        ] {
            assert!(Jwks::new(good).is_ok(), "{good}");
        }
        for bad in [
            "http://idp.example/jwks",
            "ftp://127.0.0.1/jwks",
            "/jwks",
            "not a url",
        ] {
            let error = Jwks::new(bad).err().unwrap();
            assert!(matches!(error, JwtConfigError::InvalidUrl(_)), "{bad}");
        }
    }
}
