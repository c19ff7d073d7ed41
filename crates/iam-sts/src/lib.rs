//! `iam-sts`: an AWS STS-compatible token service as a library.
//!
//! It issues temporary credentials whose session token is a sealed, self-contained
//! record (no per-session server state), verifies Signature Version 4 requests, and
//! computes each credential's effective permissions with `iam-policy`'s public API.
//! It does no HTTP and never reaches into engine internals.

pub mod clock;
pub mod credentials;
pub mod directory;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod keyring;
#[cfg(feature = "saml")]
pub mod saml;
pub mod service;
pub mod session;
pub mod sigv4;
pub mod token;
pub mod totp;
pub mod webidentity;
