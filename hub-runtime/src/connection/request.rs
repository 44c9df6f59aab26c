//! The HTTP request that opened a connection.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, Uri};

use super::user::User;

/// The HTTP request that opened a connection (for WebSockets, the upgrade request; for
/// Server-Sent Events and long polling, the request that started the transport), without the
/// WebSocket handshake headers, and with its [extensions](Self::extensions): what an axum or
/// tower layer in front of the hub put there (the claims of an authentication layer, say).
///
/// Every connection keeps one, and most never look at it: it is held as one compact shared
/// allocation (clones share it) and parsed into a [`Uri`] and a [`HeaderMap`] on first use.
#[derive(Clone, Default)]
pub struct RequestInfo(Arc<RequestData>);

#[derive(Default)]
struct RequestData {
    /// The URI, then `\n` and `name:value` for each header kept. Neither a URI nor a header
    /// can contain `\n`, nor a header name `:`.
    raw: Box<[u8]>,
    parsed: OnceLock<Box<ParsedRequest>>,
    extensions: Extensions,
}

#[derive(Clone, Default)]
struct ParsedRequest {
    uri: Uri,
    headers: HeaderMap,
}

impl RequestInfo {
    /// Captures a request, dropping the WebSocket handshake headers nobody needs later.
    ///
    /// The URI and headers are copied: hyper parses them as slices of its connection read
    /// buffer, and keeping those slices would keep that whole buffer (8 KiB and more) alive for
    /// as long as the connection lives.
    pub fn new(uri: Uri, headers: &HeaderMap) -> Self {
        Self::with_extensions(uri, headers, Extensions::new())
    }

    /// [`new`](Self::new), keeping the request's extensions.
    pub fn with_extensions(uri: Uri, headers: &HeaderMap, extensions: Extensions) -> Self {
        let mut raw = uri.to_string().into_bytes();
        for (name, value) in headers {
            let name = name.as_str();
            if name.starts_with("sec-websocket-") || name == "upgrade" || name == "connection" {
                continue;
            }
            raw.push(b'\n');
            raw.extend_from_slice(name.as_bytes());
            raw.push(b':');
            raw.extend_from_slice(value.as_bytes());
        }
        RequestInfo(Arc::new(RequestData {
            raw: raw.into_boxed_slice(),
            parsed: OnceLock::new(),
            extensions,
        }))
    }

    fn parsed(&self) -> &ParsedRequest {
        self.0.parsed.get_or_init(|| {
            let mut lines = self.0.raw.split(|&byte| byte == b'\n');
            let uri = lines
                .next()
                .and_then(|uri| Uri::try_from(uri).ok())
                .unwrap_or_default();
            let lines: Vec<&[u8]> = lines.collect();
            // Sized to what is kept: grown one by one, a map of one header holds room for six.
            let mut headers = HeaderMap::with_capacity(lines.len());
            for line in lines {
                let Some(colon) = line.iter().position(|&byte| byte == b':') else {
                    continue;
                };
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(&line[..colon]),
                    HeaderValue::from_bytes(&line[colon + 1..]),
                ) {
                    headers.append(name, value);
                }
            }
            Box::new(ParsedRequest { uri, headers })
        })
    }

    /// The request URI (path and query).
    pub fn uri(&self) -> &Uri {
        &self.parsed().uri
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parsed().headers
    }

    /// A header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The request's extensions: what the layers in front of the hub inserted (an
    /// authentication layer's claims, say), as `axum::Extension` handlers would see them.
    ///
    /// ```
    /// # use hub_runtime::RequestInfo;
    /// #[derive(Clone)]
    /// struct Claims { sub: String }
    ///
    /// let mut extensions = axum::http::Extensions::new();
    /// extensions.insert(Claims { sub: "ada".into() });
    /// let request = RequestInfo::with_extensions("/hub".parse().unwrap(), &Default::default(), extensions);
    /// assert_eq!(request.extensions().get::<Claims>().unwrap().sub, "ada");
    /// ```
    pub fn extensions(&self) -> &Extensions {
        &self.0.extensions
    }

    /// The bearer token of the request: the `Authorization: Bearer` header (Node and .NET
    /// clients), or the `access_token` query parameter (browsers, which cannot set headers on
    /// WebSockets and Server-Sent Events).
    pub fn access_token(&self) -> Option<String> {
        bearer(self.headers(), self.uri().query())
    }

    /// The authenticated user, if an [`Authenticator`](super::Authenticator) or a layer of the
    /// app put one in the request's extensions.
    pub fn user(&self) -> Option<&User> {
        self.extensions().get::<User>()
    }

    /// The first value of query parameter `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.uri().query()?;
        query_param(query, name)
    }
}

/// The bearer token of a request: the `Authorization: Bearer` header (Node and .NET clients),
/// else the `access_token` query parameter (browsers, which cannot set headers on WebSockets and
/// Server-Sent Events), percent-decoded.
pub fn bearer_token(request: &Parts) -> Option<String> {
    bearer(&request.headers, request.uri.query())
}

/// [`bearer_token`] from a request's parts.
fn bearer(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        });
    header.or_else(|| query_param(query?, "access_token"))
}

/// The first value of parameter `name` in `query`, percent-decoded.
pub(crate) fn query_param(query: &str, name: &str) -> Option<String> {
    query_value(query, name).map(Cow::into_owned)
}

/// [`query_param`] borrowing from `query` when the value needs no decoding (a connection token
/// never does): the transports read `id` on every request.
pub(crate) fn query_value<'a>(query: &'a str, name: &str) -> Option<Cow<'a, str>> {
    // A plain loop over the bytes: `&` and `=` are ASCII, so every slice below is on a
    // character boundary.
    let bytes = query.as_bytes();
    let mut start = 0;
    while start <= bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'&')
            .map_or(bytes.len(), |at| start + at);
        let pair = &query[start..end];
        let (key, value) = match pair.bytes().position(|b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, ""),
        };
        if key == name || (needs_decoding(key) && percent_decode(key) == name) {
            return Some(percent_decode(value));
        }
        start = end + 1;
    }
    None
}

/// Whether `text` holds an escape or a `+` (a space).
fn needs_decoding(text: &str) -> bool {
    text.bytes().any(|byte| byte == b'%' || byte == b'+')
}

impl fmt::Debug for RequestInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestInfo")
            .field("uri", self.uri())
            .field("headers", self.headers())
            .field("extensions", &self.0.extensions.len())
            .finish()
    }
}

fn percent_decode(text: &str) -> Cow<'_, str> {
    if !needs_decoding(text) {
        return Cow::Borrowed(text);
    }
    fn hex(byte: u8) -> Option<u8> {
        (byte as char).to_digit(16).map(|digit| digit as u8)
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params() {
        let req = RequestInfo::new(
            "/hubs/chat?id=a%20b&user=x+y&flag&bad=%zz&end=%4"
                .parse()
                .unwrap(),
            &HeaderMap::new(),
        );
        assert_eq!(req.query_param("id").as_deref(), Some("a b"));
        assert_eq!(req.query_param("user").as_deref(), Some("x y"));
        assert_eq!(req.query_param("flag").as_deref(), Some(""));
        assert_eq!(req.query_param("bad").as_deref(), Some("%zz"));
        assert_eq!(req.query_param("end").as_deref(), Some("%4"));
        assert_eq!(req.query_param("none"), None);
        assert_eq!(query_value("a=1&&id=x&id=y", "id").as_deref(), Some("x"));
        assert_eq!(query_value("i%64=%41&id=y", "id").as_deref(), Some("A"));
        assert_eq!(query_value("id", "id").as_deref(), Some(""));
        assert_eq!(query_value("", "id"), None);
        assert_eq!(query_value("&", "id"), None);
        assert_eq!(query_value("é=1&id=ü", "id").as_deref(), Some("ü"));
        assert_eq!(req.access_token(), None);
    }

    #[test]
    fn access_tokens() {
        let query = RequestInfo::new(
            "/hub?access_token=a%2Bb".parse().unwrap(),
            &HeaderMap::new(),
        );
        assert_eq!(query.access_token().as_deref(), Some("a+b"));
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer xyz".parse().unwrap());
        let header = RequestInfo::new("/hub?access_token=other".parse().unwrap(), &headers);
        assert_eq!(header.access_token().as_deref(), Some("xyz"));
    }

    #[test]
    fn headers_are_kept_but_the_websocket_handshake_ones() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "127.0.0.1:5000".parse().unwrap());
        headers.append("x-multi", "one".parse().unwrap());
        headers.append("x-multi", "two: with a colon".parse().unwrap());
        headers.insert("x-opaque", HeaderValue::from_bytes(b"caf\xe9\tok").unwrap());
        headers.insert("x-empty", HeaderValue::from_static(""));
        headers.insert("upgrade", "websocket".parse().unwrap());
        headers.insert("connection", "Upgrade".parse().unwrap());
        headers.insert(
            "sec-websocket-key",
            "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap(),
        );
        let request = RequestInfo::new("/hubs/chat?id=x".parse().unwrap(), &headers);
        assert_eq!(request.uri().path(), "/hubs/chat");
        assert_eq!(request.uri().query(), Some("id=x"));
        let kept = request.headers();
        assert_eq!(kept.len(), 5);
        assert_eq!(request.header("host"), Some("127.0.0.1:5000"));
        let multi: Vec<_> = kept.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["one", "two: with a colon"]);
        assert_eq!(kept["x-opaque"].as_bytes(), b"caf\xe9\tok");
        assert_eq!(request.header("x-empty"), Some(""));
        for dropped in ["upgrade", "connection", "sec-websocket-key"] {
            assert!(!kept.contains_key(dropped), "{dropped}");
        }
        let copy = request.clone();
        assert_eq!(copy.headers().len(), 5);
        assert_eq!(RequestInfo::default().uri(), &Uri::default());
    }
}
