//! The hub URL and the URLs derived from it: negotiate, the WebSocket.

use axum::http::Uri;

use super::error::ClientError;

/// A hub URL: `http://host:port/path?query` (`ws://` is the same place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HubUrl {
    /// `host:port` as written (IPv6 hosts in brackets).
    authority: String,
    /// The host to connect to, without brackets.
    host: String,
    port: u16,
    /// The path, without a trailing `/`.
    path: String,
    /// The query, without `?`; empty for none.
    query: String,
}

impl HubUrl {
    pub(super) fn parse(text: &str) -> Result<Self, ClientError> {
        let uri: Uri = text
            .parse()
            .map_err(|e| ClientError::InvalidUrl(format!("'{text}': {e}")))?;
        match uri.scheme_str() {
            Some("http" | "ws") => {}
            Some("https" | "wss") => {
                return Err(ClientError::InvalidUrl(format!(
                    "'{text}': TLS (https, wss) is not built in; use http:// or ws://, or a TLS-terminating proxy"
                )));
            }
            _ => {
                return Err(ClientError::InvalidUrl(format!(
                    "'{text}': the URL must start with http:// or ws://"
                )));
            }
        }
        let authority = uri
            .authority()
            .ok_or_else(|| ClientError::InvalidUrl(format!("'{text}': no host")))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = authority.port_u16().unwrap_or(80);
        Ok(HubUrl {
            authority: authority
                .as_str()
                .rsplit('@')
                .next()
                .unwrap_or_default()
                .to_owned(),
            host,
            port,
            path: uri.path().trim_end_matches('/').to_owned(),
            query: uri.query().unwrap_or_default().to_owned(),
        })
    }

    /// Where to connect.
    pub(super) fn host_port(&self) -> (&str, u16) {
        (&self.host, self.port)
    }

    /// The `Host` header.
    pub(super) fn authority(&self) -> &str {
        &self.authority
    }

    /// The query with `extra` (already encoded `name=value` pairs) appended.
    fn query_with(&self, extra: &[String]) -> String {
        let mut parts: Vec<&str> = Vec::new();
        if !self.query.is_empty() {
            parts.push(&self.query);
        }
        parts.extend(extra.iter().map(String::as_str));
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// The path and query of negotiate: `{path}/negotiate?{query}&negotiateVersion=1`.
    pub(super) fn negotiate_path(&self, stateful_reconnect: bool) -> String {
        let mut extra = Vec::new();
        if !self
            .query
            .split('&')
            .any(|p| p.starts_with("negotiateVersion="))
        {
            extra.push("negotiateVersion=1".to_owned());
        }
        if stateful_reconnect {
            extra.push("useStatefulReconnect=true".to_owned());
        }
        format!("{}/negotiate{}", self.path, self.query_with(&extra))
    }

    /// The WebSocket URL, with the connection token as `id` when there is one.
    pub(super) fn websocket(&self, connection_token: Option<&str>) -> String {
        let extra: Vec<String> = connection_token
            .map(|token| format!("id={}", percent_encode(token)))
            .into_iter()
            .collect();
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        format!("ws://{}{}{}", self.authority, path, self.query_with(&extra))
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_negotiate_and_websocket_urls() {
        let url = HubUrl::parse("http://127.0.0.1:5000/hubs/chat/?tenant=a").unwrap();
        assert_eq!(url.host_port(), ("127.0.0.1", 5000));
        assert_eq!(
            url.negotiate_path(false),
            "/hubs/chat/negotiate?tenant=a&negotiateVersion=1"
        );
        assert_eq!(
            url.negotiate_path(true),
            "/hubs/chat/negotiate?tenant=a&negotiateVersion=1&useStatefulReconnect=true"
        );
        assert_eq!(
            url.websocket(Some("a+b/c")),
            "ws://127.0.0.1:5000/hubs/chat?tenant=a&id=a%2Bb%2Fc"
        );
        let bare = HubUrl::parse("ws://[::1]/hub").unwrap();
        assert_eq!(bare.host_port(), ("::1", 80));
        assert_eq!(bare.websocket(None), "ws://[::1]/hub");
    }

    #[test]
    fn refuses_what_it_cannot_reach() {
        for url in [
            "https://example.com/hub",
            "ftp://x/hub",
            "/relative",
            "not a url",
        ] {
            assert!(
                matches!(HubUrl::parse(url), Err(ClientError::InvalidUrl(_))),
                "{url}"
            );
        }
    }
}
