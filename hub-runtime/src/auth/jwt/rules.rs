//! The checks a token must pass: a signature by one of the keys, then its times, issuer and
//! audience.

use std::collections::HashSet;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Validation, decode};
use serde_json::{Map, Value};

use super::error::{Rejection, clip};
use super::key::{JwtKey, crypto};
use super::token::{TokenHeader, algorithm_name};

/// The largest clock skew taken: more would only hide a broken clock.
pub(super) const MAX_CLOCK_SKEW: Duration = Duration::from_secs(3600);

/// What a token's claims must say.
#[derive(Debug, Clone)]
pub(super) struct Rules {
    pub(super) issuers: HashSet<String>,
    pub(super) audiences: HashSet<String>,
    pub(super) clock_skew: Duration,
    pub(super) require_expiry: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            issuers: HashSet::new(),
            audiences: HashSet::new(),
            clock_skew: Duration::from_secs(60),
            require_expiry: true,
        }
    }
}

impl Rules {
    /// The claims of `token`, if one of `keys` accepts its algorithm and verifies its signature,
    /// and its claims pass the rules.
    ///
    /// A token with a `kid` is checked with the keys of that id and those without one; a
    /// token without, with every key.
    pub(super) fn check<'k>(
        &self,
        token: &str,
        header: &TokenHeader,
        keys: impl IntoIterator<Item = &'k JwtKey>,
    ) -> Result<Map<String, Value>, Rejection> {
        let _ = crypto();
        let validation = self.validation(header);
        let mut kid_known = false;
        let mut tried = false;
        for key in keys {
            if let (Some(wanted), Some(kid)) = (&header.kid, key.kid()) {
                if wanted != kid {
                    continue;
                }
                kid_known = true;
            }
            if !key.accepts(header.alg) {
                continue;
            }
            tried = true;
            match decode::<Map<String, Value>>(token, key.decoding_key(), &validation) {
                Ok(data) => return Ok(data.claims),
                // Another key of the same id (or of none) may have signed it.
                Err(error) if is_signature_error(error.kind()) => continue,
                Err(error) => return Err(rejection(error.kind())),
            }
        }
        Err(match &header.kid {
            _ if tried => Rejection::BadSignature,
            Some(kid) if !kid_known => Rejection::UnknownKid(clip(kid)),
            _ => Rejection::AlgorithmNotAllowed(algorithm_name(header.alg)),
        })
    }

    fn validation(&self, header: &TokenHeader) -> Validation {
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.clock_skew.min(MAX_CLOCK_SKEW).as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required = Vec::new();
        if self.require_expiry {
            required.push("exp");
        }
        if !self.issuers.is_empty() {
            validation.iss = Some(self.issuers.clone());
            required.push("iss");
        }
        if self.audiences.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.aud = Some(self.audiences.clone());
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        validation
    }
}

/// Whether `decode` failed on the signature (so another key may verify it), not on the claims.
fn is_signature_error(kind: &ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::InvalidSignature
            | ErrorKind::InvalidKeyFormat
            | ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidEcdsaKey
    )
}

/// The reason for a failure of `decode` on a verified signature.
fn rejection(kind: &ErrorKind) -> Rejection {
    match kind {
        ErrorKind::ExpiredSignature => Rejection::Expired,
        ErrorKind::ImmatureSignature => Rejection::NotYetValid,
        ErrorKind::InvalidIssuer => Rejection::WrongIssuer,
        ErrorKind::InvalidAudience => Rejection::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) => Rejection::MissingClaim(claim.clone()),
        ErrorKind::InvalidClaimFormat(claim) => Rejection::InvalidClaim(claim.clone()),
        ErrorKind::InvalidAlgorithm | ErrorKind::UnsupportedAlgorithm => {
            Rejection::UnsupportedAlgorithm
        }
        _ => Rejection::Malformed,
    }
}
