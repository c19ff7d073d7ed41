//! How policy layers combine into a decision — the one place that says it
//! (evaluation.md §7, pseudocode §7.13).
//!
//! Input: compiled [`PolicySet`]s per layer (identity, resource, boundary, session,
//! SCP and RCP levels), frozen into [`EffectivePermissions`], and a [`Request`]. Output:
//! an [`Evaluation`] (no heap allocation) or, in explain mode, an [`Explanation`].
//! Order: `sts:GetCallerIdentity`; explicit deny anywhere (incl. `NotPrincipal` + `Deny`
//! against a principal with a boundary); every RCP level; every SCP level; then the
//! grant rules for anonymous/service callers, the root user, same-account,
//! explicit-trust (role trust / KMS key) and cross-account requests. It never reads the
//! clock and never adds context keys.

use std::sync::Arc;

use crate::arn::ResourceArn;
use crate::ast::Effect;
use crate::compile::{CompiledStatement, PolicySet};
use crate::eval::{
    ConsideredStatement, DecidingRecord, DecidingStatement, Decision, Evaluation, Explanation,
    Layer, Missing, Request,
};
use crate::parse::PolicyType;
use crate::principal::{class, PrincipalKind};

/// What kind of resource policy the resource layer holds (evaluation.md §7.5, §7.7).
///
/// ```
/// use iam_policy::layers::ResourceKind;
/// assert!(ResourceKind::KmsKey.requires_explicit_trust());
/// assert!(!ResourceKind::Standard.requires_explicit_trust());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ResourceKind {
    /// An ordinary resource policy (S3, SQS, SNS, Lambda, …): in the same account an
    /// identity-policy allow is enough.
    #[default]
    Standard,
    /// A role trust policy: it must allow the caller itself.
    RoleTrust,
    /// A KMS key policy: it must allow the caller (or enable IAM policies).
    KmsKey,
    /// Another service that requires an explicit resource-policy allow in the account.
    ExplicitTrust,
}

impl ResourceKind {
    /// True for trust policies, key policies and other explicit-trust resources.
    ///
    /// ```
    /// assert!(iam_policy::layers::ResourceKind::RoleTrust.requires_explicit_trust());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn requires_explicit_trust(self) -> bool {
        !matches!(self, ResourceKind::Standard)
    }
}

/// How a `NotPrincipal` list is matched (evaluation.md §7.10).
///
/// ```
/// use iam_policy::layers::NotPrincipalMode;
/// assert_eq!(NotPrincipalMode::default(), NotPrincipalMode::Chain);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NotPrincipalMode {
    /// The caller is exempt only if every identity of its chain (account, role,
    /// session / user) is listed. The conservative AWS reading; default.
    #[default]
    Chain,
    /// Listing any one identity of the chain exempts the caller (iam-simulate).
    AnyMatch,
}

/// Switches for the places where sources disagree (evaluation.md §12).
///
/// ```
/// use iam_policy::layers::EvalOptions;
/// let opts = EvalOptions::default();
/// assert!(opts.wildcard_grant_bypasses_boundary);
/// assert!(!opts.session_policy_limits_session_grants);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct EvalOptions {
    /// `NotPrincipal` matching.
    pub not_principal: NotPrincipalMode,
    /// iam-simulate compatibility: a resource grant naming the session ARN is limited
    /// by the session policy. Off (AWS documentation: not limited).
    pub session_policy_limits_session_grants: bool,
    /// A `Principal: "*"` grant is not limited by boundaries and session policies
    /// (iam-simulate). On; off = only grants naming the caller directly are unlimited.
    pub wildcard_grant_bypasses_boundary: bool,
}

impl EvalOptions {
    /// Set [`EvalOptions::not_principal`].
    ///
    /// ```
    /// use iam_policy::layers::{EvalOptions, NotPrincipalMode};
    /// let o = EvalOptions::default().with_not_principal(NotPrincipalMode::AnyMatch);
    /// assert_eq!(o.not_principal, NotPrincipalMode::AnyMatch);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_not_principal(mut self, mode: NotPrincipalMode) -> EvalOptions {
        self.not_principal = mode;
        self
    }

    /// Set [`EvalOptions::session_policy_limits_session_grants`].
    ///
    /// ```
    /// let o = iam_policy::layers::EvalOptions::default().with_session_policy_limits_session_grants(true);
    /// assert!(o.session_policy_limits_session_grants);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_session_policy_limits_session_grants(mut self, yes: bool) -> EvalOptions {
        self.session_policy_limits_session_grants = yes;
        self
    }

    /// Set [`EvalOptions::wildcard_grant_bypasses_boundary`].
    ///
    /// ```
    /// let o = iam_policy::layers::EvalOptions::default().with_wildcard_grant_bypasses_boundary(false);
    /// assert!(!o.wildcard_grant_bypasses_boundary);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_wildcard_grant_bypasses_boundary(mut self, yes: bool) -> EvalOptions {
        self.wildcard_grant_bypasses_boundary = yes;
        self
    }
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            not_principal: NotPrincipalMode::Chain,
            session_policy_limits_session_grants: false,
            wildcard_grant_bypasses_boundary: true,
        }
    }
}

/// A layer was given a policy compiled for another policy type.
///
/// ```
/// use iam_policy::{Layers, PolicySet, PolicyType, CompileOptions};
/// let scp = PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
///     "Action":"*","Resource":"*"}}"#,
///     PolicyType::Scp, &CompileOptions::default())?;
/// assert!(Layers::new().identity(scp).build().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {layer} layer cannot hold a {found} policy")]
pub struct LayerError {
    layer: Layer,
    found: PolicyType,
}

/// Builder of [`EffectivePermissions`]: the compiled policies of every layer.
///
/// ```
/// use iam_policy::{Layers, PolicySet, PolicyType, CompileOptions, Request, Decision};
/// let id = PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
///     "Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}}"#,
///     PolicyType::Identity, &CompileOptions::default())?;
/// let perms = Layers::new().identity(id).build()?;
/// let req = Request::builder().principal("arn:aws:iam::111122223333:user/alice")
///     .action("s3:GetObject").resource("arn:aws:s3:::data/r.csv").build()?;
/// assert_eq!(perms.evaluate(&req).decision(), Decision::Allow);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Layers {
    identity: Vec<Arc<PolicySet>>,
    resource: Option<(Arc<PolicySet>, ResourceKind)>,
    boundary: Option<Arc<PolicySet>>,
    session: Option<Vec<Arc<PolicySet>>>,
    scps: Option<Vec<Vec<Arc<PolicySet>>>>,
    rcps: Option<Vec<Vec<Arc<PolicySet>>>>,
    options: EvalOptions,
}

impl Layers {
    /// No policies at all (everything is implicitly denied except root and
    /// `sts:GetCallerIdentity`).
    ///
    /// ```
    /// let perms = iam_policy::Layers::new().build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert!(!perms.evaluate(&req).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Layers {
        Layers::default()
    }

    /// Add an identity-based policy (user, group or role; inline or managed).
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// let perms = iam_policy::Layers::new().identity(set).build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert!(perms.evaluate(&req).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn identity(mut self, set: impl Into<Arc<PolicySet>>) -> Self {
        self.identity.push(set.into());
        self
    }

    /// Set the resource's policy and what kind of resource policy it is.
    ///
    /// ```
    /// use iam_policy::{layers::ResourceKind, PolicySet, PolicyType, CompileOptions};
    /// let rp = PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:GetObject","Resource":"*"}}"#,
    ///     PolicyType::Resource, &CompileOptions::default())?;
    /// let perms = iam_policy::Layers::new().resource(rp, ResourceKind::Standard).build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert!(perms.evaluate(&req).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resource(mut self, set: impl Into<Arc<PolicySet>>, kind: ResourceKind) -> Self {
        self.resource = Some((set.into(), kind));
        self
    }

    /// Set the permissions boundary.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// let b = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#, iam_policy::PolicyType::Boundary, &iam_policy::CompileOptions::default())?;
    /// let perms = iam_policy::Layers::new().identity(set).boundary(b).build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert!(!perms.evaluate(&req).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn boundary(mut self, set: impl Into<Arc<PolicySet>>) -> Self {
        self.boundary = Some(set.into());
        self
    }

    /// Add a session policy (inline or managed). Calling this at least once gives the
    /// principal a session layer; a federated user without one has no permissions.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// let s = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#, iam_policy::PolicyType::Session, &iam_policy::CompileOptions::default())?;
    /// let perms = iam_policy::Layers::new().identity(set).session(s).build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert!(!perms.evaluate(&req).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn session(mut self, set: impl Into<Arc<PolicySet>>) -> Self {
        self.session.get_or_insert_with(Vec::new).push(set.into());
        self
    }

    /// Give the principal a session layer with no policy yet (a federated user then
    /// has no permissions except direct resource grants).
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// let perms = iam_policy::Layers::new().identity(set).empty_session().build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:sts::111122223333:federated-user/f").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert!(!perms.evaluate(&req).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn empty_session(mut self) -> Self {
        self.session.get_or_insert_with(Vec::new);
        self
    }

    /// Add the next SCP level (root first, account last). Calling this at least once
    /// means the principal's account is governed by SCPs.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// let scp = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Scp, &iam_policy::CompileOptions::default())?;
    /// let perms = iam_policy::Layers::new().identity(set).scp_level(vec![std::sync::Arc::new(scp)]).build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(perms.evaluate(&req).decision(), iam_policy::Decision::ExplicitDeny);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scp_level(mut self, level: Vec<Arc<PolicySet>>) -> Self {
        self.scps.get_or_insert_with(Vec::new).push(level);
        self
    }

    /// Add the next RCP level (root first, account last) of the resource's account.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// let perms = iam_policy::Layers::new().identity(set).rcp_level(vec![]).build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(perms.evaluate(&req).decision(), iam_policy::Decision::ImplicitDeny);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rcp_level(mut self, level: Vec<Arc<PolicySet>>) -> Self {
        self.rcps.get_or_insert_with(Vec::new).push(level);
        self
    }

    /// Set the evaluation options.
    ///
    /// ```
    /// use iam_policy::layers::EvalOptions;
    /// let opts = EvalOptions::default().with_wildcard_grant_bypasses_boundary(false);
    /// let perms = iam_policy::Layers::new().options(opts).build()?;
    /// assert_eq!(perms.options(), opts);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn options(mut self, options: EvalOptions) -> Self {
        self.options = options;
        self
    }

    /// Check that every policy was compiled for its layer and freeze the layers.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// assert!(iam_policy::Layers::new().identity(set).build().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> Result<EffectivePermissions, LayerError> {
        let check = |layer: Layer, set: &PolicySet, ok: &[PolicyType]| {
            if ok.contains(&set.policy_type()) {
                Ok(())
            } else {
                Err(LayerError {
                    layer,
                    found: set.policy_type(),
                })
            }
        };
        let id_like = [
            PolicyType::Identity,
            PolicyType::Boundary,
            PolicyType::Session,
        ];
        for s in &self.identity {
            check(Layer::Identity, s, &id_like)?;
        }
        if let Some(b) = &self.boundary {
            check(Layer::Boundary, b, &id_like)?;
        }
        for s in self.session.iter().flatten() {
            check(Layer::Session, s, &id_like)?;
        }
        if let Some((r, _)) = &self.resource {
            check(
                Layer::Resource,
                r,
                &[PolicyType::Resource, PolicyType::Trust],
            )?;
        }
        for s in self.scps.iter().flatten().flatten() {
            check(Layer::Scp, s, &[PolicyType::Scp])?;
        }
        for s in self.rcps.iter().flatten().flatten() {
            check(Layer::Rcp, s, &[PolicyType::Rcp])?;
        }
        Ok(EffectivePermissions { layers: self })
    }
}

/// Every policy that governs one principal's requests, frozen. Only [`Layers::build`]
/// makes one; it is immutable, `Send + Sync` and meant to be shared behind `Arc`.
///
/// ```
/// use iam_policy::{Layers, Request, Decision};
/// let perms = Layers::new().build()?;
/// let req = Request::builder().principal("arn:aws:iam::111122223333:user/a")
///     .action("sts:GetCallerIdentity").resource("*").build()?;
/// assert_eq!(perms.evaluate(&req).decision(), Decision::Allow);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct EffectivePermissions {
    layers: Layers,
}

impl EffectivePermissions {
    /// Decide `req`. Never allocates.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// let perms = iam_policy::Layers::new().identity(set).build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(perms.evaluate(&req).decision(), iam_policy::Decision::Allow);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate<'p>(&'p self, req: &Request) -> Evaluation<'p> {
        decide(&self.layers, req, &mut None)
    }

    /// Decide `req` and record every statement considered, every condition trace and,
    /// for a denial, which layer failed.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// let perms = iam_policy::Layers::new().identity(set).build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// let ex = perms.explain(&req);
    /// assert_eq!(ex.decision, iam_policy::Decision::Allow);
    /// assert!(ex.considered.iter().any(|c| c.applies));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(&self, req: &Request) -> Explanation {
        let mut rec = Some(Recorder::default());
        let eval = decide(&self.layers, req, &mut rec);
        let rec = rec.unwrap_or_default();
        Explanation {
            decision: eval.decision(),
            deciding: eval.deciding().map(DecidingRecord::from).collect(),
            considered: rec.considered,
            missing: eval.missing(),
            notes: rec.notes,
        }
    }

    /// The evaluation options in force.
    ///
    /// ```
    /// let perms = iam_policy::Layers::new().build()?;
    /// assert!(perms.options().wildcard_grant_bypasses_boundary);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn options(&self) -> EvalOptions {
        self.layers.options
    }
}

/// What explain mode collects.
#[derive(Debug, Default)]
struct Recorder {
    considered: Vec<ConsideredStatement>,
    notes: Vec<String>,
}

fn note(rec: &mut Option<Recorder>, text: &str) {
    if let Some(r) = rec {
        r.notes.push(text.to_string());
    }
}

/// Where a statement sits, for deciding records.
#[derive(Clone, Copy)]
struct Place<'p> {
    layer: Layer,
    level: Option<usize>,
    policy: usize,
    set: &'p PolicySet,
}

impl<'p> Place<'p> {
    fn deciding(self, stmt: &'p CompiledStatement) -> DecidingStatement<'p> {
        DecidingStatement {
            layer: self.layer,
            level: self.level,
            policy: self.policy,
            statement: stmt.index,
            sid: stmt.sid.as_deref(),
            span: stmt.span,
            label: self.set.label(),
        }
    }
}

/// Facts about the caller that every statement check needs.
struct Caller<'r> {
    req: &'r Request,
    service: crate::compile::ServiceKey<'r>,
    /// The request resource split once per evaluation, not once per statement.
    resource: ResourceArn<'r>,
    has_boundary: bool,
    chain: bool,
}

/// Does `stmt` apply? Returns the principal classes it matched under (resource-side
/// layers; `WILDCARD` for statements of principal-less layers) or `None`.
#[inline]
fn applies(
    stmt: &CompiledStatement,
    place: Place<'_>,
    caller: &Caller<'_>,
    rec: &mut Option<Recorder>,
) -> Option<u8> {
    match rec {
        // Fast path: no record to build or move, and a wrapper small enough to inline.
        None => check(stmt, place, caller, caller.req, None),
        Some(r) => applies_recorded(stmt, place, caller, r),
    }
}

/// [`applies`] in explain mode: records the statement and what matched.
#[inline(never)]
fn applies_recorded(
    stmt: &CompiledStatement,
    place: Place<'_>,
    caller: &Caller<'_>,
    r: &mut Recorder,
) -> Option<u8> {
    let req = caller.req;
    let mut entry = ConsideredStatement {
        layer: place.layer,
        level: place.level,
        policy: place.policy,
        statement: stmt.index,
        sid: stmt.sid.clone(),
        label: place.set.label().map(str::to_string),
        effect: stmt.effect,
        span: stmt.span,
        principal: None,
        action: None,
        resource: None,
        condition: None,
        traces: Vec::new(),
        applies: false,
    };
    let result = check(stmt, place, caller, req, Some(&mut entry));
    entry.applies = result.is_some();
    r.considered.push(entry);
    result
}

fn check(
    stmt: &CompiledStatement,
    place: Place<'_>,
    caller: &Caller<'_>,
    req: &Request,
    mut entry: Option<&mut ConsideredStatement>,
) -> Option<u8> {
    let classes = match place.layer {
        Layer::Resource | Layer::Rcp => {
            let p = req.principal();
            let bits = match &stmt.principal {
                None if place.layer == Layer::Rcp => class::WILDCARD,
                None => 0,
                Some(m) if m.negated => {
                    let forced = stmt.effect == Effect::Deny && caller.has_boundary;
                    if forced || !m.lists(p, caller.chain) {
                        class::WILDCARD
                    } else {
                        0
                    }
                }
                Some(m) => m.classes(p),
            };
            if let Some(e) = entry.as_deref_mut() {
                e.principal = Some(class::names(bits));
            }
            if bits == 0 {
                return None;
            }
            bits
        }
        _ => class::WILDCARD,
    };
    // `any_action` / `any_resource` say the matcher holds for every input (compile.rs).
    let action = stmt.any_action || stmt.actions.matches(req.action());
    if let Some(e) = entry.as_deref_mut() {
        e.action = Some(action);
    }
    if !action {
        return None;
    }
    let resource = stmt.any_resource || stmt.resources.matches(&caller.resource, req.context());
    if let Some(e) = entry.as_deref_mut() {
        e.resource = Some(resource);
    }
    if !resource {
        return None;
    }
    let condition = match entry {
        Some(e) => {
            let ok = stmt.condition.explain(req.context(), &mut e.traces);
            e.condition = Some(ok);
            ok
        }
        None => stmt.condition.is_empty() || stmt.condition.evaluate(req.context()),
    };
    condition.then_some(classes)
}

/// The first statement of `effect` in `set` that applies, with its classes.
fn first<'p>(
    place: Place<'p>,
    effect: Effect,
    caller: &Caller<'_>,
    rec: &mut Option<Recorder>,
) -> Option<(&'p CompiledStatement, u8)> {
    for i in place.set.visit(effect, caller.service, rec.is_some()) {
        let Some(stmt) = place.set.statement(i) else {
            continue;
        };
        if let Some(bits) = applies(stmt, place, caller, rec) {
            return Some((stmt, bits));
        }
    }
    None
}

/// The first applying Allow across `sets` (a layer or a level).
fn first_allow<'p>(
    sets: &'p [Arc<PolicySet>],
    layer: Layer,
    level: Option<usize>,
    caller: &Caller<'_>,
    rec: &mut Option<Recorder>,
) -> Option<DecidingStatement<'p>> {
    sets.iter().enumerate().find_map(|(policy, set)| {
        let place = Place {
            layer,
            level,
            policy,
            set,
        };
        first(place, Effect::Allow, caller, rec).map(|(s, _)| place.deciding(s))
    })
}

/// The first applying Deny of `sets`.
fn first_deny<'p>(
    sets: &'p [Arc<PolicySet>],
    layer: Layer,
    level: Option<usize>,
    caller: &Caller<'_>,
    rec: &mut Option<Recorder>,
) -> Option<DecidingStatement<'p>> {
    sets.iter().enumerate().find_map(|(policy, set)| {
        let place = Place {
            layer,
            level,
            policy,
            set,
        };
        first(place, Effect::Deny, caller, rec).map(|(s, _)| place.deciding(s))
    })
}

fn is_assume_role(action: &str) -> bool {
    matches!(
        action,
        "sts:assumerole" | "sts:assumerolewithsaml" | "sts:assumerolewithwebidentity"
    )
}

fn explicit_deny(d: DecidingStatement<'_>) -> Evaluation<'_> {
    let mut eval = Evaluation::new(Decision::ExplicitDeny);
    eval.push(d);
    eval
}

fn deny<'p>(missing: Missing) -> Evaluation<'p> {
    let mut e = Evaluation::new(Decision::ImplicitDeny);
    e.missing = Some(missing);
    e
}

/// evaluation.md §7.13.
fn decide<'p>(layers: &'p Layers, req: &Request, rec: &mut Option<Recorder>) -> Evaluation<'p> {
    let p = req.principal();
    let kind = p.kind();
    if req.action() == "sts:getcalleridentity" && kind != PrincipalKind::Anonymous {
        note(
            rec,
            "`sts:GetCallerIdentity` needs no permission and ignores denies",
        );
        return Evaluation::new(Decision::Allow);
    }
    let signed_iam = kind.is_account_principal();
    let scps = match &layers.scps {
        Some(levels) if signed_iam && !p.is_service_linked() => levels.as_slice(),
        Some(_) => {
            note(rec, "service control policies do not apply to this caller");
            &[]
        }
        None => &[],
    };
    let rcps = layers.rcps.as_deref().unwrap_or(&[]);
    let (identity, boundary, session) = if signed_iam {
        (
            layers.identity.as_slice(),
            layers.boundary.as_ref(),
            layers.session.as_deref(),
        )
    } else {
        (&[][..], None, None)
    };
    let resource = layers.resource.as_ref();
    let explicit_trust = resource.is_some_and(|(_, k)| k.requires_explicit_trust());
    let caller = Caller {
        req,
        service: req.service_key(),
        resource: req.resource_arn(),
        has_boundary: boundary.is_some(),
        chain: layers.options.not_principal == NotPrincipalMode::Chain,
    };

    // 1. Explicit deny anywhere: the first Deny that applies decides.
    // Plain loops (not a chain of iterators): this runs for every request.
    for (level, sets) in scps.iter().enumerate() {
        if let Some(d) = first_deny(sets, Layer::Scp, Some(level), &caller, rec) {
            return explicit_deny(d);
        }
    }
    for (level, sets) in rcps.iter().enumerate() {
        if let Some(d) = first_deny(sets, Layer::Rcp, Some(level), &caller, rec) {
            return explicit_deny(d);
        }
    }
    let others = [
        (
            resource.map_or(&[][..], |(set, _)| std::slice::from_ref(set)),
            Layer::Resource,
        ),
        (identity, Layer::Identity),
        (
            boundary.map_or(&[][..], std::slice::from_ref),
            Layer::Boundary,
        ),
        (session.unwrap_or(&[]), Layer::Session),
    ];
    for (sets, layer) in others {
        if let Some(d) = first_deny(sets, layer, None, &caller, rec) {
            return explicit_deny(d);
        }
    }

    // 2, 3. Guardrails: every RCP level, then every SCP level, must allow.
    for (level, sets) in rcps.iter().enumerate() {
        if first_allow(sets, Layer::Rcp, Some(level), &caller, rec).is_none() {
            return deny(Missing::RcpLevel(level));
        }
    }
    for (level, sets) in scps.iter().enumerate() {
        if first_allow(sets, Layer::Scp, Some(level), &caller, rec).is_none() {
            return deny(Missing::ScpLevel(level));
        }
    }

    // 4. Grants.
    let id_allow = first_allow(identity, Layer::Identity, None, &caller, rec);
    let bnd_allow =
        boundary.map(|b| first_allow(std::slice::from_ref(b), Layer::Boundary, None, &caller, rec));
    let bnd_ok = bnd_allow.is_none_or(|a| a.is_some());
    let ses_allow = session.map(|s| first_allow(s, Layer::Session, None, &caller, rec));
    let ses_ok = match ses_allow {
        Some(a) => a.is_some(),
        None => kind != PrincipalKind::FederatedUser,
    };
    let identity_path = id_allow.is_some() && bnd_ok && ses_ok;

    // Resource grants: the union of principal classes over every applying Allow,
    // remembering the first statement of each class.
    let mut classes = 0u8;
    let mut by_class: [Option<&'p CompiledStatement>; 5] = [None; 5];
    let mut resource_place = None;
    if let Some((set, _)) = resource {
        let place = Place {
            layer: Layer::Resource,
            level: None,
            policy: 0,
            set,
        };
        resource_place = Some(place);
        for i in set.visit(Effect::Allow, caller.service, rec.is_some()) {
            let Some(stmt) = set.statement(i) else {
                continue;
            };
            if let Some(bits) = applies(stmt, place, &caller, rec) {
                classes |= bits;
                for (bit, slot) in by_class.iter_mut().enumerate() {
                    if bits & (1 << bit) != 0 && slot.is_none() {
                        *slot = Some(stmt);
                    }
                }
            }
        }
    }
    let grant = |mask: u8| -> Option<DecidingStatement<'p>> {
        let stmt = by_class
            .iter()
            .enumerate()
            .filter(|(bit, _)| mask & (1 << bit) != 0)
            .find_map(|(_, s)| *s)?;
        resource_place.map(|place| place.deciding(stmt))
    };
    let allow_identity = |mut e: Evaluation<'p>, with_resource: u8| {
        if let Some(d) = id_allow {
            e.push(d);
        }
        if let Some(r) = grant(with_resource) {
            e.push(r);
        }
        e
    };
    let allow_resource = |mask: u8| {
        let mut e = Evaluation::new(Decision::Allow);
        if let Some(r) = grant(mask) {
            e.push(r);
        }
        e
    };
    let identity_missing = || {
        if id_allow.is_none() {
            Missing::IdentityAllow
        } else if !bnd_ok {
            Missing::BoundaryAllow
        } else {
            Missing::SessionAllow
        }
    };

    // Callers without IAM identity policies (anonymous, services, identity providers
    // presenting a token or assertion): the resource or trust policy alone decides
    // (evaluation.md §7.7, §7.11).
    if matches!(
        kind,
        PrincipalKind::Anonymous | PrincipalKind::Service | PrincipalKind::IdentityProvider
    ) {
        let mask = class::WILDCARD | class::DIRECT;
        return if classes & mask != 0 {
            allow_resource(mask)
        } else {
            deny(Missing::ResourceGrant)
        };
    }
    let same = req.is_same_account();
    if kind == PrincipalKind::Root && same && !explicit_trust {
        note(rec, "the root user has full access in its own account");
        return Evaluation::new(Decision::Allow);
    }
    let (direct_mask, limited_mask) = if layers.options.wildcard_grant_bypasses_boundary {
        (
            class::DIRECT | class::WILDCARD,
            class::VIA_ROLE | class::VIA_PARENT_USER,
        )
    } else {
        (
            class::DIRECT,
            class::VIA_ROLE | class::VIA_PARENT_USER | class::WILDCARD,
        )
    };
    let mut direct = classes & direct_mask != 0;
    if layers.options.session_policy_limits_session_grants && session.is_some() {
        direct = direct && ses_ok;
    }
    let via = classes & limited_mask != 0 && bnd_ok && ses_ok;
    let account_level = classes & class::ACCOUNT != 0;

    if same {
        if explicit_trust {
            if is_assume_role(req.action()) && direct && !(bnd_ok && ses_ok) {
                note(
                    rec,
                    "a trust policy naming the caller is still limited by its boundary and session policy",
                );
                direct = false;
            }
            if direct {
                return allow_resource(direct_mask);
            }
            if via {
                return allow_resource(limited_mask);
            }
            if account_level && identity_path {
                return allow_identity(Evaluation::new(Decision::Allow), class::ACCOUNT);
            }
            return deny(if account_level {
                identity_missing()
            } else {
                Missing::ResourceGrant
            });
        }
        if identity_path {
            return allow_identity(Evaluation::new(Decision::Allow), 0);
        }
        if direct {
            return allow_resource(direct_mask);
        }
        if via {
            return allow_resource(limited_mask);
        }
        return deny(identity_missing());
    }
    // Cross-account: the principal side needs the identity path, the resource side
    // any grant.
    if !identity_path {
        return deny(identity_missing());
    }
    if classes == 0 {
        return deny(Missing::ResourceGrant);
    }
    allow_identity(Evaluation::new(Decision::Allow), classes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::CompileOptions;
    use Decision::*;

    const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
    const BOB: &str = "arn:aws:iam::444455556666:user/bob";
    const S1: &str = "arn:aws:sts::111122223333:assumed-role/app/s1";
    const FED: &str = "arn:aws:sts::111122223333:federated-user/fed1";
    const ROOT: &str = "arn:aws:iam::111122223333:root";
    const OBJ: &str = "arn:aws:s3:::data/x";

    fn pol(t: PolicyType, stmts: &str) -> Arc<PolicySet> {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{stmts}]}}"#);
        Arc::new(PolicySet::from_json(&text, t, &CompileOptions::default()).unwrap())
    }
    fn allow() -> &'static str {
        r#"{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#
    }
    fn deny_all() -> &'static str {
        r#"{"Sid":"D","Effect":"Deny","Action":"*","Resource":"*"}"#
    }
    fn other() -> &'static str {
        r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"}"#
    }
    fn grant(principal: &str) -> String {
        format!(
            r#"{{"Sid":"G","Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"*"}}"#
        )
    }
    fn id(s: &str) -> Arc<PolicySet> {
        pol(PolicyType::Identity, s)
    }
    fn rp(s: &str) -> Arc<PolicySet> {
        pol(PolicyType::Resource, s)
    }
    fn req(principal: &str, account: &str) -> Request {
        Request::builder()
            .principal(principal)
            .action("s3:GetObject")
            .resource(OBJ)
            .resource_account(account)
            .build()
            .unwrap()
    }
    const A: &str = "111122223333";
    const B: &str = "444455556666";

    /// One row per combination of layers (evaluation.md §7).
    #[test]
    fn layer_combination_table() {
        let user = |p: &str| format!(r#"{{"AWS":"{p}"}}"#);
        let rows: Vec<(&str, Layers, Request, Decision)> = vec![
            ("identity allow, same account", Layers::new().identity(id(allow())), req(ALICE, A), Allow),
            ("nothing applies", Layers::new().identity(id(other())), req(ALICE, A), ImplicitDeny),
            ("identity deny beats identity allow", Layers::new().identity(id(allow())).identity(id(deny_all())), req(ALICE, A), ExplicitDeny),
            ("resource deny beats identity allow", Layers::new().identity(id(allow())).resource(rp(r#"{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}"#), ResourceKind::Standard), req(ALICE, A), ExplicitDeny),
            ("boundary limits identity", Layers::new().identity(id(allow())).boundary(pol(PolicyType::Boundary, other())), req(ALICE, A), ImplicitDeny),
            ("boundary allows", Layers::new().identity(id(allow())).boundary(pol(PolicyType::Boundary, allow())), req(ALICE, A), Allow),
            ("boundary deny", Layers::new().identity(id(allow())).boundary(pol(PolicyType::Boundary, deny_all())), req(ALICE, A), ExplicitDeny),
            ("direct user grant needs no identity policy", Layers::new().resource(rp(&grant(&user(ALICE))), ResourceKind::Standard), req(ALICE, A), Allow),
            ("direct user grant ignores boundary", Layers::new().boundary(pol(PolicyType::Boundary, other())).resource(rp(&grant(&user(ALICE))), ResourceKind::Standard), req(ALICE, A), Allow),
            ("account grant is only delegation", Layers::new().resource(rp(&grant(&user(A))), ResourceKind::Standard), req(ALICE, A), ImplicitDeny),
            ("role grant limited by boundary", Layers::new().boundary(pol(PolicyType::Boundary, other())).resource(rp(&grant(&user("arn:aws:iam::111122223333:role/team/app"))), ResourceKind::Standard), req(S1, A), ImplicitDeny),
            ("role grant without limits", Layers::new().resource(rp(&grant(&user("arn:aws:iam::111122223333:role/team/app"))), ResourceKind::Standard), req(S1, A), Allow),
            ("session grant ignores session policy", Layers::new().session(pol(PolicyType::Session, other())).resource(rp(&grant(&user(S1))), ResourceKind::Standard), req(S1, A), Allow),
            ("session policy intersects identity", Layers::new().identity(id(allow())).session(pol(PolicyType::Session, other())), req(S1, A), ImplicitDeny),
            ("session policy allows", Layers::new().identity(id(allow())).session(pol(PolicyType::Session, allow())), req(S1, A), Allow),
            ("role session without session policy", Layers::new().identity(id(allow())), req(S1, A), Allow),
            ("federated user without session policy", Layers::new().identity(id(allow())), req(FED, A), ImplicitDeny),
            ("federated user direct grant", Layers::new().resource(rp(&grant(&user(FED))), ResourceKind::Standard), req(FED, A), Allow),
            ("cross account needs identity", Layers::new().resource(rp(&grant(&user(BOB))), ResourceKind::Standard), req(BOB, A), ImplicitDeny),
            ("cross account needs resource", Layers::new().identity(id(allow())), req(BOB, A), ImplicitDeny),
            ("cross account both sides", Layers::new().identity(id(allow())).resource(rp(&grant(&user(B))), ResourceKind::Standard), req(BOB, A), Allow),
            ("cross account boundary applies to direct grant", Layers::new().identity(id(allow())).boundary(pol(PolicyType::Boundary, other())).resource(rp(&grant(&user(BOB))), ResourceKind::Standard), req(BOB, A), ImplicitDeny),
            ("scp deny", Layers::new().identity(id(allow())).scp_level(vec![pol(PolicyType::Scp, deny_all())]), req(ALICE, A), ExplicitDeny),
            ("scp level without allow", Layers::new().identity(id(allow())).scp_level(vec![pol(PolicyType::Scp, allow())]).scp_level(vec![]), req(ALICE, A), ImplicitDeny),
            ("scp every level allows", Layers::new().identity(id(allow())).scp_level(vec![pol(PolicyType::Scp, allow())]).scp_level(vec![pol(PolicyType::Scp, allow())]), req(ALICE, A), Allow),
            ("rcp level without allow", Layers::new().identity(id(allow())).rcp_level(vec![pol(PolicyType::Rcp, other())]), req(ALICE, A), ImplicitDeny),
            ("rcp deny stops anonymous", Layers::new().resource(rp(&grant(r#""*""#)), ResourceKind::Standard).rcp_level(vec![pol(PolicyType::Rcp, r#"{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}"#)]), req("*", A), ExplicitDeny),
            ("anonymous via wildcard grant", Layers::new().resource(rp(&grant(r#""*""#)), ResourceKind::Standard), req("*", A), Allow),
            ("anonymous not via account grant", Layers::new().resource(rp(&grant(&user(A))), ResourceKind::Standard), req("*", A), ImplicitDeny),
            ("anonymous ignores scps", Layers::new().resource(rp(&grant(r#""*""#)), ResourceKind::Standard).scp_level(vec![pol(PolicyType::Scp, deny_all())]), req("*", A), Allow),
            ("service principal named", Layers::new().resource(rp(&grant(r#"{"Service":"cloudtrail.amazonaws.com"}"#)), ResourceKind::Standard), req("cloudtrail.amazonaws.com", A), Allow),
            ("root in own account", Layers::new(), req(ROOT, A), Allow),
            ("root bound by scp", Layers::new().scp_level(vec![pol(PolicyType::Scp, deny_all())]), req(ROOT, A), ExplicitDeny),
            ("kms key silent about caller", Layers::new().identity(id(allow())).resource(rp(&grant(&user("arn:aws:iam::111122223333:user/carol"))), ResourceKind::KmsKey), req(ALICE, A), ImplicitDeny),
            ("kms key enables iam", Layers::new().identity(id(allow())).resource(rp(&grant(&user(ROOT))), ResourceKind::KmsKey), req(ALICE, A), Allow),
            ("kms key enables iam, no identity allow", Layers::new().resource(rp(&grant(&user(ROOT))), ResourceKind::KmsKey), req(ALICE, A), ImplicitDeny),
            ("kms key and root without key grant", Layers::new().resource(rp(&grant(&user(ALICE))), ResourceKind::KmsKey), req(ROOT, A), ImplicitDeny),
            ("not-principal deny hits principal with boundary", Layers::new().identity(id(allow())).boundary(pol(PolicyType::Boundary, allow())).resource(rp(&format!(r#"{{"Effect":"Deny","NotPrincipal":{{"AWS":["{ALICE}","{ROOT}"]}},"Action":"*","Resource":"*"}}"#)), ResourceKind::Standard), req(ALICE, A), ExplicitDeny),
            ("not-principal deny exempts listed chain", Layers::new().identity(id(allow())).resource(rp(&format!(r#"{{"Effect":"Deny","NotPrincipal":{{"AWS":["{ALICE}","{ROOT}"]}},"Action":"*","Resource":"*"}}"#)), ResourceKind::Standard), req(ALICE, A), Allow),
            ("not-principal deny, only user listed", Layers::new().identity(id(allow())).resource(rp(&format!(r#"{{"Effect":"Deny","NotPrincipal":{{"AWS":["{ALICE}"]}},"Action":"*","Resource":"*"}}"#)), ResourceKind::Standard), req(ALICE, A), ExplicitDeny),
            ("resource statement without principal matches nobody", Layers::new().resource(rp(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#), ResourceKind::Standard), req(ALICE, A), ImplicitDeny),
        ];
        for (name, layers, request, expected) in rows {
            let perms = layers.build().unwrap();
            let got = perms.evaluate(&request).decision();
            assert_eq!(got, expected, "{name}");
            assert_eq!(
                perms.explain(&request).decision,
                expected,
                "{name} (explain)"
            );
        }
    }

    #[test]
    fn get_caller_identity_ignores_denies() {
        let perms = Layers::new().identity(id(deny_all())).build().unwrap();
        let r = Request::builder()
            .principal(ALICE)
            .action("sts:GetCallerIdentity")
            .resource("*")
            .build()
            .unwrap();
        assert_eq!(perms.evaluate(&r).decision(), Allow);
    }

    #[test]
    fn trust_policy_naming_user_is_limited_by_boundary_for_assume_role() {
        let trust = pol(
            PolicyType::Trust,
            &format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"sts:AssumeRole"}}"#
            ),
        );
        let r = Request::builder()
            .principal(ALICE)
            .action("sts:AssumeRole")
            .resource("arn:aws:iam::111122223333:role/deploy")
            .build()
            .unwrap();
        let free = Layers::new()
            .resource(trust.clone(), ResourceKind::RoleTrust)
            .build()
            .unwrap();
        assert_eq!(free.evaluate(&r).decision(), Allow);
        let bounded = Layers::new()
            .resource(trust, ResourceKind::RoleTrust)
            .boundary(pol(PolicyType::Boundary, other()))
            .build()
            .unwrap();
        assert_eq!(bounded.evaluate(&r).decision(), ImplicitDeny);
    }

    #[test]
    fn identity_provider_trust_alone_decides_web_identity_assumption() {
        const OIDC: &str = "arn:aws:iam::111122223333:oidc-provider/oidc.example.com";
        let trust = |principal: &str| {
            pol(
                PolicyType::Trust,
                &format!(
                    r#"{{"Sid":"T","Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRoleWithWebIdentity"}}"#
                ),
            )
        };
        let r = |caller: &str| {
            Request::builder()
                .principal(caller)
                .action("sts:AssumeRoleWithWebIdentity")
                .resource("arn:aws:iam::111122223333:role/web")
                .build()
                .unwrap()
        };
        let decide =
            |layers: Layers, caller: &str| layers.build().unwrap().evaluate(&r(caller)).decision();
        let named = || {
            Layers::new().resource(
                trust(&format!(r#"{{"Federated":"{OIDC}"}}"#)),
                ResourceKind::RoleTrust,
            )
        };
        assert_eq!(decide(named(), OIDC), Allow);
        // SCPs govern account principals only; an identity provider has no identity path
        assert_eq!(
            decide(
                named().scp_level(vec![pol(PolicyType::Scp, deny_all())]),
                OIDC
            ),
            Allow
        );
        assert_eq!(
            decide(
                named(),
                "arn:aws:iam::111122223333:oidc-provider/other.example.com"
            ),
            ImplicitDeny
        );
        let by_account =
            Layers::new().resource(trust(r#"{"AWS":"111122223333"}"#), ResourceKind::RoleTrust);
        assert_eq!(decide(by_account, OIDC), ImplicitDeny);
        let wildcard = Layers::new().resource(trust(r#""*""#), ResourceKind::RoleTrust);
        assert_eq!(decide(wildcard, "accounts.google.com"), Allow);
        let rcp_deny = named().rcp_level(vec![pol(
            PolicyType::Rcp,
            r#"{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}"#,
        )]);
        assert_eq!(decide(rcp_deny, OIDC), ExplicitDeny);
        assert_eq!(
            decide(
                Layers::new().identity(id(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#)),
                OIDC
            ),
            ImplicitDeny
        );
    }

    #[test]
    fn deciding_statements_name_the_deny() {
        let perms = Layers::new()
            .identity(id(allow()))
            .identity(id(deny_all()))
            .build()
            .unwrap();
        let r = req(ALICE, A);
        let e = perms.evaluate(&r);
        let d: Vec<_> = e.deciding().map(|d| (d.layer, d.policy, d.sid)).collect();
        assert_eq!(d, vec![(Layer::Identity, 1, Some("D"))]);
    }

    #[test]
    fn explanation_names_the_missing_layer() {
        let perms = Layers::new()
            .identity(id(allow()))
            .boundary(pol(PolicyType::Boundary, other()))
            .build()
            .unwrap();
        let ex = perms.explain(&req(ALICE, A));
        assert_eq!(ex.missing, Some(Missing::BoundaryAllow));
        assert!(ex.considered.iter().any(|c| c.layer == Layer::Boundary));
    }

    #[test]
    fn compat_flag_lets_session_policy_limit_session_grants() {
        let layers = Layers::new()
            .session(pol(PolicyType::Session, other()))
            .resource(
                rp(&grant(&format!(r#"{{"AWS":"{S1}"}}"#))),
                ResourceKind::Standard,
            );
        let opts = EvalOptions {
            session_policy_limits_session_grants: true,
            ..EvalOptions::default()
        };
        let perms = layers.options(opts).build().unwrap();
        assert_eq!(perms.evaluate(&req(S1, A)).decision(), ImplicitDeny);
    }

    #[test]
    fn effective_permissions_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<EffectivePermissions>();
    }
}
