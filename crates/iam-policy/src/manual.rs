//! The evaluation manual: how iamctl decides a request, and every deliberate choice
//! where AWS's documentation disagrees with itself or with peer implementations.
//!
//! Stage: documentation only (this module holds no code). Input: none. Output: rustdoc.
//! It must never drift from `layers.rs`: each choice names the corpus case
//! (`corpus/decisions/*.jsonl`) that pins it, and `tests/decisions.rs` runs them all.
//!
//! # The decision, step by step (`layers.rs`, evaluation.md §7.13)
//!
//! 1. `sts:GetCallerIdentity` by any signed caller is allowed, even under an explicit
//!    deny (E59).
//! 2. **Explicit deny anywhere.** SCP levels, RCP levels, the resource policy, identity
//!    policies, the boundary and session policies are searched for an applicable `Deny`;
//!    the first one found decides `ExplicitDeny` (E02, E03, E68, E71). A resource-policy
//!    `NotPrincipal` + `Deny` statement always applies to a user or role (session) that
//!    has a permissions boundary (E63-1).
//! 3. **RCPs** (resource side): every level, root first, must have an applicable `Allow`;
//!    they apply to every caller, anonymous included (E74).
//! 4. **SCPs** (principal side): every level must have an applicable `Allow` (E72); they
//!    never apply to anonymous callers, service principals or service-linked roles
//!    (E73-1, E75), and a case with `scps: null` (management account) has none (E73-2).
//! 5. **Grants.** `identity_path` = an identity `Allow` ∧ boundary allows (or none) ∧
//!    session layer passes. The session layer passes for a role session without session
//!    policies, fails for a federated user without one (E69-1), and otherwise needs a
//!    session-policy `Allow` (E65, E66, E70).
//!    - Anonymous callers and service principals: allowed iff a resource-policy `Allow`
//!      names them directly or with `*` (E18, E58).
//!    - The root user in its own account: allowed, except on explicit-trust resources.
//!    - Same account, ordinary resource: `identity_path`, or a resource grant naming the
//!      caller directly / with `*` (not limited by boundary or session policy, E49, E61,
//!      E62-2, E67-1), or naming its role / parent user (limited by boundary and session
//!      layer, E56, E62-1, E67-2, E69-3). A grant to the account only delegates (E50).
//!    - Same account, explicit-trust resource (role trust policy, KMS key policy): the
//!      resource policy must name the caller, its role (limited), or its account (then
//!      `identity_path` is needed too) (E53, E54, E55). For `sts:AssumeRole*`, a trust
//!      policy naming the caller directly is still limited by the caller's boundary and
//!      session policy (\[TrustUpdate\]).
//!    - Cross account: `identity_path` **and** any resource grant, whatever its class
//!      (E51, E52, E64).
//!
//! # Deliberate choices where sources disagree (evaluation.md §12)
//!
//! | Topic | Choice | Alternative | Corpus case | Switch |
//! | --- | --- | --- | --- | --- |
//! | Resource grant to a session ARN vs. an implicit deny of the session policy | not limited (AWS \[Eval\], \[Policies\]) | limited (iam-simulate) | E67-1 | `EvalOptions::session_policy_limits_session_grants` |
//! | Boundary vs. a `Principal: "*"` grant | not limited (iam-simulate) | limited unless `aws:PrincipalArn` is used (\[Principal\]) | (no corpus case; layers table test) | `EvalOptions::wildcard_grant_bypasses_boundary` |
//! | Boundary vs. a trust policy naming the caller, for `sts:AssumeRole*` | limited (\[TrustUpdate\]) | not limited (\[Eval\] general rule) | E53-3 (no boundary: allowed); layers test `trust_policy_naming_user_is_limited_by_boundary_for_assume_role` | — |
//! | `NotPrincipal` matching | *chain*: exempt only if account, role/user and session are all listed | any single listed identity exempts (iam-simulate) | E63-2 | `EvalOptions::not_principal` |
//! | Wildcard-only action vs. `arn:aws:s3:::*` | only a literal `*` matches a `*` request resource (\[NotAction\]) | the \[Eval\] example allows it | E09-2 | — |
//! | `*` crossing `:` in `Resource` | per component, short ARNs padded per policy type | literal reading of the current Resource page | E16, E17 | `CompileOptions::star_crosses_colon` |
//! | Resource ARN case | case-sensitive (2025 \[Resource\]) | case-insensitive (2023 page) | E14 | — |
//! | `ForAllValues` + negated operator + absent key | true (general rule, both peers) | "no match" (2025 table row) | E37 | — |
//! | Missing variable + negated operator | the condition holds (\[Variables\]) | no match (iam-simulate) | E23 | — |
//! | Plain operator on a multi-valued key | never matches (iam-simulate) | any element matches (PMapper) | E38 | — |
//! | Date-only value | 00:00 UTC of that day | another time zone | E44 | — |
//! | Several session policies | union: any one allowing passes | undocumented | — | — |
//! | Multiple deciding denies | the first applicable `Deny` (SCP, RCP, resource, identity, boundary, session order) is reported | all of them | E02, E71 | — |
//!
//! # Request and principal model (evaluation.md §1, §3, §10)
//!
//! * The request context is used exactly as given: the engine adds no key of its own.
//! * A role session's role ARN (with its path) comes from `aws:PrincipalArn` when that
//!   names the session's role (E56, E62); a role `Principal` matches its sessions by
//!   account and role name. Service-linked roles are recognised by the path
//!   `aws-service-role/` or a role name starting with `AWSServiceRoleFor` (E73-1).
//! * A federated user's parent user must be supplied (`RequestBuilder::parent_user`,
//!   case option `parentUser`); it is never guessed from the session name (E69-3).
//! * Unique ids (`AIDA…`, `AROA…`) in `Principal` match the caller's `aws:userid`.
//! * Identity-provider callers (`AssumeRoleWithWebIdentity` / `AssumeRoleWithSAML`
//!   trust evaluation): the request principal is the OIDC provider ARN, the SAML
//!   provider ARN or a built-in provider name (`accounts.google.com`, …). Only a
//!   `Federated` entry equal to it matches (`Direct`); `AWS` account or root entries
//!   and `Service` entries never do. `Principal: "*"` and `{"AWS": "*"}` *do* match
//!   (evaluation.md §3 defines the wildcard as matching every principal including
//!   anonymous; the spec says nothing narrower for identity providers). The caller has
//!   no identity policies, boundary, session policy or SCPs, so the trust policy alone
//!   decides (plus RCPs), in the same and across accounts (§7.7, F01–F10).
//! * `Principal` values with wildcards inside an ARN never match (\[Principal\]).
//! * A resource-policy statement without `Principal` matches nobody; an RCP statement
//!   without one applies to everyone (RCPs always target every principal).
//!
//! * Case files and `iamctl can` evaluate any policy that *parses* (grammar and JSON
//!   reader); IAM's save-time validation is not applied, so a policy IAM would refuse
//!   is still evaluated literally. E11 (`"s3:GetObject,s3:PutObject"`, which IAM would
//!   reject for its second colon) relies on this: it never matches, so the answer is
//!   `ImplicitDeny`. Use `check_policy` / `iamctl lint` to see the save-time errors.
//! * The root user calling `sts:AssumeRole` is not refused by the engine (AWS refuses it
//!   at the STS API); the STS crate enforces it.
//!
//! # Explanations
//!
//! [`crate::Evaluation`] reports, without allocating, the deciding statements: for an
//! explicit deny the `Deny` that applied; for an allow the identity `Allow` and/or the
//! resource-policy `Allow` that granted (both when both are required). Guardrail layers
//! that merely let a grant through (boundary, session, SCP, RCP) are not listed, which is
//! the convention of `corpus/decisions/README.md`. [`crate::Explanation`] adds every
//! statement considered (explain mode visits every statement, not only the service
//! index), every condition trace and, for an implicit deny, the layer that did not allow.
//!
//! ```
//! // This module is documentation; the example only shows where the switches live.
//! let opts = iam_policy::layers::EvalOptions::default();
//! assert!(!opts.session_policy_limits_session_grants);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
