//! Spanned JSON tree → [`crate::ast::PolicyDocument`].

/// The kind of policy a document is, which decides the rules it must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PolicyType {
    /// An identity-based policy (user, group or role; inline or managed).
    Identity,
    /// A resource-based policy (S3 bucket policy, SQS queue policy, KMS key policy, …).
    Resource,
    /// A role trust policy.
    Trust,
    /// A permissions boundary.
    Boundary,
    /// A session policy passed to `AssumeRole*` or `GetFederationToken`.
    Session,
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
    /// A VPC endpoint policy.
    VpcEndpoint,
}

/// Placeholder until the parser lands.
pub fn parse_policy() {}
