//! The JWT bearer authenticator: what it accepts, and what it refuses and why. Tokens are signed
//! here with jsonwebtoken and with the test-only keys of tests/fixtures/jwt/.
#![cfg(feature = "jwt")]
#![allow(missing_docs)]

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hub_runtime::auth::{Authenticator, JwtAuthenticator, JwtConfigError, JwtKey};
use jsonwebtoken::crypto::sign as sign_message;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

const SECRET: &[u8] = b"test-only HMAC secret, 32 bytes or more";
const ROLE_URI: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";

const RSA_1_PRIVATE: &[u8] = include_bytes!("fixtures/jwt/test-only-rsa-1-private.pem");
const RSA_1_PUBLIC: &[u8] = include_bytes!("fixtures/jwt/test-only-rsa-1-public.pem");
const RSA_2_PRIVATE: &[u8] = include_bytes!("fixtures/jwt/test-only-rsa-2-private.pem");
const RSA_2_PUBLIC: &[u8] = include_bytes!("fixtures/jwt/test-only-rsa-2-public.pem");
const EC_PRIVATE: &[u8] = include_bytes!("fixtures/jwt/test-only-ec-p256-private.pem");
const EC_PUBLIC: &[u8] = include_bytes!("fixtures/jwt/test-only-ec-p256-public.pem");

/// Every test ends within this (in tokio's time, which some tests move forward by a minute or
/// two).
async fn bounded<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(Duration::from_secs(600), test)
        .await
        .expect("the test took too long");
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims valid for an hour, with `extra` added.
fn claims(extra: Value) -> Value {
    let mut claims = json!({"sub": "ada", "exp": now() + 3600});
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    claims
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(Into::into);
    encode(&header, claims, key).unwrap()
}

fn hs256(claims: &Value) -> String {
    sign(
        Algorithm::HS256,
        None,
        claims,
        &EncodingKey::from_secret(SECRET).unwrap(),
    )
}

fn rsa(private: &[u8]) -> EncodingKey {
    EncodingKey::from_rsa_pem(private).unwrap()
}

fn hmac() -> JwtAuthenticator {
    JwtAuthenticator::hmac(SECRET).unwrap()
}

/// Why `authenticator` refuses `token`; the reason never repeats the token.
async fn refusal(authenticator: &JwtAuthenticator, token: &str) -> String {
    let error = authenticator.verify(token).await.unwrap_err();
    let reason = error.reason().to_owned();
    assert!(!token.is_empty() && !reason.contains(token), "{reason}");
    reason
}

fn request(uri: &str, authorization: Option<&str>) -> Parts {
    let mut request = axum::http::Request::builder().uri(uri);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.body(()).unwrap().into_parts().0
}

#[tokio::test]
async fn an_hs256_token_makes_the_user() {
    bounded(async {
        let exp = now() + 600;
        let token = hs256(&json!({
            "sub": "ada",
            "name": "Ada Lovelace",
            "role": "Admin",
            "roles": ["Ops", "Admin"],
            ROLE_URI: "Auditor",
            "tenant": "t1",
            "exp": exp,
        }));
        let user = hmac().verify(&token).await.unwrap();
        assert_eq!(user.id(), "ada");
        assert_eq!(user.name(), Some("Ada Lovelace"));
        assert_eq!(user.roles(), ["Admin", "Ops", "Auditor"]);
        assert!(user.is_in_role("Auditor"));
        assert_eq!(user.claim("tenant"), Some(&json!("t1")));
        assert_eq!(user.claims().len(), 7);
        assert_eq!(
            user.expires_at(),
            Some(UNIX_EPOCH + Duration::from_secs(exp))
        );

        // The name falls back to unique_name, then preferred_username.
        let token = hs256(&claims(json!({"preferred_username": "ada@example.com"})));
        let user = hmac().verify(&token).await.unwrap();
        assert_eq!(user.name(), Some("ada@example.com"));
        assert!(user.roles().is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_claims_that_make_the_user_are_configurable() {
    bounded(async {
        let authenticator = hmac()
            .id_claim("oid")
            .name_claims(["email"])
            .role_claims(["groups"]);
        let token = hs256(&claims(json!({
            "oid": "0000-1111",
            "name": "not this",
            "email": "ada@example.com",
            "role": "NotThis",
            "groups": ["g1", "g2"],
        })));
        let user = authenticator.verify(&token).await.unwrap();
        assert_eq!(user.id(), "0000-1111");
        assert_eq!(user.name(), Some("ada@example.com"));
        assert_eq!(user.roles(), ["g1", "g2"]);

        let without_oid = hs256(&claims(json!({})));
        assert_eq!(
            refusal(&authenticator, &without_oid).await,
            "missing user id claim oid"
        );
    })
    .await;
}

#[tokio::test]
async fn the_token_comes_from_the_header_or_the_query() {
    bounded(async {
        let authenticator = hmac();
        let token = hs256(&claims(json!({})));
        let bearer = format!("Bearer {token}");
        let from_header = request("/hub", Some(&bearer));
        let user = authenticator.authenticate(&from_header).await.unwrap();
        assert_eq!(user.unwrap().id(), "ada");

        let from_query = request(&format!("/hub?id=1&access_token={token}"), None);
        let user = authenticator.authenticate(&from_query).await.unwrap();
        assert_eq!(user.unwrap().id(), "ada");

        for anonymous in [
            request("/hub", None),
            request("/hub?access_token=", None),
            request("/hub", Some("Basic YWRhOnB3")),
        ] {
            assert_eq!(authenticator.authenticate(&anonymous).await, Ok(None));
        }

        let forged = request("/hub", Some("Bearer not.a.token"));
        let error = authenticator.authenticate(&forged).await.unwrap_err();
        assert_eq!(error.reason(), "malformed token");
    })
    .await;
}

#[tokio::test]
async fn a_bad_signature_is_refused() {
    bounded(async {
        let other = EncodingKey::from_secret(b"another test-only secret of 32+ bytes").unwrap();
        let token = sign(Algorithm::HS256, None, &claims(json!({})), &other);
        assert_eq!(refusal(&hmac(), &token).await, "bad signature");

        // A payload changed after signing.
        let token = hs256(&claims(json!({"role": "User"})));
        let mut parts: Vec<&str> = token.split('.').collect();
        let admin = URL_SAFE_NO_PAD.encode(claims(json!({"role": "Admin"})).to_string());
        parts[1] = &admin;
        assert_eq!(refusal(&hmac(), &parts.join(".")).await, "bad signature");
    })
    .await;
}

#[tokio::test]
async fn exp_and_nbf_hold_within_the_clock_skew() {
    bounded(async {
        let authenticator = hmac();
        let expired = hs256(&json!({"sub": "ada", "exp": now() - 120}));
        assert_eq!(refusal(&authenticator, &expired).await, "token expired");
        let just_expired = hs256(&json!({"sub": "ada", "exp": now() - 30}));
        assert!(authenticator.verify(&just_expired).await.is_ok());
        let strict = hmac().clock_skew(Duration::from_secs(5));
        assert_eq!(refusal(&strict, &just_expired).await, "token expired");

        let early = hs256(&claims(json!({"nbf": now() + 120})));
        assert_eq!(refusal(&authenticator, &early).await, "token not yet valid");
        let almost = hs256(&claims(json!({"nbf": now() + 30})));
        assert!(authenticator.verify(&almost).await.is_ok());
        assert_eq!(refusal(&strict, &almost).await, "token not yet valid");
    })
    .await;
}

#[tokio::test]
async fn exp_is_required_unless_told_otherwise() {
    bounded(async {
        let forever = hs256(&json!({"sub": "ada"}));
        assert_eq!(refusal(&hmac(), &forever).await, "missing claim exp");
        let user = hmac().require_expiry(false).verify(&forever).await.unwrap();
        assert_eq!(user.expires_at(), None);
        let bad_exp = hs256(&json!({"sub": "ada", "exp": "tomorrow"}));
        assert_eq!(refusal(&hmac(), &bad_exp).await, "missing claim exp");
        let lenient = hmac().require_expiry(false);
        assert_eq!(refusal(&lenient, &bad_exp).await, "malformed claim exp");
    })
    .await;
}

#[tokio::test]
async fn issuers_are_checked_once_set() {
    bounded(async {
        let authenticator = hmac()
            .issuer("https://issuer.example")
            .issuer("https://other-issuer.example");
        let right = hs256(&claims(json!({"iss": "https://other-issuer.example"})));
        assert!(authenticator.verify(&right).await.is_ok());
        let wrong = hs256(&claims(json!({"iss": "https://evil.example"})));
        assert_eq!(refusal(&authenticator, &wrong).await, "wrong issuer");
        let none = hs256(&claims(json!({})));
        assert_eq!(refusal(&authenticator, &none).await, "missing claim iss");
        // Not set: not checked.
        assert!(hmac().verify(&wrong).await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn audiences_are_checked_once_set() {
    bounded(async {
        let authenticator = hmac().audience("hub");
        for accepted in [json!("hub"), json!(["other", "hub"])] {
            let token = hs256(&claims(json!({ "aud": accepted })));
            assert!(authenticator.verify(&token).await.is_ok(), "{accepted}");
        }
        for refused in [json!("other"), json!(["other", "more"]), json!([])] {
            let token = hs256(&claims(json!({ "aud": refused })));
            let reason = refusal(&authenticator, &token).await;
            assert_eq!(reason, "wrong audience", "{refused}");
        }
        let none = hs256(&claims(json!({})));
        assert_eq!(refusal(&authenticator, &none).await, "missing claim aud");
    })
    .await;
}

#[tokio::test]
async fn unsigned_tokens_are_refused() {
    bounded(async {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims(json!({})).to_string());
        let unsigned = format!("{header}.{payload}.");
        assert_eq!(
            refusal(&hmac(), &unsigned).await,
            "unsigned token (alg none)"
        );
        // With a signature made up for it, or with `None` spelled otherwise.
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"None"}"#);
        let unsigned = format!("{header}.{payload}.c2lnbmF0dXJl");
        assert_eq!(
            refusal(&hmac(), &unsigned).await,
            "unsigned token (alg none)"
        );
    })
    .await;
}

/// Algorithm confusion: a token signed with HS256 and the RSA public key (known to all) as the
/// secret, for a server that has only that RSA key.
#[tokio::test]
async fn an_rsa_public_key_is_no_hmac_secret() {
    bounded(async {
        let authenticator = JwtAuthenticator::rsa_pem(RSA_1_PUBLIC).unwrap();
        let confused = EncodingKey::from_secret(RSA_1_PUBLIC).unwrap();
        let token = sign(Algorithm::HS256, None, &claims(json!({})), &confused);
        assert_eq!(
            refusal(&authenticator, &token).await,
            "algorithm HS256 not allowed by the configured keys"
        );
    })
    .await;
}

#[tokio::test]
async fn malformed_tokens_are_refused() {
    bounded(async {
        let valid = hs256(&claims(json!({})));
        let (header, rest) = valid.split_once('.').unwrap();
        let not_json = URL_SAFE_NO_PAD.encode("not json");
        // Signed, but its payload is no JSON object.
        let signed_garbage = |payload: &str| {
            let message = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
            let key = EncodingKey::from_secret(SECRET).unwrap();
            let signature = sign_message(message.as_bytes(), &key, Algorithm::HS256).unwrap();
            format!("{message}.{signature}")
        };
        for malformed in [
            "x".to_owned(),
            "a.b.c".to_owned(),
            format!("{valid}.extra"),
            signed_garbage("not json"),
            signed_garbage("[1, 2]"),
            format!("{not_json}.{rest}"),
            format!("{header}.{rest}!"),
        ] {
            assert_eq!(refusal(&hmac(), &malformed).await, "malformed token");
        }
        let odd = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS1024"}"#);
        let token = format!("{odd}.{rest}");
        assert_eq!(refusal(&hmac(), &token).await, "unsupported algorithm");
    })
    .await;
}

#[tokio::test]
async fn a_token_without_sub_is_refused() {
    bounded(async {
        let token = hs256(&json!({"name": "nobody", "exp": now() + 60}));
        assert_eq!(refusal(&hmac(), &token).await, "missing user id claim sub");
    })
    .await;
}

#[tokio::test]
async fn rsa_and_ec_keys_verify_their_algorithms() {
    bounded(async {
        let token_claims = claims(json!({}));
        let by_rsa = JwtAuthenticator::rsa_pem(RSA_1_PUBLIC).unwrap();
        for alg in [Algorithm::RS256, Algorithm::RS512, Algorithm::PS256] {
            let token = sign(alg, None, &token_claims, &rsa(RSA_1_PRIVATE));
            assert_eq!(by_rsa.verify(&token).await.unwrap().id(), "ada", "{alg:?}");
        }
        let other_rsa = sign(Algorithm::RS256, None, &token_claims, &rsa(RSA_2_PRIVATE));
        assert_eq!(refusal(&by_rsa, &other_rsa).await, "bad signature");

        let by_ec = JwtAuthenticator::ec_pem(EC_PUBLIC).unwrap();
        let ec_key = EncodingKey::from_ec_pem(EC_PRIVATE).unwrap();
        let token = sign(Algorithm::ES256, None, &token_claims, &ec_key);
        assert_eq!(by_ec.verify(&token).await.unwrap().id(), "ada");
        // Each key accepts its own algorithms only.
        assert_eq!(
            refusal(&by_rsa, &token).await,
            "algorithm ES256 not allowed by the configured keys"
        );
        let rs256 = sign(Algorithm::RS256, None, &token_claims, &rsa(RSA_1_PRIVATE));
        assert_eq!(
            refusal(&by_ec, &rs256).await,
            "algorithm RS256 not allowed by the configured keys"
        );

        // Several keys: each token is checked with the one that signed it.
        let both = JwtAuthenticator::rsa_pem(RSA_1_PUBLIC)
            .unwrap()
            .key(JwtKey::ec_pem(EC_PUBLIC).unwrap())
            .key(JwtKey::rsa_pem(RSA_2_PUBLIC).unwrap());
        for token in [&token, &rs256, &other_rsa] {
            assert!(both.verify(token).await.is_ok());
        }
    })
    .await;
}

#[tokio::test]
async fn key_ids_pick_the_key() {
    bounded(async {
        let authenticator =
            JwtAuthenticator::new(JwtKey::rsa_pem(RSA_1_PUBLIC).unwrap().with_kid("one"))
                .key(JwtKey::rsa_pem(RSA_2_PUBLIC).unwrap().with_kid("two"));
        let token_claims = claims(json!({}));
        let two = sign(
            Algorithm::RS256,
            Some("two"),
            &token_claims,
            &rsa(RSA_2_PRIVATE),
        );
        assert!(authenticator.verify(&two).await.is_ok());
        let lying = sign(
            Algorithm::RS256,
            Some("one"),
            &token_claims,
            &rsa(RSA_2_PRIVATE),
        );
        assert_eq!(refusal(&authenticator, &lying).await, "bad signature");
        let unknown = sign(
            Algorithm::RS256,
            Some("three"),
            &token_claims,
            &rsa(RSA_2_PRIVATE),
        );
        assert_eq!(
            refusal(&authenticator, &unknown).await,
            r#"unknown key id "three""#
        );

        // Long ids are matched whole, and logged cut short.
        let long = "k".repeat(100);
        let authenticator =
            JwtAuthenticator::new(JwtKey::rsa_pem(RSA_1_PUBLIC).unwrap().with_kid(&long));
        let token = sign(
            Algorithm::RS256,
            Some(&long),
            &token_claims,
            &rsa(RSA_1_PRIVATE),
        );
        assert!(authenticator.verify(&token).await.is_ok());
        let longer = format!("{long}k");
        let token = sign(
            Algorithm::RS256,
            Some(&longer),
            &token_claims,
            &rsa(RSA_1_PRIVATE),
        );
        let reason = refusal(&authenticator, &token).await;
        assert_eq!(reason, format!("unknown key id {:?}", &long[..64]));
    })
    .await;
}

#[test]
fn bad_configurations_are_errors() {
    let short = JwtAuthenticator::hmac(b"short").unwrap_err();
    assert_eq!(short, JwtConfigError::ShortSecret { len: 5 });
    for not_rsa in [&b"not a pem"[..], RSA_1_PRIVATE, EC_PUBLIC] {
        let error = JwtAuthenticator::rsa_pem(not_rsa).unwrap_err();
        assert!(matches!(error, JwtConfigError::InvalidKey(_)), "{error}");
    }
    for not_ec in [&b""[..], EC_PRIVATE, RSA_1_PUBLIC] {
        let error = JwtAuthenticator::ec_pem(not_ec).unwrap_err();
        assert!(matches!(error, JwtConfigError::InvalidKey(_)), "{error}");
    }
    let error = JwtAuthenticator::jwk_set(r#"{"nokeys": 1}"#).unwrap_err();
    assert!(matches!(error, JwtConfigError::InvalidJwkSet(_)), "{error}");
    let encryption_only = json!({"keys": [{"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}]});
    let error = JwtAuthenticator::jwk_set(&encryption_only.to_string()).unwrap_err();
    assert_eq!(error, JwtConfigError::NoUsableKey);

    // Debug shows no key material.
    let key = JwtKey::hmac(SECRET).unwrap().with_kid("k");
    let debug = format!("{:?}", JwtAuthenticator::new(key));
    assert!(
        debug.contains("\"k\"") && !debug.contains("HMAC secret"),
        "{debug}"
    );
}

/// The JWK of a test key pair.
fn jwk(private: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(private, alg).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk
}

fn jwk_set(keys: Vec<Jwk>) -> String {
    serde_json::to_string(&JwkSet { keys }).unwrap()
}

#[tokio::test]
async fn a_jwk_set_given_as_json() {
    bounded(async {
        let ec_key = EncodingKey::from_ec_pem(EC_PRIVATE).unwrap();
        let set = jwk_set(vec![
            jwk(&rsa(RSA_1_PRIVATE), Algorithm::RS256, "rsa"),
            jwk(&ec_key, Algorithm::ES256, "ec"),
            jwk(
                &EncodingKey::from_secret(SECRET).unwrap(),
                Algorithm::HS256,
                "secret",
            ),
        ]);
        let authenticator = JwtAuthenticator::jwk_set(&set).unwrap();
        let token_claims = claims(json!({}));
        for token in [
            sign(
                Algorithm::RS256,
                Some("rsa"),
                &token_claims,
                &rsa(RSA_1_PRIVATE),
            ),
            sign(Algorithm::ES256, Some("ec"), &token_claims, &ec_key),
            sign(
                Algorithm::HS256,
                Some("secret"),
                &token_claims,
                &EncodingKey::from_secret(SECRET).unwrap(),
            ),
        ] {
            assert!(authenticator.verify(&token).await.is_ok());
        }
        // The JWK names RS256: RS512 with the same key is refused.
        let rs512 = sign(
            Algorithm::RS512,
            Some("rsa"),
            &token_claims,
            &rsa(RSA_1_PRIVATE),
        );
        assert_eq!(
            refusal(&authenticator, &rs512).await,
            "algorithm RS512 not allowed by the configured keys"
        );
    })
    .await;
}
