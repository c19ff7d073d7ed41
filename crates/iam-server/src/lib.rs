//! `iam-server`: the STS Query protocol over HTTP in front of `iam-sts`.
//!
//! Request in (form body or query string), library call, XML (or JSON) out. It holds no
//! policy or token logic of its own.
