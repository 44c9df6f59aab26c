//! What goes wrong: a configuration refused when it is built, and a token refused when it is
//! checked.

use std::fmt;

use crate::connection::AuthError;

/// A [`JwtAuthenticator`](super::JwtAuthenticator) or [`JwtKey`](super::JwtKey) that cannot be
/// built from what it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtConfigError {
    /// An HMAC secret shorter than 32 bytes: RFC 7518 asks for at least the hash's size (256
    /// bits for HS256), and ASP.NET refuses shorter ones too.
    ShortSecret {
        /// The secret's length in bytes.
        len: usize,
    },
    /// A PEM that is not a public key of the expected kind (an RSA key for `rsa_pem`, a P-256
    /// or P-384 key for `ec_pem`), or whose key does not parse.
    InvalidKey(String),
    /// A JWK set that is not JSON of the form `{"keys": [...]}`.
    InvalidJwkSet(String),
    /// A JWK set without one key this authenticator can verify signatures with.
    NoUsableKey,
    /// A JWKS URL that is not an absolute `https://` URL (`http://` is accepted for loopback
    /// hosts only).
    #[cfg(feature = "jwks")]
    InvalidUrl(String),
    /// The TLS configuration of the JWKS client could not be built.
    #[cfg(feature = "jwks")]
    Tls(String),
}

impl fmt::Display for JwtConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtConfigError::ShortSecret { len } => write!(
                f,
                "an HMAC secret of {len} bytes is too short: use at least 32 bytes (256 bits)"
            ),
            JwtConfigError::InvalidKey(reason) => write!(f, "invalid key: {reason}"),
            JwtConfigError::InvalidJwkSet(reason) => write!(f, "invalid JWK set: {reason}"),
            JwtConfigError::NoUsableKey => {
                f.write_str("the JWK set holds no signature key this authenticator can use")
            }
            #[cfg(feature = "jwks")]
            JwtConfigError::InvalidUrl(reason) => write!(f, "invalid JWKS URL: {reason}"),
            #[cfg(feature = "jwks")]
            JwtConfigError::Tls(reason) => write!(f, "TLS configuration: {reason}"),
        }
    }
}

impl std::error::Error for JwtConfigError {}

/// Why a token was refused: the reason of the [`AuthError`], for logs (never sent to clients).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Rejection {
    /// Not three base64url parts of JSON, or a payload that is not a JSON object.
    Malformed,
    /// `alg: none`.
    Unsigned,
    /// An `alg` this authenticator does not know.
    UnsupportedAlgorithm,
    /// A known `alg` that none of the configured keys accepts.
    AlgorithmNotAllowed(&'static str),
    /// A `kid` that none of the keys has, even after the key set was fetched again.
    UnknownKid(String),
    /// No key with a matching `kid` and algorithm verifies the signature.
    BadSignature,
    /// `exp` is past, beyond the clock skew.
    Expired,
    /// `nbf` is ahead, beyond the clock skew.
    NotYetValid,
    /// `iss` is not an accepted issuer.
    WrongIssuer,
    /// `aud` names no accepted audience.
    WrongAudience,
    /// A claim the checks require is missing (`exp`, `iss`, `aud`).
    MissingClaim(String),
    /// A claim has the wrong type (`exp` not a number, say).
    InvalidClaim(String),
    /// The claim that names the user is missing or not a string.
    MissingUserId(String),
    /// The signing keys could not be fetched.
    #[cfg(feature = "jwks")]
    KeysUnavailable(String),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Malformed => f.write_str("malformed token"),
            Rejection::Unsigned => f.write_str("unsigned token (alg none)"),
            Rejection::UnsupportedAlgorithm => f.write_str("unsupported algorithm"),
            Rejection::AlgorithmNotAllowed(alg) => {
                write!(f, "algorithm {alg} not allowed by the configured keys")
            }
            Rejection::UnknownKid(kid) => write!(f, "unknown key id {kid:?}"),
            Rejection::BadSignature => f.write_str("bad signature"),
            Rejection::Expired => f.write_str("token expired"),
            Rejection::NotYetValid => f.write_str("token not yet valid"),
            Rejection::WrongIssuer => f.write_str("wrong issuer"),
            Rejection::WrongAudience => f.write_str("wrong audience"),
            Rejection::MissingClaim(claim) => write!(f, "missing claim {claim}"),
            Rejection::InvalidClaim(claim) => write!(f, "malformed claim {claim}"),
            Rejection::MissingUserId(claim) => write!(f, "missing user id claim {claim}"),
            #[cfg(feature = "jwks")]
            Rejection::KeysUnavailable(reason) => write!(f, "signing keys unavailable: {reason}"),
        }
    }
}

impl From<Rejection> for AuthError {
    fn from(rejection: Rejection) -> Self {
        AuthError::new(rejection.to_string())
    }
}

/// At most 64 characters of `text` the token chose (a `kid`), for a log line.
pub(super) fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}
