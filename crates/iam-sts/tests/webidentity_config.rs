//! OIDC provider and JWK-set configuration: what `ProviderKeys::from_json` and the
//! `OidcProvider` constructors accept and refuse.

#![expect(
    clippy::panic,
    reason = "fixture helpers outside #[test] fns must fail loudly on broken fixtures"
)]

use iam_sts::webidentity::{EcCurve, KeyKind, OidcProvider, ProviderKeys};
use serde_json::json;

fn corpus_jwks() -> String {
    let path = format!(
        "{}/../../corpus/sts/webidentity/jwks.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_corpus_jwks_yields_two_rsa_keys_and_one_p256_key() {
    let keys = ProviderKeys::from_json(&corpus_jwks()).unwrap();
    let kinds: Vec<(Option<&str>, KeyKind, Option<&str>)> = keys
        .keys()
        .iter()
        .map(|k| (k.kid(), k.kind(), k.alg()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (Some("rsa-a"), KeyKind::Rsa, Some("RS256")),
            (Some("rsa-b"), KeyKind::Rsa, None),
            (Some("ec-a"), KeyKind::Ec(EcCurve::P256), Some("ES256")),
        ]
    );
}

#[test]
fn unsupported_and_encryption_keys_are_skipped() {
    let mut doc: serde_json::Value = serde_json::from_str(&corpus_jwks()).unwrap();
    let keys = doc["keys"].as_array_mut().unwrap();
    keys.push(
        json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
    );
    keys.push(json!({"kty": "oct", "k": "c2VjcmV0"}));
    keys.push(json!({"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"}));
    let mut enc = keys[0].clone();
    enc["use"] = json!("enc");
    enc["kid"] = json!("enc-key");
    keys.push(enc);
    let parsed = ProviderKeys::from_json(&doc.to_string()).unwrap();
    assert_eq!(parsed.keys().len(), 3);
    assert!(parsed.keys().iter().all(|k| k.kid() != Some("enc-key")));
}

#[test]
fn malformed_jwks_documents_are_errors() {
    let cases = [
        "not json".to_owned(),
        json!({}).to_string(),
        json!({"keys": {}}).to_string(),
        json!({"keys": []}).to_string(),
        json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}).to_string(),
        json!({"keys": [5]}).to_string(),
        json!({"keys": [{"kty": "RSA", "e": "AQAB"}]}).to_string(),
        json!({"keys": [{"kty": "RSA", "n": "!!!", "e": "AQAB"}]}).to_string(),
        json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}]}).to_string(),
        json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "@@", "y": "AAAA"}]}).to_string(),
        json!({"keys": [{"kty": "RSA", "kid": 5, "n": "AQAB", "e": "AQAB"}]}).to_string(),
        json!({"keys": [{"n": "AQAB", "e": "AQAB"}]}).to_string(),
    ];
    for case in &cases {
        assert!(ProviderKeys::from_json(case).is_err(), "{case}");
    }
}

#[test]
fn iam_providers_need_an_https_url_a_client_id_and_a_12_digit_account() {
    let keys = || ProviderKeys::from_json(&corpus_jwks()).unwrap();
    let ok = OidcProvider::iam(
        "123456789012",
        "https://oidc.example.com/tenant",
        vec!["app".into()],
        keys(),
    )
    .unwrap();
    assert_eq!(ok.key_prefix(), "oidc.example.com/tenant");
    assert_eq!(ok.url(), "https://oidc.example.com/tenant");
    assert_eq!(
        ok.arn(),
        Some("arn:aws:iam::123456789012:oidc-provider/oidc.example.com/tenant")
    );
    assert_eq!(ok.client_ids(), ["app".to_owned()]);
    for url in [
        "http://oidc.example.com",
        "oidc.example.com",
        "https://",
        "https://oidc.example.com?x=1",
        "https://oidc.example.com#f",
        "https://oidc example.com",
    ] {
        assert!(
            OidcProvider::iam("123456789012", url, vec!["app".into()], keys()).is_err(),
            "{url}"
        );
    }
    assert!(OidcProvider::iam("12345", "https://a.example", vec!["app".into()], keys()).is_err());
    assert!(OidcProvider::iam(
        "12345678901x",
        "https://a.example",
        vec!["app".into()],
        keys()
    )
    .is_err());
    assert!(OidcProvider::iam("123456789012", "https://a.example", vec![], keys()).is_err());
}

#[test]
fn well_known_providers_are_the_two_built_in_oidc_issuers() {
    let keys = || ProviderKeys::from_json(&corpus_jwks()).unwrap();
    for url in [
        "https://accounts.google.com",
        "https://cognito-identity.amazonaws.com",
    ] {
        let p = OidcProvider::well_known(url, vec!["app".into()], keys()).unwrap();
        assert_eq!(p.arn(), None);
        // built-in providers may leave the audience to the trust policy
        let open = OidcProvider::well_known(url, vec![], keys()).unwrap();
        assert!(open.client_ids().is_empty());
    }
    for url in ["https://graph.facebook.com", "https://www.amazon.com"] {
        let e = OidcProvider::well_known(url, vec!["app".into()], keys()).unwrap_err();
        assert!(e.to_string().contains("OAuth 2.0 access tokens"), "{e}");
    }
    assert!(OidcProvider::well_known(
        "https://token.actions.githubusercontent.com",
        vec!["a".into()],
        keys()
    )
    .is_err());
}
