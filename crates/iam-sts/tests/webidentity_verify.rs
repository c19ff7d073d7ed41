//! Web-identity token verification: every check of `verify_web_identity_token` and its STS
//! error code, with tokens signed in the test by the test-only keys in
//! `corpus/sts/webidentity/`.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "fixture helpers outside #[test] fns must fail loudly on broken fixtures"
)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use iam_policy::context::ContextValue;
use iam_sts::webidentity::{
    verify_web_identity_token, OidcProvider, ProviderKeys, TokenFault, VerifiedWebIdentity,
    WebIdentityError, CLOCK_SKEW_SECONDS,
};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;
const ACCOUNT: &str = "123456789012";
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const EKS: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const SUB: &str = "repo:octo-org/octo-repo:ref:refs/heads/main";

fn corpus(name: &str) -> String {
    let path = format!(
        "{}/../../corpus/sts/webidentity/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).unwrap()
}

fn all_keys() -> ProviderKeys {
    ProviderKeys::from_json(&corpus("jwks.json")).unwrap()
}

/// A JWK set holding only the keys whose kid is in `kids`.
fn keys_only(kids: &[&str]) -> ProviderKeys {
    let mut doc: Value = serde_json::from_str(&corpus("jwks.json")).unwrap();
    let keys = doc["keys"].as_array_mut().unwrap();
    keys.retain(|k| kids.contains(&k["kid"].as_str().unwrap()));
    ProviderKeys::from_json(&doc.to_string()).unwrap()
}

fn github() -> OidcProvider {
    OidcProvider::iam(
        ACCOUNT,
        GITHUB,
        vec!["sts.amazonaws.com".into()],
        all_keys(),
    )
    .unwrap()
}

fn eks() -> OidcProvider {
    OidcProvider::iam(ACCOUNT, EKS, vec!["sts.amazonaws.com".into()], all_keys()).unwrap()
}

fn google() -> OidcProvider {
    OidcProvider::well_known(
        "https://accounts.google.com",
        vec!["web-client.apps.googleusercontent.com".into()],
        all_keys(),
    )
    .unwrap()
}

fn cognito() -> OidcProvider {
    OidcProvider::well_known(
        "https://cognito-identity.amazonaws.com",
        vec!["us-east-1:12345678-1234-1234-1234-123456789012".into()],
        all_keys(),
    )
    .unwrap()
}

fn providers() -> Vec<OidcProvider> {
    vec![github(), eks(), google(), cognito()]
}

fn claims() -> Value {
    json!({
        "iss": GITHUB,
        "sub": SUB,
        "aud": "sts.amazonaws.com",
        "iat": NOW - 60,
        "nbf": NOW - 60,
        "exp": NOW + 300,
        "repository": "octo-org/octo-repo",
    })
}

fn private_key(alg: Algorithm, pem_file: &str) -> EncodingKey {
    let pem = corpus(pem_file);
    match alg {
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    }
}

fn sign(alg: Algorithm, pem_file: &str, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, &private_key(alg, pem_file)).unwrap()
}

fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, "rsa-a.pem", Some("rsa-a"), claims)
}

/// A token with a hand-written header and payload and the given signature segment.
fn raw_token(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn verify(token: &str) -> Result<VerifiedWebIdentity, WebIdentityError> {
    verify_web_identity_token(token, &providers(), now())
}

fn fault(token: &str) -> WebIdentityError {
    match verify(token) {
        Ok(v) => panic!("token accepted: {v:?}"),
        Err(e) => e,
    }
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

fn without(mut base: Value, key: &str) -> Value {
    base.as_object_mut().unwrap().remove(key);
    base
}

fn key_value(keys: &[(String, ContextValue)], name: &str) -> Option<ContextValue> {
    keys.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

fn single(s: &str) -> Option<ContextValue> {
    Some(ContextValue::Single(s.to_owned()))
}

#[test]
fn rs256_token_from_an_iam_provider_verifies_and_yields_its_keys() {
    let v = verify(&rs256(&claims())).unwrap();
    assert_eq!(v.provider_key, "token.actions.githubusercontent.com");
    assert_eq!(v.sub, SUB);
    assert_eq!(v.aud, vec!["sts.amazonaws.com"]);
    assert_eq!(v.expires_at, NOW + 300);
    assert_eq!(v.issued_at, Some(NOW - 60));
    assert_eq!(v.claims["repository"], "octo-org/octo-repo");
    let arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    assert_eq!(v.provider(), arn);
    assert_eq!(v.federated_provider(), arn);
    assert_eq!(v.audience(), "sts.amazonaws.com");
    assert_eq!(v.subject_from_web_identity_token(), SUB);

    let keys = v.condition_keys();
    assert_eq!(
        key_value(&keys, "token.actions.githubusercontent.com:sub"),
        single(SUB)
    );
    assert_eq!(
        key_value(&keys, "token.actions.githubusercontent.com:aud"),
        single("sts.amazonaws.com")
    );
    assert_eq!(key_value(&keys, "aws:FederatedProvider"), single(arn));
    assert_eq!(keys.len(), 3, "{keys:?}");
}

#[test]
fn es256_token_verifies_and_eks_provider_key_keeps_the_path() {
    let token = sign(
        Algorithm::ES256,
        "ec-a.pem",
        Some("ec-a"),
        &with(claims(), "iss", json!(EKS)),
    );
    let v = verify(&token).unwrap();
    let prefix = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    assert_eq!(v.provider_key, prefix);
    let keys = v.condition_keys();
    assert_eq!(key_value(&keys, &format!("{prefix}:sub")), single(SUB));
    assert_eq!(
        v.provider(),
        format!("arn:aws:iam::123456789012:oidc-provider/{prefix}")
    );
}

#[test]
fn rs384_and_rs512_verify_with_a_key_without_alg() {
    for alg in [Algorithm::RS384, Algorithm::RS512] {
        let token = sign(alg, "rsa-b.pem", Some("rsa-b"), &claims());
        verify(&token).unwrap();
    }
}

#[test]
fn a_key_restricted_to_rs256_does_not_verify_rs512() {
    let token = sign(Algorithm::RS512, "rsa-a.pem", Some("rsa-a"), &claims());
    let e = fault(&token);
    assert_eq!(e.fault, TokenFault::Algorithm);
    assert_eq!(e.code(), "InvalidIdentityToken");
}

#[test]
fn an_rsa_signature_with_an_ec_kid_is_refused() {
    let token = sign(Algorithm::RS256, "rsa-a.pem", Some("ec-a"), &claims());
    assert_eq!(fault(&token).fault, TokenFault::Algorithm);
}

#[test]
fn a_signature_by_another_key_is_refused() {
    // Signed by rsa-b, but names rsa-a.
    let token = sign(Algorithm::RS256, "rsa-b.pem", Some("rsa-a"), &claims());
    let e = fault(&token);
    assert_eq!(e.fault, TokenFault::Signature);
    assert_eq!(e.code(), "InvalidIdentityToken");
    assert_eq!(e.http_status(), 400);
}

#[test]
fn a_tampered_payload_is_refused() {
    let token = rs256(&claims());
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged =
        URL_SAFE_NO_PAD.encode(with(claims(), "sub", json!("repo:evil/evil:ref:main")).to_string());
    parts[1] = &forged;
    assert_eq!(fault(&parts.join(".")).fault, TokenFault::Signature);
}

#[test]
fn a_corrupted_signature_is_refused() {
    let token = rs256(&claims());
    let (head, sig) = token.rsplit_once('.').unwrap();
    let mut sig_bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
    sig_bytes[10] ^= 0x01;
    let bad = format!("{head}.{}", URL_SAFE_NO_PAD.encode(sig_bytes));
    assert_eq!(fault(&bad).fault, TokenFault::Signature);
    let empty_sig = format!("{head}.");
    assert!(matches!(
        fault(&empty_sig).fault,
        TokenFault::Signature | TokenFault::Malformed
    ));
}

#[test]
fn alg_none_is_refused() {
    for alg in ["none", "None", "NONE"] {
        let token = raw_token(&json!({"alg": alg, "typ": "JWT"}), &claims(), "");
        let e = fault(&token);
        assert_eq!(e.fault, TokenFault::Algorithm, "{alg}");
        assert!(e.message.contains(&format!("`{alg}`")), "{}", e.message);
    }
    let missing = raw_token(&json!({"typ": "JWT", "kid": "rsa-a"}), &claims(), "");
    assert_eq!(fault(&missing).fault, TokenFault::Algorithm);
}

#[test]
fn hmac_tokens_are_refused_even_when_keyed_with_public_key_material() {
    // The classic key-confusion attack: HS256 keyed with the public RSA modulus.
    let jwks: Value = serde_json::from_str(&corpus("jwks.json")).unwrap();
    let n = jwks["keys"][0]["n"].as_str().unwrap();
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let mut header = Header::new(alg);
        header.kid = Some("rsa-a".into());
        let token = encode(&header, &claims(), &EncodingKey::from_secret(n.as_bytes())).unwrap();
        assert_eq!(fault(&token).fault, TokenFault::Algorithm);
    }
}

#[test]
fn other_algorithms_are_refused() {
    let token = sign(Algorithm::PS256, "rsa-b.pem", Some("rsa-b"), &claims());
    assert_eq!(fault(&token).fault, TokenFault::Algorithm);
    for alg in ["ES512", "EdDSA", "RS1"] {
        let token = raw_token(&json!({"alg": alg, "kid": "ec-a"}), &claims(), "AAAA");
        assert_eq!(fault(&token).fault, TokenFault::Algorithm, "{alg}");
    }
}

#[test]
fn an_unknown_kid_is_refused() {
    let token = sign(
        Algorithm::RS256,
        "rsa-a.pem",
        Some("rotated-away"),
        &claims(),
    );
    let e = fault(&token);
    assert_eq!(e.fault, TokenFault::UnknownKey);
    assert_eq!(e.code(), "InvalidIdentityToken");
    assert!(e.message.contains("`rotated-away`"), "{}", e.message);
}

#[test]
fn without_kid_the_only_key_of_the_set_is_used() {
    let single_key = OidcProvider::iam(
        ACCOUNT,
        GITHUB,
        vec!["sts.amazonaws.com".into()],
        keys_only(&["ec-a"]),
    )
    .unwrap();
    let token = sign(Algorithm::ES256, "ec-a.pem", None, &claims());
    verify_web_identity_token(&token, std::slice::from_ref(&single_key), now()).unwrap();
    // The single key must still fit the algorithm and verify the signature.
    let rsa = sign(Algorithm::RS256, "rsa-a.pem", None, &claims());
    let e = verify_web_identity_token(&rsa, &[single_key], now()).unwrap_err();
    assert_eq!(e.fault, TokenFault::Algorithm);
}

#[test]
fn without_kid_a_set_of_several_keys_is_ambiguous() {
    let token = sign(Algorithm::RS256, "rsa-a.pem", None, &claims());
    assert_eq!(fault(&token).fault, TokenFault::UnknownKey);
}

#[test]
fn an_unknown_issuer_gets_the_aws_message() {
    let token = rs256(&with(claims(), "iss", json!("https://evil.example.com")));
    let e = fault(&token);
    assert_eq!(e.fault, TokenFault::Issuer);
    assert_eq!(e.code(), "InvalidIdentityToken");
    assert_eq!(
        e.message,
        "No OpenIDConnect provider found in your account for https://evil.example.com"
    );
}

#[test]
fn issuer_must_match_exactly_apart_from_the_https_scheme() {
    for iss in [
        "https://token.actions.githubusercontent.com/",
        "http://token.actions.githubusercontent.com",
        "https://TOKEN.actions.githubusercontent.com",
        "https://token.actions.githubusercontent.com:443",
        "token.actions.githubusercontent.com/",
    ] {
        let token = rs256(&with(claims(), "iss", json!(iss)));
        assert_eq!(fault(&token).fault, TokenFault::Issuer, "{iss}");
    }
    // Without a scheme the issuer names the same provider (Google issues both forms).
    let token = rs256(&with(
        claims(),
        "iss",
        json!("token.actions.githubusercontent.com"),
    ));
    let v = verify(&token).unwrap();
    assert_eq!(v.issuer, "token.actions.githubusercontent.com");
    assert_eq!(v.provider_key, "token.actions.githubusercontent.com");
}

#[test]
fn missing_or_non_string_issuer_is_refused() {
    assert_eq!(
        fault(&rs256(&without(claims(), "iss"))).fault,
        TokenFault::Issuer
    );
    assert_eq!(
        fault(&rs256(&with(
            claims(),
            "iss",
            json!(["https://token.actions.githubusercontent.com"])
        )))
        .fault,
        TokenFault::Issuer
    );
}

#[test]
fn a_wrong_audience_is_refused() {
    for aud in [json!("someone-else"), json!([]), json!(["a", "b"])] {
        let e = fault(&rs256(&with(claims(), "aud", aud.clone())));
        assert_eq!(e.fault, TokenFault::Audience, "{aud}");
        assert_eq!(e.code(), "InvalidIdentityToken");
        assert_eq!(e.message, "Incorrect token audience");
    }
    assert_eq!(
        fault(&rs256(&without(claims(), "aud"))).fault,
        TokenFault::Audience
    );
    assert_eq!(
        fault(&rs256(&with(claims(), "aud", json!(42)))).fault,
        TokenFault::ClaimFormat
    );
}

#[test]
fn one_matching_value_among_several_audiences_is_enough() {
    let token = rs256(&with(
        claims(),
        "aud",
        json!(["https://github.com/octo-org", "sts.amazonaws.com"]),
    ));
    let v = verify(&token).unwrap();
    assert_eq!(
        v.aud,
        vec!["https://github.com/octo-org", "sts.amazonaws.com"]
    );
    assert_eq!(v.audience(), "sts.amazonaws.com");
    assert_eq!(
        key_value(
            &v.condition_keys(),
            "token.actions.githubusercontent.com:aud"
        ),
        single("sts.amazonaws.com")
    );
}

#[test]
fn azp_naming_a_client_id_is_accepted_when_aud_does_not() {
    let c = json!({
        "iss": "https://accounts.google.com",
        "sub": "110169484474386276334",
        "aud": "server-client.apps.googleusercontent.com",
        "azp": "web-client.apps.googleusercontent.com",
        "email": "jane@example.com",
        "iat": NOW - 10,
        "exp": NOW + 3600,
    });
    let v = verify(&rs256(&c)).unwrap();
    assert_eq!(v.audience(), "web-client.apps.googleusercontent.com");
    assert_eq!(
        v.azp.as_deref(),
        Some("web-client.apps.googleusercontent.com")
    );
    assert_eq!(v.email.as_deref(), Some("jane@example.com"));
    // Well-known provider: Provider is the iss, FederatedProvider the host.
    assert_eq!(v.provider(), "https://accounts.google.com");
    assert_eq!(v.federated_provider(), "accounts.google.com");
    let keys = v.condition_keys();
    assert_eq!(
        key_value(&keys, "accounts.google.com:aud"),
        single("web-client.apps.googleusercontent.com")
    );
    assert_eq!(
        key_value(&keys, "accounts.google.com:oaud"),
        single("server-client.apps.googleusercontent.com")
    );
    assert_eq!(
        key_value(&keys, "accounts.google.com:sub"),
        single("110169484474386276334")
    );
    assert_eq!(
        key_value(&keys, "aws:FederatedProvider"),
        single("accounts.google.com")
    );
}

#[test]
fn google_aud_key_is_azp_when_set_even_if_aud_matched() {
    let c = json!({
        "iss": "accounts.google.com",
        "sub": "110169484474386276334",
        "aud": "web-client.apps.googleusercontent.com",
        "azp": "android-client.apps.googleusercontent.com",
        "exp": NOW + 3600,
    });
    let v = verify(&rs256(&c)).unwrap();
    assert_eq!(v.audience(), "web-client.apps.googleusercontent.com");
    let keys = v.condition_keys();
    assert_eq!(
        key_value(&keys, "accounts.google.com:aud"),
        single("android-client.apps.googleusercontent.com")
    );
    assert_eq!(
        key_value(&keys, "accounts.google.com:oaud"),
        single("web-client.apps.googleusercontent.com")
    );
}

#[test]
fn azp_matters_only_as_a_fallback_and_a_wrong_azp_with_a_wrong_aud_fails() {
    let c = with(
        with(claims(), "aud", json!("someone-else")),
        "azp",
        json!("also-wrong"),
    );
    assert_eq!(fault(&rs256(&c)).fault, TokenFault::Audience);
    let c = with(claims(), "azp", json!(7));
    assert_eq!(fault(&rs256(&c)).fault, TokenFault::ClaimFormat);
}

#[test]
fn cognito_tokens_carry_multi_valued_amr() {
    let c = json!({
        "iss": "https://cognito-identity.amazonaws.com",
        "sub": "us-east-1:a1b2c3d4-0000-1111-2222-333344445555",
        "aud": "us-east-1:12345678-1234-1234-1234-123456789012",
        "amr": ["authenticated", "accounts.google.com", "accounts.google.com:1234"],
        "exp": NOW + 600,
    });
    let v = verify(&rs256(&c)).unwrap();
    let keys = v.condition_keys();
    assert_eq!(
        key_value(&keys, "cognito-identity.amazonaws.com:amr"),
        Some(ContextValue::Multi(vec![
            "authenticated".into(),
            "accounts.google.com".into(),
            "accounts.google.com:1234".into()
        ]))
    );
    assert_eq!(
        key_value(&keys, "cognito-identity.amazonaws.com:aud"),
        single("us-east-1:12345678-1234-1234-1234-123456789012")
    );
    assert_eq!(
        key_value(&keys, "aws:FederatedProvider"),
        single("cognito-identity.amazonaws.com")
    );
    // Other providers get no amr or oaud key even when the claim exists.
    let v = verify(&rs256(&with(claims(), "amr", json!(["pwd"])))).unwrap();
    assert_eq!(v.amr, vec!["pwd"]);
    assert!(v
        .condition_keys()
        .iter()
        .all(|(k, _)| !k.ends_with(":amr") && !k.ends_with(":oaud")));
}

#[test]
fn an_expired_token_gets_the_aws_message() {
    for exp in [NOW, NOW - 1, NOW - 86_400] {
        let e = fault(&rs256(&with(claims(), "exp", json!(exp))));
        assert_eq!(e.fault, TokenFault::Expired);
        assert_eq!(e.code(), "ExpiredTokenException");
        assert_eq!(e.http_status(), 400);
        assert_eq!(
            e.message,
            format!(
                "Token expired: current date/time {NOW} must be before the expiration date/time {exp}"
            )
        );
    }
    verify(&rs256(&with(claims(), "exp", json!(NOW + 1)))).unwrap();
}

#[test]
fn nbf_in_the_future_beyond_the_skew_is_refused() {
    let e = fault(&rs256(&with(
        claims(),
        "nbf",
        json!(NOW + CLOCK_SKEW_SECONDS + 1),
    )));
    assert_eq!(e.fault, TokenFault::NotYetValid);
    assert_eq!(e.code(), "InvalidIdentityToken");
    verify(&rs256(&with(
        claims(),
        "nbf",
        json!(NOW + CLOCK_SKEW_SECONDS),
    )))
    .unwrap();
}

#[test]
fn iat_in_the_future_beyond_the_skew_is_refused() {
    let e = fault(&rs256(&with(
        claims(),
        "iat",
        json!(NOW + CLOCK_SKEW_SECONDS + 1),
    )));
    assert_eq!(e.fault, TokenFault::IssuedInFuture);
    assert_eq!(e.code(), "InvalidIdentityToken");
    verify(&rs256(&with(
        claims(),
        "iat",
        json!(NOW + CLOCK_SKEW_SECONDS),
    )))
    .unwrap();
}

#[test]
fn date_claims_must_be_integers_and_exp_is_required() {
    assert_eq!(
        fault(&rs256(&without(claims(), "exp"))).fault,
        TokenFault::ClaimFormat
    );
    for (claim, value) in [
        ("exp", json!(1.8e9 + 300.5)),
        ("exp", json!("1800000300")),
        ("nbf", json!(1.5)),
        ("iat", json!(null)),
        ("iat", json!(true)),
    ] {
        let e = fault(&rs256(&with(claims(), claim, value.clone())));
        assert_eq!(e.fault, TokenFault::ClaimFormat, "{claim} = {value}");
        assert_eq!(e.code(), "InvalidIdentityToken");
    }
}

#[test]
fn subject_outside_six_to_255_characters_is_an_idp_rejected_claim() {
    for sub in [json!("abcde"), json!("x".repeat(256)), json!(123_456_789)] {
        let e = fault(&rs256(&with(claims(), "sub", sub)));
        assert_eq!(e.fault, TokenFault::Subject);
        assert_eq!(e.code(), "IDPRejectedClaim");
        assert_eq!(e.http_status(), 403);
    }
    assert_eq!(
        fault(&rs256(&without(claims(), "sub"))).fault,
        TokenFault::Subject
    );
    verify(&rs256(&with(claims(), "sub", json!("abcdef")))).unwrap();
    verify(&rs256(&with(claims(), "sub", json!("é".repeat(255))))).unwrap();
}

#[test]
fn malformed_tokens_are_refused_without_panicking() {
    let good = rs256(&claims());
    let (h, rest) = good.split_once('.').unwrap();
    let not_json = URL_SAFE_NO_PAD.encode("not json");
    let array = URL_SAFE_NO_PAD.encode("[1,2]");
    let cases = [
        "abcd".to_owned(),
        "aa.bb".to_owned(),
        format!("{good}.extra"),
        format!("!!!!.{rest}"),
        format!("{not_json}.{rest}"),
        format!("{array}.{rest}"),
        format!("{h}.%%%.sig"),
        format!("{h}.{not_json}.sig"),
        format!("{h}.{array}.sig"),
        "....".to_owned(),
        "é.é.é.é".to_owned(),
    ];
    for token in &cases {
        let e = fault(token);
        assert_eq!(e.code(), "InvalidIdentityToken", "{token}: {e:?}");
        assert_eq!(e.fault, TokenFault::Malformed, "{token}: {e:?}");
    }
    let bad_kid = raw_token(&json!({"alg": "RS256", "kid": 5}), &claims(), "AAAA");
    assert_eq!(fault(&bad_kid).fault, TokenFault::Malformed);
}

#[test]
fn token_length_is_checked_first_with_the_validation_format() {
    let e = fault("abc");
    assert_eq!(e.fault, TokenFault::Length);
    assert_eq!(e.code(), "ValidationError");
    assert_eq!(
        e.message,
        "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: \
         Member must have length greater than or equal to 4"
    );
    let big = format!("{}.{}", rs256(&claims()), "A".repeat(20_000));
    let e = fault(&big);
    assert_eq!(e.fault, TokenFault::Length);
    assert!(e
        .message
        .ends_with("Member must have length less than or equal to 20000"));
    // The limit counts characters, not bytes, and 20000 is still allowed.
    let at_limit = "é".repeat(20_000);
    assert_eq!(fault(&at_limit).fault, TokenFault::Malformed);
    assert_eq!(fault(&"é".repeat(20_001)).fault, TokenFault::Length);
}

#[test]
fn a_large_but_allowed_token_verifies() {
    let c = with(claims(), "padding", json!("p".repeat(14_000)));
    let token = rs256(&c);
    assert!(
        token.len() > 18_000 && token.len() <= 20_000,
        "{}",
        token.len()
    );
    verify(&token).unwrap();
}

#[test]
fn critical_header_extensions_are_refused() {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-a".into());
    let h = json!({"alg": "RS256", "kid": "rsa-a", "crit": ["exp"], "exp": 1});
    let signed = encode(
        &header,
        &claims(),
        &private_key(Algorithm::RS256, "rsa-a.pem"),
    )
    .unwrap();
    let (_, rest) = signed.split_once('.').unwrap();
    let token = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(h.to_string()));
    assert_eq!(fault(&token).fault, TokenFault::CriticalHeader);
}

#[test]
fn errors_never_contain_the_token() {
    let token = rs256(&with(claims(), "aud", json!("someone-else")));
    let e = fault(&token);
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(&token));
    assert!(!shown.contains(token.split('.').nth(2).unwrap()));
    assert_eq!(
        e.to_string(),
        "InvalidIdentityToken: Incorrect token audience"
    );
}

#[test]
fn no_providers_means_no_provider_found() {
    let e = verify_web_identity_token(&rs256(&claims()), &[], now()).unwrap_err();
    assert_eq!(e.fault, TokenFault::Issuer);
}

#[test]
fn session_tags_and_source_identity_come_from_the_aws_claims() {
    let c = with(
        with(
            claims(),
            "https://aws.amazon.com/tags",
            json!({
                "principal_tags": {"Project": ["blue"], "CostCenter": ["42"]},
                "transitive_tag_keys": ["Project"]
            }),
        ),
        "https://aws.amazon.com/source_identity",
        json!("jane"),
    );
    let v = verify(&rs256(&c)).unwrap();
    assert_eq!(
        v.principal_tags,
        vec![
            ("CostCenter".to_owned(), "42".to_owned()),
            ("Project".to_owned(), "blue".to_owned())
        ]
    );
    assert_eq!(v.transitive_tag_keys, vec!["Project"]);
    assert_eq!(v.source_identity.as_deref(), Some("jane"));
    let plain = verify(&rs256(&claims())).unwrap();
    assert!(plain.principal_tags.is_empty() && plain.source_identity.is_none());
}

#[test]
fn malformed_session_tag_claims_are_refused() {
    for tags in [
        json!("Project=blue"),
        json!({"principal_tags": ["Project"]}),
        json!({"principal_tags": {"Project": "blue"}}),
        json!({"principal_tags": {"Project": ["blue", "green"]}}),
        json!({"principal_tags": {"Project": []}}),
        json!({"principal_tags": {"Project": [1]}}),
        json!({"transitive_tag_keys": "Project"}),
        json!({"transitive_tag_keys": [1]}),
    ] {
        let e = fault(&rs256(&with(
            claims(),
            "https://aws.amazon.com/tags",
            tags.clone(),
        )));
        assert_eq!(e.fault, TokenFault::ClaimFormat, "{tags}");
        assert_eq!(e.code(), "InvalidIdentityToken");
    }
    let e = fault(&rs256(&with(
        claims(),
        "https://aws.amazon.com/source_identity",
        json!(["jane"]),
    )));
    assert_eq!(e.fault, TokenFault::ClaimFormat);
}
