//! The handshake: the client names its protocol and version, the server accepts or refuses.

use serde::Deserialize;

use super::error::ProtocolError;
use super::format::Protocol;
use super::json::RECORD_SEPARATOR;

/// The client's handshake request, `{"protocol":"json","version":1}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandshakeRequest {
    /// The protocol name the client asked for.
    pub(crate) protocol: String,
    /// The protocol version the client asked for.
    pub(crate) version: u32,
}

/// The server's answer to a handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HandshakeResponse {
    /// `{}`: the client may send hub messages.
    Accepted,
    /// `{"error": "..."}`: the connection ends.
    Refused(String),
}

impl HandshakeResponse {
    /// The response framed as the JSON text the clients read (always JSON, whatever the protocol).
    pub(crate) fn encode(&self) -> String {
        match self {
            HandshakeResponse::Accepted => "{}\u{1e}".to_owned(),
            HandshakeResponse::Refused(error) => {
                let error = serde_json::to_string(error).expect("a string always serializes");
                format!("{{\"error\":{error}}}\u{1e}")
            }
        }
    }
}

impl HandshakeRequest {
    /// Checks the request against what the server speaks: the protocol, or the text of the
    /// ASP.NET Core refusal the clients show.
    pub(crate) fn select_protocol(&self) -> Result<Protocol, String> {
        let Some(protocol) = Protocol::from_name(&self.protocol) else {
            return Err(format!(
                "The protocol '{}' is not supported.",
                self.protocol
            ));
        };
        // ASP.NET Core 8+ accepts every version up to its own (`version <= Version`); some
        // clients (signalrcore) send 0.
        if self.version > protocol.max_version() {
            return Err(format!(
                "The server does not support version {} of the '{}' protocol.",
                self.version, self.protocol
            ));
        }
        Ok(protocol)
    }
}

#[derive(Deserialize)]
struct RawHandshake {
    protocol: Option<String>,
    version: Option<u32>,
}

/// Reads a handshake request from the start of `input`.
///
/// Returns `Ok(None)` while the record separator has not arrived yet, or the request and how many
/// bytes it used; what follows may already be hub messages.
pub(crate) fn parse_handshake(
    input: &[u8],
) -> Result<Option<(HandshakeRequest, usize)>, ProtocolError> {
    let Some(end) = input.iter().position(|&b| b == RECORD_SEPARATOR) else {
        return Ok(None);
    };
    let body = &input[..end];
    let content = || String::from_utf8_lossy(body).into_owned();
    let raw: RawHandshake = serde_json::from_slice(body).map_err(|e| {
        ProtocolError::InvalidHandshake(format!(
            "Error reading handshake request JSON: {e}. Message content: {}",
            content()
        ))
    })?;
    let missing = |name: &str| {
        ProtocolError::InvalidHandshake(format!(
            "Missing required property '{name}'. Message content: {}",
            content()
        ))
    };
    let protocol = raw.protocol.ok_or_else(|| missing("protocol"))?;
    let version = raw.version.ok_or_else(|| missing("version"))?;
    Ok(Some((HandshakeRequest { protocol, version }, end + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_leaves_following_messages() {
        let input = b"{\"protocol\":\"json\",\"version\":1}\x1e{\"type\":6}\x1e";
        let (req, used) = parse_handshake(input).unwrap().unwrap();
        assert_eq!(req.protocol, "json");
        assert_eq!(req.version, 1);
        assert_eq!(&input[used..], b"{\"type\":6}\x1e");
        assert_eq!(req.select_protocol(), Ok(Protocol::Json));
    }

    #[test]
    fn waits_for_separator() {
        assert!(
            parse_handshake(b"{\"protocol\":\"json\"")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn refusals_use_aspnet_texts() {
        let req = |protocol: &str, version| HandshakeRequest {
            protocol: protocol.into(),
            version,
        };
        assert_eq!(
            req("xml", 1).select_protocol(),
            Err("The protocol 'xml' is not supported.".into())
        );
        assert_eq!(req("json", 0).select_protocol(), Ok(Protocol::Json));
        assert_eq!(req("json", 2).select_protocol(), Ok(Protocol::Json));
        assert_eq!(
            req("json", 3).select_protocol(),
            Err("The server does not support version 3 of the 'json' protocol.".into())
        );
        assert_eq!(
            HandshakeResponse::Refused("a \"b\"".into()).encode(),
            "{\"error\":\"a \\\"b\\\"\"}\u{1e}"
        );
        assert_eq!(HandshakeResponse::Accepted.encode(), "{}\u{1e}");
    }

    #[test]
    fn malformed_handshakes_are_errors() {
        for case in [
            &b"\x1e"[..],
            b"{\x1e",
            b"[]\x1e",
            b"{\"protocol\":\"json\"}\x1e",
            b"{\"version\":1}\x1e",
            b"{\"protocol\":1,\"version\":1}\x1e",
            b"{\"protocol\":\"json\",\"version\":-1}\x1e",
            b"{\"protocol\":\"json\",\"version\":\"1\"}\x1e",
            b"\xff\xfe\x1e",
        ] {
            assert!(parse_handshake(case).is_err(), "accepted {case:?}");
        }
    }
}
