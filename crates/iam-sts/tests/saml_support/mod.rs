//! Shared fixture of the SAML tests (`saml_verify`, `op_saml`): SAML responses signed in the
//! test by the test-only IdP key of `corpus/sts/saml/` (via samael/libxmlsec1) and the IdP
//! metadata that trusts it.
#![cfg(test)]
#![allow(
    dead_code,
    reason = "each test crate that includes this module uses a different subset"
)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use samael::crypto::{Crypto, CryptoProvider};

/// The IdP's entity id.
pub const ENTITY: &str = "https://idp.example.com/saml";
/// The role the test assertions name.
pub const ROLE: &str = "arn:aws:iam::123456789012:role/SamlRole";
/// The SAML provider the test assertions name.
pub const PROVIDER: &str = "arn:aws:iam::123456789012:saml-provider/ExampleIdP";

pub fn corpus(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../corpus/sts/saml/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn cert_base64(name: &str) -> String {
    String::from_utf8(corpus(name))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect()
}

pub fn metadata(cert_file: &str) -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{ENTITY}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#,
        cert_base64(cert_file)
    )
}

pub fn now() -> DateTime<Utc> {
    "2030-01-01T00:01:00Z".parse().unwrap()
}

pub fn signature_template(id: &str) -> String {
    format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"##
    )
}

/// The parts of a test assertion that the tests vary.
#[derive(Clone)]
pub struct Spec {
    pub issuer: String,
    pub name_id: String,
    pub recipient: String,
    pub not_on_or_after: String,
    pub audience: String,
    pub roles: Vec<String>,
    pub session_name: Vec<String>,
    pub extra_attributes: String,
    pub confirmations: usize,
    pub sign_response: bool,
    pub status: String,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            issuer: ENTITY.into(),
            name_id: "jane@example.com".into(),
            recipient: "https://signin.aws.amazon.com/saml".into(),
            not_on_or_after: "2030-01-01T00:05:00Z".into(),
            audience: "urn:amazon:webservices".into(),
            roles: vec![format!("{ROLE},{PROVIDER}")],
            session_name: vec!["jane@example.com".into()],
            extra_attributes: String::new(),
            confirmations: 1,
            sign_response: false,
            status: "urn:oasis:names:tc:SAML:2.0:status:Success".into(),
        }
    }
}

pub fn attribute(name: &str, values: &[String]) -> String {
    let values: String = values
        .iter()
        .map(|v| format!("<saml:AttributeValue>{v}</saml:AttributeValue>"))
        .collect();
    format!(r#"<saml:Attribute Name="{name}">{values}</saml:Attribute>"#)
}

pub fn assertion_xml(spec: &Spec, id: &str, signed: bool) -> String {
    let confirmation = format!(
        r#"<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{}" Recipient="{}"/></saml:SubjectConfirmation>"#,
        spec.not_on_or_after, spec.recipient
    );
    let mut attrs = String::new();
    if !spec.roles.is_empty() {
        attrs.push_str(&attribute(
            "https://aws.amazon.com/SAML/Attributes/Role",
            &spec.roles,
        ));
    }
    if !spec.session_name.is_empty() {
        attrs.push_str(&attribute(
            "https://aws.amazon.com/SAML/Attributes/RoleSessionName",
            &spec.session_name,
        ));
    }
    attrs.push_str(&spec.extra_attributes);
    format!(
        r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>{issuer}</saml:Issuer>{sig}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{name_id}</saml:NameID>{confirmations}</saml:Subject><saml:Conditions NotBefore="2030-01-01T00:00:00Z" NotOnOrAfter="2030-01-01T00:05:00Z"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="2030-01-01T00:00:00Z" SessionNotOnOrAfter="2030-01-01T08:00:00Z"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attrs}</saml:AttributeStatement></saml:Assertion>"#,
        issuer = spec.issuer,
        sig = if signed {
            signature_template(id)
        } else {
            String::new()
        },
        name_id = spec.name_id,
        confirmations = confirmation.repeat(spec.confirmations),
        audience = spec.audience,
    )
}

pub fn response_xml(spec: &Spec, assertion: &str) -> String {
    format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_resp1" Version="2.0" IssueInstant="2030-01-01T00:00:00Z" Destination="https://signin.aws.amazon.com/saml"><saml:Issuer>{issuer}</saml:Issuer>{sig}<samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status>{assertion}</samlp:Response>"#,
        issuer = spec.issuer,
        sig = if spec.sign_response {
            signature_template("_resp1")
        } else {
            String::new()
        },
        status = spec.status,
    )
}

pub fn sign(xml: &str, key_file: &str) -> String {
    Crypto::sign_xml(xml, &corpus(key_file)).unwrap()
}

/// A base64 response whose assertion (or, with `sign_response`, the response) is signed.
pub fn signed_response(spec: &Spec) -> String {
    let xml = if spec.sign_response {
        sign(
            &response_xml(spec, &assertion_xml(spec, "_a1", false)),
            "idp-key.der",
        )
    } else {
        response_xml(
            spec,
            &sign(
                &strip_decl(&assertion_xml(spec, "_a1", true)),
                "idp-key.der",
            ),
        )
    };
    STANDARD.encode(strip_decl(&xml))
}

pub fn strip_decl(xml: &str) -> String {
    match xml.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").unwrap().1.trim_start().to_owned(),
        None => xml.to_owned(),
    }
}
