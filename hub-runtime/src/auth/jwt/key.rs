//! The keys that verify signatures, each with the algorithms it accepts.

use std::fmt;

use jsonwebtoken::crypto::{CryptoProvider, rust_crypto};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind};
use serde::Deserialize;
use serde_json::Value;

use super::error::JwtConfigError;

const HMAC: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
const RSA: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// A key that verifies token signatures, and the algorithms it accepts: decided by the key,
/// never by a token's header, so that `alg: none` and algorithm confusion (an RSA public key
/// taken for an HMAC secret) are refused.
///
/// | key | algorithms |
/// | --- | --- |
/// | [`hmac`](Self::hmac) secret of 32, 48, 64 bytes or more | HS256; and HS384; and HS512 |
/// | [`rsa_pem`](Self::rsa_pem) | RS256, RS384, RS512, PS256, PS384, PS512 |
/// | [`ec_pem`](Self::ec_pem) | ES256 for a P-256 key, ES384 for a P-384 key |
/// | a JWK with an `alg` | that algorithm only |
///
/// ```
/// use hub_runtime::auth::{JwtAuthenticator, JwtKey};
///
/// # fn main() -> Result<(), hub_runtime::auth::JwtConfigError> {
/// let current = JwtKey::hmac(b"a secret of at least thirty-two bytes")?.with_kid("2025");
/// let previous = JwtKey::hmac(b"the one before, thirty-two bytes or more")?.with_kid("2024");
/// let authenticator = JwtAuthenticator::new(current).key(previous).audience("hub");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct JwtKey {
    kid: Option<String>,
    algorithms: Vec<Algorithm>,
    key: DecodingKey,
}

impl JwtKey {
    /// An HMAC secret (HS256; HS384 too from 48 bytes, HS512 from 64 bytes).
    ///
    /// Fails with [`JwtConfigError::ShortSecret`] under 32 bytes.
    pub fn hmac(secret: impl AsRef<[u8]>) -> Result<Self, JwtConfigError> {
        let secret = secret.as_ref();
        let algorithms = hmac_algorithms(secret.len())?;
        let key = DecodingKey::from_secret(secret)
            .map_err(|error| JwtConfigError::InvalidKey(error.to_string()))?;
        Ok(JwtKey::of(key, algorithms))
    }

    /// An RSA public key in PEM (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`).
    pub fn rsa_pem(pem: impl AsRef<[u8]>) -> Result<Self, JwtConfigError> {
        let invalid =
            |error: jsonwebtoken::errors::Error| JwtConfigError::InvalidKey(error.to_string());
        let key = DecodingKey::from_rsa_pem(pem.as_ref()).map_err(invalid)?;
        // Parse it now, so that a private key or a broken one fails here, not on every token.
        let der = key.try_get_as_bytes().map_err(invalid)?;
        let (n, e) =
            (crypto().key_utils.rsa_pub_components_from_public_key)(der).map_err(invalid)?;
        Ok(JwtKey::of(
            DecodingKey::from_rsa_raw_components(&n, &e),
            RSA.to_vec(),
        ))
    }

    /// An elliptic-curve public key in PEM (`BEGIN PUBLIC KEY`), on P-256 (ES256) or P-384
    /// (ES384).
    pub fn ec_pem(pem: impl AsRef<[u8]>) -> Result<Self, JwtConfigError> {
        let key = DecodingKey::from_ec_pem(pem.as_ref())
            .map_err(|error| JwtConfigError::InvalidKey(error.to_string()))?;
        let alg = ec_algorithm(&key).map_err(JwtConfigError::InvalidKey)?;
        Ok(JwtKey::of(key, vec![alg]))
    }

    /// The keys of a JWK set (`{"keys": [...]}`, what a JWKS URL serves), HMAC (`oct`) keys
    /// included. Keys meant for encryption (`"use": "enc"`) and keys of other types or curves
    /// are skipped; a set left with none fails with [`JwtConfigError::NoUsableKey`].
    pub fn jwk_set(json: &str) -> Result<Vec<JwtKey>, JwtConfigError> {
        let keys = JwtKey::parse_jwk_set(json.as_bytes(), true)?;
        if keys.is_empty() {
            return Err(JwtConfigError::NoUsableKey);
        }
        Ok(keys)
    }

    /// Names the key: a token whose header has a `kid` is checked with the keys of that id, and
    /// with those that have none.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key's id, if it has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    fn of(key: DecodingKey, algorithms: Vec<Algorithm>) -> Self {
        JwtKey {
            kid: None,
            algorithms,
            key,
        }
    }

    /// Whether the key accepts tokens signed with `alg`.
    pub(super) fn accepts(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(&alg)
    }

    /// The key, for `jsonwebtoken::decode`.
    pub(super) fn decoding_key(&self) -> &DecodingKey {
        &self.key
    }

    /// The usable keys of a JWK set; `secrets`: whether HMAC (`oct`) keys are taken (not from a
    /// URL: a published set with a secret in it would let its readers sign tokens).
    pub(super) fn parse_jwk_set(json: &[u8], secrets: bool) -> Result<Vec<JwtKey>, JwtConfigError> {
        #[derive(Deserialize)]
        struct RawSet {
            keys: Vec<Value>,
        }
        let set: RawSet = serde_json::from_slice(json)
            .map_err(|error| JwtConfigError::InvalidJwkSet(error.to_string()))?;
        let keys = set
            .keys
            .into_iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
            .filter_map(|jwk| match JwtKey::from_jwk(&jwk, secrets) {
                Ok(key) => Some(key),
                Err(reason) => {
                    tracing::debug!(kid = ?jwk.common.key_id, reason, "JWK skipped");
                    None
                }
            })
            .collect();
        Ok(keys)
    }

    fn from_jwk(jwk: &Jwk, secrets: bool) -> Result<JwtKey, String> {
        if let Some(usage) = &jwk.common.public_key_use {
            if *usage != PublicKeyUse::Signature {
                return Err("not a signature key".into());
            }
        }
        let named = match jwk.common.key_algorithm {
            Some(alg) => Some(
                alg.to_string()
                    .parse::<Algorithm>()
                    .map_err(|_| format!("algorithm {alg} is not supported"))?,
            ),
            None => None,
        };
        let invalid = |error: jsonwebtoken::errors::Error| error.to_string();
        let (key, mut algorithms) = match &jwk.algorithm {
            AlgorithmParameters::RSA(rsa) => (
                DecodingKey::from_rsa_components(&rsa.n, &rsa.e).map_err(invalid)?,
                RSA.to_vec(),
            ),
            AlgorithmParameters::EllipticCurve(ec) => {
                if !matches!(ec.curve, EllipticCurve::P256 | EllipticCurve::P384) {
                    return Err("curve not supported".into());
                }
                let key = DecodingKey::from_ec_components(&ec.x, &ec.y).map_err(invalid)?;
                let alg = ec_algorithm(&key)?;
                (key, vec![alg])
            }
            AlgorithmParameters::OctetKey(_) if secrets => {
                let key = DecodingKey::from_jwk(jwk).map_err(invalid)?;
                let len = key.try_get_as_bytes().map_err(invalid)?.len();
                let algorithms = hmac_algorithms(len).map_err(|error| error.to_string())?;
                (key, algorithms)
            }
            AlgorithmParameters::OctetKey(_) => {
                return Err("HMAC secrets are not taken from a URL".into());
            }
            _ => return Err("key type not supported".into()),
        };
        if let Some(alg) = named {
            if !algorithms.contains(&alg) {
                return Err(format!("algorithm {alg:?} does not fit the key"));
            }
            algorithms = vec![alg];
        }
        let mut key = JwtKey::of(key, algorithms);
        key.kid = jwk.common.key_id.clone();
        Ok(key)
    }
}

impl fmt::Debug for JwtKey {
    /// The id and the algorithms, never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKey")
            .field("kid", &self.kid)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

/// The HMAC algorithms a secret of `len` bytes is long enough for (RFC 7518, 3.2).
fn hmac_algorithms(len: usize) -> Result<Vec<Algorithm>, JwtConfigError> {
    match len {
        0..32 => Err(JwtConfigError::ShortSecret { len }),
        32..48 => Ok(HMAC[..1].to_vec()),
        48..64 => Ok(HMAC[..2].to_vec()),
        _ => Ok(HMAC.to_vec()),
    }
}

/// The algorithm of an elliptic-curve key, by its curve; checks that the point is on it.
fn ec_algorithm(key: &DecodingKey) -> Result<Algorithm, String> {
    let DecodingKeyKind::SecretOrDer(point) = key.kind() else {
        return Err("not an elliptic-curve key".into());
    };
    // An uncompressed SEC1 point: 0x04, then x and y of the curve's size.
    let alg = match point.len() {
        65 => Algorithm::ES256,
        97 => Algorithm::ES384,
        _ => return Err("only P-256 and P-384 keys are supported".into()),
    };
    debug_assert_eq!(key.family(), AlgorithmFamily::Ec);
    (crypto().verifier_factory)(&alg, key).map_err(|error| error.to_string())?;
    Ok(alg)
}

/// jsonwebtoken's process-wide crypto backend: the one the app installed, else the RustCrypto
/// one of our `jwt` feature. Installed here when none is, so that a build where another crate
/// also enables jsonwebtoken's `aws_lc_rs` (which leaves no default) never panics on a token.
pub(super) fn crypto() -> &'static CryptoProvider {
    if let Some(provider) = CryptoProvider::try_get_default() {
        return provider;
    }
    let _ = rust_crypto::DEFAULT_PROVIDER.install_default();
    CryptoProvider::try_get_default().unwrap_or(&rust_crypto::DEFAULT_PROVIDER)
}
