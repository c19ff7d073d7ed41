//! JWK set reading for OIDC providers (RFC 7517, RFC 7518 key parameters).
//!
//! Stage: configuration loading. Input: the text of a JWK set file. Output: the RSA and
//! EC signing keys it holds, decoded from base64url; problems with their position in the
//! file. Keys of other types or uses are skipped with a warning. It checks key shape only
//! and never verifies a signature.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use iam_policy::json::{Value, ValueKind};

use super::load::{member, string_of, FileCtx};
use super::LoadError;

/// The curve of an EC key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcCurve {
    /// NIST P-256 (`ES256`).
    P256,
    /// NIST P-384 (`ES384`).
    P384,
    /// NIST P-521 (`ES512`).
    P521,
}

impl EcCurve {
    /// Bytes of one coordinate.
    pub fn coordinate_len(self) -> usize {
        match self {
            EcCurve::P256 => 32,
            EcCurve::P384 => 48,
            EcCurve::P521 => 66,
        }
    }

    /// The JWS algorithm that uses this curve.
    pub fn alg(self) -> &'static str {
        match self {
            EcCurve::P256 => "ES256",
            EcCurve::P384 => "ES384",
            EcCurve::P521 => "ES512",
        }
    }
}

/// The public key material of a JWK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwkKey {
    /// An RSA public key (big-endian modulus and exponent).
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// An EC public key (big-endian affine coordinates).
    Ec {
        /// The curve.
        curve: EcCurve,
        /// X coordinate.
        x: Vec<u8>,
        /// Y coordinate.
        y: Vec<u8>,
    },
}

/// One signing key of an OIDC provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    /// Key id (`kid`), matched against the JWT header's `kid`.
    pub kid: Option<String>,
    /// Declared algorithm (`alg`), when given.
    pub alg: Option<String>,
    /// The key.
    pub key: JwkKey,
}

const RSA_ALGS: &[&str] = &["RS256", "RS384", "RS512"];
const EC_ALGS: &[&str] = &["ES256", "ES384", "ES512"];

/// Read the JWK set in `ctx`; errors and warnings are appended.
pub(super) fn parse_jwks(
    ctx: &FileCtx,
    root: &Value<'_>,
    errors: &mut Vec<LoadError>,
    warnings: &mut Vec<LoadError>,
) -> Vec<Jwk> {
    let start = errors.len();
    let Some(keys) = member(root, "keys") else {
        errors.push(ctx.error(root.span, "jwk set has no `keys` array"));
        return Vec::new();
    };
    let ValueKind::Array(items) = &keys.kind else {
        errors.push(ctx.error(keys.span, "`keys` must be an array"));
        return Vec::new();
    };
    let mut out: Vec<Jwk> = Vec::new();
    for item in items {
        let before = errors.len();
        let jwk = parse_key(ctx, item, errors, warnings);
        if let Some(jwk) = jwk {
            if let Some(kid) = &jwk.kid {
                if out.iter().any(|k| k.kid.as_deref() == Some(kid)) {
                    errors.push(ctx.error(item.span, format!("duplicate key id `{kid}`")));
                    continue;
                }
            }
            if errors.len() == before {
                out.push(jwk);
            }
        }
    }
    if out.is_empty() && errors.len() == start {
        errors.push(ctx.error(keys.span, "jwk set has no usable rsa or ec signing key"));
    }
    out
}

fn b64(ctx: &FileCtx, v: &Value<'_>, name: &str, errors: &mut Vec<LoadError>) -> Option<Vec<u8>> {
    let Some(s) = string_of(v) else {
        errors.push(ctx.error(v.span, format!("`{name}` must be a string")));
        return None;
    };
    match URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')) {
        Ok(bytes) if !bytes.is_empty() => Some(bytes),
        Ok(_) => {
            errors.push(ctx.error(v.span, format!("`{name}` is empty")));
            None
        }
        Err(e) => {
            errors.push(ctx.error(v.span, format!("`{name}` is not base64url: {e}")));
            None
        }
    }
}

fn required<'v, 'a>(
    ctx: &FileCtx,
    obj: &'v Value<'a>,
    name: &str,
    errors: &mut Vec<LoadError>,
) -> Option<&'v Value<'a>> {
    let v = member(obj, name);
    if v.is_none() {
        errors.push(ctx.error(obj.span, format!("key is missing `{name}`")));
    }
    v
}

fn parse_key(
    ctx: &FileCtx,
    obj: &Value<'_>,
    errors: &mut Vec<LoadError>,
    warnings: &mut Vec<LoadError>,
) -> Option<Jwk> {
    if !matches!(obj.kind, ValueKind::Object(_)) {
        errors.push(ctx.error(obj.span, "each entry of `keys` must be an object"));
        return None;
    }
    let kty_v = required(ctx, obj, "kty", errors)?;
    let Some(kty) = string_of(kty_v) else {
        errors.push(ctx.error(kty_v.span, "`kty` must be a string"));
        return None;
    };
    let kid = member(obj, "kid").and_then(string_of).map(str::to_string);
    let alg = member(obj, "alg").and_then(string_of).map(str::to_string);
    if let Some(usage) = member(obj, "use").and_then(string_of) {
        if usage != "sig" {
            warnings.push(ctx.error(
                obj.span,
                format!("skipped key with `use` `{usage}` (only `sig` keys verify tokens)"),
            ));
            return None;
        }
    }
    match kty {
        "RSA" => {
            if let Some(a) = alg.as_deref() {
                if !RSA_ALGS.contains(&a) {
                    warnings.push(ctx.error(
                        obj.span,
                        format!(
                            "skipped rsa key with algorithm `{a}` (expected RS256, RS384 or RS512)"
                        ),
                    ));
                    return None;
                }
            }
            let n = b64(ctx, required(ctx, obj, "n", errors)?, "n", errors)?;
            let e = b64(ctx, required(ctx, obj, "e", errors)?, "e", errors)?;
            let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
            if bits < 2048 {
                errors.push(ctx.error(
                    obj.span,
                    format!("rsa modulus has about {bits} bits; at least 2048 are required"),
                ));
                return None;
            }
            Some(Jwk {
                kid,
                alg,
                key: JwkKey::Rsa { n, e },
            })
        }
        "EC" => {
            let crv_v = required(ctx, obj, "crv", errors)?;
            let curve = match string_of(crv_v) {
                Some("P-256") => EcCurve::P256,
                Some("P-384") => EcCurve::P384,
                Some("P-521") => EcCurve::P521,
                other => {
                    errors.push(ctx.error(
                        crv_v.span,
                        format!(
                            "unsupported curve `{}` (expected P-256, P-384 or P-521)",
                            other.unwrap_or("?")
                        ),
                    ));
                    return None;
                }
            };
            if let Some(a) = alg.as_deref() {
                if !EC_ALGS.contains(&a) {
                    warnings.push(ctx.error(
                        obj.span,
                        format!(
                            "skipped ec key with algorithm `{a}` (expected ES256, ES384 or ES512)"
                        ),
                    ));
                    return None;
                }
                if a != curve.alg() {
                    errors.push(ctx.error(
                        obj.span,
                        format!(
                            "algorithm `{a}` does not match curve (expected `{}`)",
                            curve.alg()
                        ),
                    ));
                    return None;
                }
            }
            let x = b64(ctx, required(ctx, obj, "x", errors)?, "x", errors)?;
            let y = b64(ctx, required(ctx, obj, "y", errors)?, "y", errors)?;
            let want = curve.coordinate_len();
            if x.len() != want || y.len() != want {
                errors.push(ctx.error(
                    obj.span,
                    format!(
                        "ec coordinates must be {want} bytes each, found {} and {}",
                        x.len(),
                        y.len()
                    ),
                ));
                return None;
            }
            Some(Jwk {
                kid,
                alg,
                key: JwkKey::Ec { curve, x, y },
            })
        }
        other => {
            warnings.push(ctx.error(
                kty_v.span,
                format!("skipped key of type `{other}` (only RSA and EC keys verify tokens)"),
            ));
            None
        }
    }
}
