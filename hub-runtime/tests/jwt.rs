//! The JWT bearer authenticator: what it accepts, what it refuses and why, and the keys it
//! fetches from a JWKS URL. Tokens are signed here with jsonwebtoken and with the test-only keys
//! of tests/fixtures/jwt/.
#![cfg(feature = "jwks")]
#![allow(missing_docs)]

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hub_runtime::auth::{Authenticator, JwtAuthenticator, JwtConfigError, JwtKey};
use jsonwebtoken::crypto::sign as sign_message;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tokio::net::TcpListener;

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
    let error = JwtAuthenticator::jwks_url("http://idp.example/jwks").unwrap_err();
    assert!(matches!(error, JwtConfigError::InvalidUrl(_)), "{error}");

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

/// A JWKS endpoint on 127.0.0.1 that counts its requests.
struct JwksServer {
    url: String,
    body: Arc<Mutex<(StatusCode, String)>>,
    requests: Arc<AtomicUsize>,
}

impl JwksServer {
    async fn start(body: String) -> Self {
        let state = Arc::new(Mutex::new((StatusCode::OK, body)));
        let requests = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (state.clone(), requests.clone());
        let app = axum::Router::new().route(
            "/jwks",
            get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                let (status, body) = served.lock().unwrap().clone();
                async move { (status, [("content-type", "application/json")], body) }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        JwksServer {
            url,
            body: state,
            requests,
        }
    }

    fn serve(&self, status: StatusCode, body: String) {
        *self.body.lock().unwrap() = (status, body);
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn authenticator(&self) -> JwtAuthenticator {
        JwtAuthenticator::jwks_url(&self.url)
            .unwrap()
            .jwks_timeout(Duration::from_secs(5))
    }
}

/// Moves tokio's clock forward by `by`, and lets it run on again.
async fn later(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

fn rsa_token(private: &[u8], kid: &str) -> String {
    sign(
        Algorithm::RS256,
        Some(kid),
        &claims(json!({})),
        &rsa(private),
    )
}

#[tokio::test]
async fn jwks_keys_are_fetched_at_first_use_and_kept() {
    bounded(async {
        let server = JwksServer::start(jwk_set(vec![jwk(
            &rsa(RSA_1_PRIVATE),
            Algorithm::RS256,
            "one",
        )]))
        .await;
        let authenticator = server.authenticator();
        assert_eq!(server.requests(), 0);
        let token = rsa_token(RSA_1_PRIVATE, "one");
        assert_eq!(authenticator.verify(&token).await.unwrap().id(), "ada");
        assert_eq!(server.requests(), 1);
        assert!(authenticator.verify(&token).await.is_ok());
        let forged = rsa_token(RSA_2_PRIVATE, "one");
        assert_eq!(refusal(&authenticator, &forged).await, "bad signature");
        assert_eq!(server.requests(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_unknown_ids_do_not_refetch() {
    bounded(async {
        let server = JwksServer::start(jwk_set(vec![jwk(
            &rsa(RSA_1_PRIVATE),
            Algorithm::RS256,
            "one",
        )]))
        .await;
        let authenticator = server.authenticator();
        assert!(
            authenticator
                .verify(&rsa_token(RSA_1_PRIVATE, "one"))
                .await
                .is_ok()
        );
        assert_eq!(server.requests(), 1);

        // The provider rotates its key.
        server.serve(
            StatusCode::OK,
            jwk_set(vec![jwk(&rsa(RSA_2_PRIVATE), Algorithm::RS256, "two")]),
        );
        later(Duration::from_secs(31)).await;
        let rotated = rsa_token(RSA_2_PRIVATE, "two");
        assert_eq!(authenticator.verify(&rotated).await.unwrap().id(), "ada");
        assert_eq!(server.requests(), 2);
        assert!(authenticator.verify(&rotated).await.is_ok());
        assert_eq!(server.requests(), 2);

        // Within the refresh interval, an unknown id does not make it fetch again.
        let unknown = rsa_token(RSA_2_PRIVATE, "three");
        assert_eq!(
            refusal(&authenticator, &unknown).await,
            r#"unknown key id "three""#
        );
        assert_eq!(
            refusal(&authenticator, &unknown).await,
            r#"unknown key id "three""#
        );
        assert_eq!(server.requests(), 2);
        // After it, one fetch, and the id is still unknown.
        later(Duration::from_secs(31)).await;
        assert_eq!(
            refusal(&authenticator, &unknown).await,
            r#"unknown key id "three""#
        );
        assert_eq!(server.requests(), 3);
    })
    .await;
}

#[tokio::test]
async fn the_first_requests_share_one_fetch() {
    bounded(async {
        let server = JwksServer::start(jwk_set(vec![jwk(
            &rsa(RSA_1_PRIVATE),
            Algorithm::RS256,
            "one",
        )]))
        .await;
        // No refresh interval: only the sharing keeps the waiting requests from fetching.
        let authenticator = server.authenticator().jwks_refresh_interval(Duration::ZERO);
        let token = rsa_token(RSA_1_PRIVATE, "one");
        let all = futures_util::future::join_all((0..8).map(|_| authenticator.verify(&token)));
        for result in all.await {
            assert_eq!(result.unwrap().id(), "ada");
        }
        assert_eq!(server.requests(), 1);
    })
    .await;
}

#[tokio::test]
async fn keys_older_than_their_maximum_age_are_fetched_again() {
    bounded(async {
        let server = JwksServer::start(jwk_set(vec![jwk(
            &rsa(RSA_1_PRIVATE),
            Algorithm::RS256,
            "one",
        )]))
        .await;
        let authenticator = server
            .authenticator()
            .jwks_max_age(Duration::from_secs(100));
        let token = rsa_token(RSA_1_PRIVATE, "one");
        assert!(authenticator.verify(&token).await.is_ok());
        // The provider withdraws key one.
        server.serve(
            StatusCode::OK,
            jwk_set(vec![jwk(&rsa(RSA_2_PRIVATE), Algorithm::RS256, "two")]),
        );
        later(Duration::from_secs(60)).await;
        assert!(authenticator.verify(&token).await.is_ok());
        assert_eq!(server.requests(), 1);
        later(Duration::from_secs(41)).await;
        assert_eq!(
            refusal(&authenticator, &token).await,
            r#"unknown key id "one""#
        );
        assert_eq!(server.requests(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_failing_endpoint_refuses_tokens_and_is_not_hammered() {
    bounded(async {
        let server = JwksServer::start("oops".into()).await;
        server.serve(StatusCode::INTERNAL_SERVER_ERROR, "oops".into());
        let authenticator = server.authenticator();
        let token = rsa_token(RSA_1_PRIVATE, "one");
        assert_eq!(
            refusal(&authenticator, &token).await,
            "signing keys unavailable: status 500 Internal Server Error"
        );
        assert_eq!(server.requests(), 1);
        assert!(authenticator.verify(&token).await.is_err());
        assert_eq!(server.requests(), 1);

        // Back, but serving no JSON.
        server.serve(StatusCode::OK, "<html>".into());
        later(Duration::from_secs(31)).await;
        let reason = refusal(&authenticator, &token).await;
        assert!(
            reason.starts_with("signing keys unavailable: invalid JWK set"),
            "{reason}"
        );
        assert_eq!(server.requests(), 2);

        // Back for good.
        server.serve(
            StatusCode::OK,
            jwk_set(vec![jwk(&rsa(RSA_1_PRIVATE), Algorithm::RS256, "one")]),
        );
        later(Duration::from_secs(31)).await;
        assert!(authenticator.verify(&token).await.is_ok());
        assert_eq!(server.requests(), 3);
    })
    .await;
}

#[tokio::test]
async fn an_endpoint_that_is_down_is_an_auth_error() {
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        drop(listener);
        let authenticator = JwtAuthenticator::jwks_url(&url).unwrap();
        let reason = refusal(&authenticator, &rsa_token(RSA_1_PRIVATE, "one")).await;
        assert!(reason.starts_with("signing keys unavailable: "), "{reason}");
    })
    .await;
}

#[tokio::test]
async fn an_endpoint_that_does_not_answer_times_out() {
    bounded(async {
        // Accepts connections, never answers.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let authenticator = JwtAuthenticator::jwks_url(&url)
            .unwrap()
            .jwks_timeout(Duration::from_millis(200));
        let reason = refusal(&authenticator, &rsa_token(RSA_1_PRIVATE, "one")).await;
        assert_eq!(reason, "signing keys unavailable: no answer within 200ms");
        drop(listener);
    })
    .await;
}

#[tokio::test]
async fn an_oversize_key_set_is_refused() {
    bounded(async {
        let key = jwk(&rsa(RSA_1_PRIVATE), Algorithm::RS256, "one");
        let mut padded = serde_json::to_value(JwkSet { keys: vec![key] }).unwrap();
        padded["padding"] = json!("x".repeat(1024 * 1024));
        let server = JwksServer::start(padded.to_string()).await;
        let authenticator = server.authenticator();
        let reason = refusal(&authenticator, &rsa_token(RSA_1_PRIVATE, "one")).await;
        assert_eq!(
            reason,
            "signing keys unavailable: the key set is larger than 1048576 bytes"
        );

        // Streamed, with no length told first.
        let app = axum::Router::new().route(
            "/jwks",
            get(|| async {
                let chunk = || Ok::<_, std::io::Error>(vec![b' '; 64 * 1024]);
                let chunks = futures_util::stream::iter(std::iter::repeat_with(chunk).take(20));
                axum::body::Body::from_stream(chunks)
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let authenticator = JwtAuthenticator::jwks_url(&url).unwrap();
        let reason = refusal(&authenticator, &rsa_token(RSA_1_PRIVATE, "one")).await;
        assert_eq!(
            reason,
            "signing keys unavailable: the key set is larger than 1048576 bytes"
        );
    })
    .await;
}

/// A published set holds public keys: an HMAC secret in it would let anyone who reads it sign
/// tokens, so it is not taken.
#[tokio::test]
async fn hmac_secrets_are_not_taken_from_a_url() {
    bounded(async {
        let secret = EncodingKey::from_secret(SECRET).unwrap();
        let server = JwksServer::start(jwk_set(vec![
            jwk(&secret, Algorithm::HS256, "secret"),
            jwk(&rsa(RSA_1_PRIVATE), Algorithm::RS256, "one"),
        ]))
        .await;
        let authenticator = server.authenticator();
        let token = sign(
            Algorithm::HS256,
            Some("secret"),
            &claims(json!({})),
            &secret,
        );
        assert_eq!(
            refusal(&authenticator, &token).await,
            r#"unknown key id "secret""#
        );
    })
    .await;
}
