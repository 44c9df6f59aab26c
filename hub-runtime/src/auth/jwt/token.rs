//! The header of a token, read before its signature is checked: only to pick the key.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::Deserialize;

use super::error::Rejection;

/// What the (unverified) header of a token says: its algorithm and key id. Neither is trusted:
/// the algorithm must be one the chosen key accepts, and the signature is checked with it.
#[derive(Debug)]
pub(super) struct TokenHeader {
    pub(super) alg: Algorithm,
    pub(super) kid: Option<String>,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

impl TokenHeader {
    /// Reads the header of a compact JWS (`header.payload.signature`).
    pub(super) fn read(token: &str) -> Result<Self, Rejection> {
        let mut parts = token.split('.');
        let (Some(header), Some(_), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Rejection::Malformed);
        };
        let json = URL_SAFE_NO_PAD
            .decode(header.trim_end_matches('='))
            .map_err(|_| Rejection::Malformed)?;
        let raw: RawHeader = serde_json::from_slice(&json).map_err(|_| Rejection::Malformed)?;
        if raw.alg.eq_ignore_ascii_case("none") {
            return Err(Rejection::Unsigned);
        }
        let alg = Algorithm::from_str(&raw.alg).map_err(|_| Rejection::UnsupportedAlgorithm)?;
        Ok(TokenHeader { alg, kid: raw.kid })
    }
}

/// The name of `alg` as tokens spell it.
pub(super) fn algorithm_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::EdDSA => "EdDSA",
        _ => "an unknown algorithm",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(header: &str) -> String {
        format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(header))
    }

    #[test]
    fn headers() {
        let header = TokenHeader::read(&token(r#"{"alg":"RS256","kid":"k1"}"#)).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.kid.as_deref(), Some("k1"));
        let none = TokenHeader::read(&token(r#"{"alg":"none","typ":"JWT"}"#));
        assert_eq!(none.unwrap_err(), Rejection::Unsigned);
        let odd = TokenHeader::read(&token(r#"{"alg":"XS999"}"#));
        assert_eq!(odd.unwrap_err(), Rejection::UnsupportedAlgorithm);
        for malformed in ["", "a.b", "a.b.c.d.e", "!!.e30.c2ln", &token("[1]")] {
            let error = TokenHeader::read(malformed).unwrap_err();
            assert_eq!(error, Rejection::Malformed, "{malformed}");
        }
    }
}
