//! `AssumeRoleWithWebIdentity` with AWS's built-in identity providers and `ProviderId`:
//! Google and Cognito ID tokens signed in the test with the test-only keys of
//! `corpus/sts/webidentity/`, verified against the `[[builtin_provider]]` keys of the
//! directory in `corpus/sts/webidentity/builtin/`, trust evaluated with the provider's host
//! as the `Federated` principal.
#![cfg(test)]

mod webid_support;

use std::path::PathBuf;

use iam_policy::context::Context;
use iam_sts::service::{AssumeRoleWithWebIdentityParams, TokenService};
use serde_json::{json, Value};
use webid_support::{
    corpus_path, err, params, refusal, service_at, sign_es256, sign_with, start, with, ACCT,
};

const GOOGLE: &str = "accounts.google.com";
const COGNITO: &str = "cognito-identity.amazonaws.com";
const WEB_CLIENT: &str = "web-client.apps.googleusercontent.com";
const SERVER_CLIENT: &str = "server-client.apps.googleusercontent.com";
const GOOGLE_SUB: &str = "110169484474386276334";
const POOL: &str = "us-east-1:12345678-1234-1234-1234-123456789012";
const COGNITO_SUB: &str = "us-east-1:a1b2c3d4-0000-1111-2222-333344445555";
const GOOGLE_ROLE: &str = "arn:aws:iam::111122223333:role/google-web";
const OAUD_ROLE: &str = "arn:aws:iam::111122223333:role/google-oaud";
const COGNITO_ROLE: &str = "arn:aws:iam::111122223333:role/cognito-auth";
const ARN_ROLE: &str = "arn:aws:iam::111122223333:role/google-as-oidc-arn";
const DENIED: &str = "Not authorized to perform sts:AssumeRoleWithWebIdentity";

fn config(name: &str) -> PathBuf {
    PathBuf::from(corpus_path(&format!("builtin/{name}")))
}

fn service() -> TokenService {
    service_at(&config("directory.toml"))
}

/// An ID token of a web client that asked Google for a token for its server client.
fn google_claims() -> Value {
    let now = start().timestamp();
    json!({
        "iss": "https://accounts.google.com",
        "sub": GOOGLE_SUB,
        "aud": SERVER_CLIENT,
        "azp": WEB_CLIENT,
        "email": "jane@example.com",
        "iat": now - 60,
        "exp": now + 3600,
    })
}

fn google(claims: &Value) -> String {
    sign_with("rsa-a.pem", "rsa-a", claims)
}

/// A Cognito identity-pool token of an identity authenticated through Google.
fn cognito_claims() -> Value {
    let now = start().timestamp();
    json!({
        "iss": "https://cognito-identity.amazonaws.com",
        "sub": COGNITO_SUB,
        "aud": POOL,
        "amr": ["authenticated", "accounts.google.com", "accounts.google.com:us-east-1:x:1"],
        "iat": now - 60,
        "exp": now + 600,
    })
}

#[test]
fn google_token_is_trusted_by_host_with_azp_as_the_audience() {
    let svc = service();
    let out = svc
        .assume_role_with_web_identity(&params(GOOGLE_ROLE, &google(&google_claims())))
        .unwrap();
    assert_eq!(out.subject_from_web_identity_token, GOOGLE_SUB);
    // Provider is the token's `iss` for OIDC tokens (sts-api.md §6.1)
    assert_eq!(out.provider, "https://accounts.google.com");
    assert_eq!(out.audience, WEB_CLIENT);
    let user = out.issued.assumed_role_user.clone().unwrap();
    assert_eq!(
        user.arn,
        "arn:aws:sts::111122223333:assumed-role/google-web/ci-run"
    );
    let creds = &out.issued.credentials;
    let caller = svc
        .open_session(&creds.access_key_id, creds.session_token.expose())
        .unwrap();
    let record = caller.session.as_ref().unwrap().record();
    assert_eq!(record.federated_provider.as_deref(), Some(GOOGLE));
    // the role policy allows ListBucket only when aws:FederatedProvider is the host
    let list = svc
        .authorize(
            &caller,
            "s3:ListBucket",
            "arn:aws:s3:::b",
            Some(ACCT),
            &Context::new(),
        )
        .unwrap();
    assert!(list.is_allowed());
}

#[test]
fn google_provider_echoes_an_iss_without_scheme() {
    let svc = service();
    let t = google(&with(google_claims(), "iss", json!(GOOGLE)));
    let out = svc
        .assume_role_with_web_identity(&params(GOOGLE_ROLE, &t))
        .unwrap();
    assert_eq!(out.provider, GOOGLE);
}

#[test]
fn google_aud_key_is_the_token_aud_when_there_is_no_azp() {
    let svc = service();
    let mut claims = with(google_claims(), "aud", json!(WEB_CLIENT));
    claims.as_object_mut().unwrap().remove("azp");
    let out = svc
        .assume_role_with_web_identity(&params(GOOGLE_ROLE, &google(&claims)))
        .unwrap();
    assert_eq!(out.audience, WEB_CLIENT);
    // the same token through the oaud role: oaud (= aud) is the web client, not the server
    assert_eq!(
        err(&svc, &params(OAUD_ROLE, &google(&claims))).message(),
        DENIED
    );
}

#[test]
fn google_oaud_and_sub_keys_reach_the_trust_policy() {
    let svc = service();
    let t = google(&google_claims());
    svc.assume_role_with_web_identity(&params(OAUD_ROLE, &t))
        .unwrap();
    let other_user = google(&with(google_claims(), "sub", json!("999999999999")));
    let e = err(&svc, &params(OAUD_ROLE, &other_user));
    assert_eq!((e.code(), e.message().as_str()), ("AccessDenied", DENIED));
}

#[test]
fn google_token_for_another_client_is_denied_by_the_aud_condition() {
    let svc = service();
    let t = google(&with(
        google_claims(),
        "azp",
        json!("intruder.apps.googleusercontent.com"),
    ));
    let e = err(&svc, &params(GOOGLE_ROLE, &t));
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(e.http_status(), 403);
    assert_eq!(e.message(), DENIED);
}

#[test]
fn google_token_with_several_audiences_and_no_azp_is_invalid() {
    let svc = service();
    let mut claims = with(google_claims(), "aud", json!([WEB_CLIENT, SERVER_CLIENT]));
    claims.as_object_mut().unwrap().remove("azp");
    let e = err(&svc, &params(GOOGLE_ROLE, &google(&claims)));
    assert_eq!(e.code(), "InvalidIdentityToken");
    assert!(
        e.message().starts_with("Incorrect token audience"),
        "{}",
        e.message()
    );
}

#[test]
fn cognito_token_sets_aud_sub_and_multi_valued_amr() {
    let svc = service();
    let out = svc
        .assume_role_with_web_identity(&params(COGNITO_ROLE, &sign_es256(&cognito_claims())))
        .unwrap();
    assert_eq!(out.subject_from_web_identity_token, COGNITO_SUB);
    assert_eq!(out.provider, "https://cognito-identity.amazonaws.com");
    assert_eq!(out.audience, POOL);
    let creds = &out.issued.credentials;
    let caller = svc
        .open_session(&creds.access_key_id, creds.session_token.expose())
        .unwrap();
    let record = caller.session.as_ref().unwrap().record();
    assert_eq!(record.federated_provider.as_deref(), Some(COGNITO));
}

#[test]
fn unauthenticated_cognito_identity_is_denied_by_the_amr_condition() {
    let svc = service();
    let t = sign_es256(&with(cognito_claims(), "amr", json!(["unauthenticated"])));
    let e = err(&svc, &params(COGNITO_ROLE, &t));
    assert_eq!((e.code(), e.message().as_str()), ("AccessDenied", DENIED));
}

#[test]
fn cognito_token_of_another_identity_pool_is_an_incorrect_audience() {
    // Cognito is configured with its pool as the only client id
    let svc = service();
    let t = sign_es256(&with(
        cognito_claims(),
        "aud",
        json!("us-east-1:00000000-0000-0000-0000-000000000000"),
    ));
    let e = err(&svc, &params(COGNITO_ROLE, &t));
    assert_eq!(e.code(), "InvalidIdentityToken");
    assert_eq!(e.message(), "Incorrect token audience");
}

#[test]
fn token_of_one_built_in_provider_does_not_satisfy_a_trust_naming_another() {
    let svc = service();
    let e = err(&svc, &params(GOOGLE_ROLE, &sign_es256(&cognito_claims())));
    assert_eq!(e.message(), DENIED);
    let e = err(&svc, &params(COGNITO_ROLE, &google(&google_claims())));
    assert_eq!(e.message(), DENIED);
}

#[test]
fn built_in_provider_is_not_matched_by_an_oidc_provider_arn() {
    // AWS names built-in providers by host; the ARN form names an IAM OIDC provider
    let svc = service();
    let e = err(&svc, &params(ARN_ROLE, &google(&google_claims())));
    assert_eq!((e.code(), e.message().as_str()), ("AccessDenied", DENIED));
}

#[test]
fn signature_by_a_key_the_provider_does_not_publish_is_refused() {
    let svc = service();
    // rsa-b's private key under rsa-a's kid
    let forged = sign_with("rsa-b.pem", "rsa-a", &google_claims());
    assert_eq!(refusal(&svc, GOOGLE_ROLE, &forged), "InvalidIdentityToken");
    // Cognito's inline set holds only ec-a: an RSA-signed Cognito token names an unknown kid
    let wrong_key = sign_with("rsa-a.pem", "rsa-a", &cognito_claims());
    assert_eq!(
        refusal(&svc, COGNITO_ROLE, &wrong_key),
        "InvalidIdentityToken"
    );
    let mut tampered = sign_es256(&cognito_claims());
    tampered.push('A');
    assert_eq!(
        refusal(&svc, COGNITO_ROLE, &tampered),
        "InvalidIdentityToken"
    );
}

#[test]
fn issuer_that_only_resembles_a_built_in_provider_is_unknown() {
    let svc = service();
    for iss in [
        "https://accounts.google.com/",
        "https://accounts.google.com.evil.example",
        "https://ACCOUNTS.GOOGLE.COM",
    ] {
        let e = err(
            &svc,
            &params(
                GOOGLE_ROLE,
                &google(&with(google_claims(), "iss", json!(iss))),
            ),
        );
        assert_eq!(e.code(), "InvalidIdentityToken", "{iss}");
        assert_eq!(
            e.message(),
            format!("No OpenIDConnect provider found in your account for {iss}")
        );
    }
}

#[test]
fn expired_google_token_is_expired_token_exception() {
    let svc = service();
    let t = google(&with(
        google_claims(),
        "exp",
        json!(start().timestamp() - 1),
    ));
    assert_eq!(refusal(&svc, GOOGLE_ROLE, &t), "ExpiredTokenException");
}

#[test]
fn built_in_provider_without_configured_keys_is_an_idp_communication_error() {
    let svc = service_at(&config("no-builtin.toml"));
    for (role, token, host) in [
        (GOOGLE_ROLE, google(&google_claims()), GOOGLE),
        (COGNITO_ROLE, sign_es256(&cognito_claims()), COGNITO),
    ] {
        let e = err(&svc, &params(role, &token));
        assert_eq!(e.code(), "IDPCommunicationError", "{host}");
        assert_eq!(e.http_status(), 400);
        assert!(
            e.message().contains(&format!("`{host}`")),
            "{}",
            e.message()
        );
    }
}

fn with_provider_id(role: &str, token: &str, id: &str) -> AssumeRoleWithWebIdentityParams {
    AssumeRoleWithWebIdentityParams {
        provider_id: Some(id.to_owned()),
        ..params(role, token)
    }
}

#[test]
fn oauth_access_tokens_of_amazon_and_facebook_cannot_be_validated_offline() {
    let svc = service();
    // an opaque access token, and a token that happens to be a valid Google JWT: the
    // provider would have to be called either way, so neither is ever accepted
    let opaque = "Atza|IQEBLjAsAhRmHjNgHpi0U-Dme37rR6CuUpSR";
    let jwt = google(&google_claims());
    for id in ["www.amazon.com", "graph.facebook.com"] {
        for token in [opaque, jwt.as_str()] {
            let e = err(&svc, &with_provider_id(GOOGLE_ROLE, token, id));
            assert_eq!(e.code(), "IDPCommunicationError", "{id}");
            assert_eq!(e.http_status(), 400);
            assert!(e.message().contains(&format!("`{id}`")), "{}", e.message());
            assert!(!e.message().contains(token), "the token is never echoed");
        }
    }
}

#[test]
fn provider_id_other_than_an_oauth_provider_is_an_invalid_parameter() {
    let svc = service();
    let jwt = google(&google_claims());
    for id in [
        "accounts.google.com",
        "https://www.amazon.com",
        "graph.facebook.com:443",
        "WWW.AMAZON.COM",
    ] {
        let e = err(&svc, &with_provider_id(GOOGLE_ROLE, &jwt, id));
        assert_eq!(e.code(), "InvalidParameterValue", "{id}");
        assert!(e.message().contains(&format!("`{id}`")), "{}", e.message());
    }
    // the model length rule still comes first
    let e = err(&svc, &with_provider_id(GOOGLE_ROLE, &jwt, "abc"));
    assert_eq!(e.code(), "ValidationError");
}

#[test]
fn an_accounts_own_oidc_provider_for_the_issuer_wins_over_the_built_in_one() {
    // the account registers accounts.google.com as an IAM OIDC provider: its tokens then
    // come from that provider, named by ARN, not by host
    let dir = std::env::temp_dir().join(format!("iam-sts-webid-iam-google-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let builtin = std::fs::read_to_string(config("directory.toml")).unwrap();
    let toml = builtin
        .replace("../jwks.json", &corpus_path("jwks.json"))
        .replace(
            "file = \"prod.json\"\n",
            &format!(
            "file = \"{}\"\n\n[[account.oidc_provider]]\nurl = \"https://accounts.google.com\"\n\
             client_ids = [\"{WEB_CLIENT}\"]\njwks_file = \"{}\"\n",
            corpus_path("builtin/prod.json"),
            corpus_path("jwks.json")
        ),
        );
    std::fs::write(dir.join("directory.toml"), toml).unwrap();
    let svc = service_at(&dir.join("directory.toml"));
    let t = google(&google_claims());
    let out = svc
        .assume_role_with_web_identity(&params(ARN_ROLE, &t))
        .unwrap();
    assert_eq!(
        out.provider,
        "arn:aws:iam::111122223333:oidc-provider/accounts.google.com"
    );
    assert_eq!(err(&svc, &params(GOOGLE_ROLE, &t)).message(), DENIED);
    let _ = std::fs::remove_dir_all(&dir);
}
