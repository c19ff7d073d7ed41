//! Requests and decisions: what the evaluator takes and what it returns.
//!
//! Input: a principal, an action, a resource, a resource account and a [`Context`],
//! checked and normalised once by [`RequestBuilder::build`] (the action is lowercased,
//! the principal classified). Output types: [`Decision`], the allocation-free
//! [`Evaluation`] (decision plus the deciding statements, by index) and the owned
//! [`Explanation`] of explain mode. How layers combine lives in [`crate::layers`]; this
//! module never decides anything itself and never adds context keys of its own.

use std::fmt;
use std::sync::Arc;

use crate::ast::Effect;
use crate::condition::ConditionTrace;
use crate::context::{Context, ContextValue};
use crate::principal::{PrincipalKind, RequestPrincipal};
use crate::source::Span;

/// The answer to "is this request allowed?". Exhaustive on purpose.
///
/// ```
/// use iam_policy::Decision;
/// assert_eq!(Decision::ExplicitDeny.as_str(), "ExplicitDeny");
/// assert!(!Decision::ImplicitDeny.is_allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Every required layer allowed and no `Deny` applied.
    Allow,
    /// A `Deny` statement applied.
    ExplicitDeny,
    /// Nothing allowed, or a required layer did not allow.
    ImplicitDeny,
}

impl Decision {
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny` (the case-format spelling).
    ///
    /// ```
    /// assert_eq!(iam_policy::Decision::Allow.as_str(), "Allow");
    /// assert_eq!(iam_policy::eval::Layer::Scp.as_str(), "scp");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }

    /// True for [`Decision::Allow`].
    ///
    /// ```
    /// assert!(iam_policy::Decision::Allow.is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }

    /// Parse the case-format spelling.
    ///
    /// ```
    /// use iam_policy::Decision;
    /// assert_eq!(Decision::from_name("Allow"), Some(Decision::Allow));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_name(name: &str) -> Option<Decision> {
        match name {
            "Allow" => Some(Decision::Allow),
            "ExplicitDeny" => Some(Decision::ExplicitDeny),
            "ImplicitDeny" => Some(Decision::ImplicitDeny),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The policy layers of evaluation.md §7.1.
///
/// ```
/// use iam_policy::eval::Layer;
/// assert_eq!(Layer::Boundary.as_str(), "boundary");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// Service control policies of the principal's account.
    Scp,
    /// Resource control policies of the resource's account.
    Rcp,
    /// The resource's own policy (bucket policy, trust policy, key policy, …).
    Resource,
    /// The principal's identity-based policies.
    Identity,
    /// The principal's permissions boundary.
    Boundary,
    /// The session policies of a role or federated-user session.
    Session,
}

impl Layer {
    /// Lowercase name, as used in JSON output.
    ///
    /// ```
    /// assert_eq!(iam_policy::eval::Layer::Boundary.as_str(), "boundary");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Scp => "scp",
            Layer::Rcp => "rcp",
            Layer::Resource => "resource",
            Layer::Identity => "identity",
            Layer::Boundary => "boundary",
            Layer::Session => "session",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request that cannot be evaluated (bad principal, empty action, …).
///
/// ```
/// use iam_policy::Request;
/// let err = Request::builder().action("s3:GetObject").resource("*").build().unwrap_err();
/// assert!(err.to_string().contains("principal"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    message: String,
}

fn request_error(message: impl Into<String>) -> RequestError {
    RequestError {
        message: message.into(),
    }
}

/// One request to decide: built once, evaluated against any number of permission sets.
///
/// ```
/// use iam_policy::Request;
/// let req = Request::builder()
///     .principal("arn:aws:iam::111122223333:user/alice")
///     .action("S3:GetObject")
///     .resource("arn:aws:s3:::data/report.csv")
///     .resource_account("111122223333")
///     .build()?;
/// assert_eq!(req.action(), "s3:getobject");
/// assert_eq!(req.service(), "s3");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    // Shared so that requests built from one classified caller do not copy it.
    principal: Arc<RequestPrincipal>,
    action: String,
    service_end: usize,
    resource: String,
    // INVARIANT: `ResourceArn::colons(&resource)`, computed once when built.
    resource_colons: Option<[usize; 5]>,
    resource_account: Option<String>,
    context: Context,
}

impl Request {
    /// Start building a request.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(req.resource(), "arn:aws:s3:::b/k");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> RequestBuilder {
        RequestBuilder::default()
    }

    /// The classified caller.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(req.principal().name(), "alice");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn principal(&self) -> &RequestPrincipal {
        &self.principal
    }

    /// The action, lowercased.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(req.action(), "s3:getobject");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The lowercase service prefix of the action.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(req.service(), "s3");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn service(&self) -> &str {
        self.action.get(..self.service_end).unwrap_or("")
    }

    /// The resource ARN, or `*` for actions without a resource type.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(req.resource(), "arn:aws:s3:::b/k");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The resource split into its ARN components (computed once when the request was
    /// built; this only slices).
    pub(crate) fn resource_arn(&self) -> crate::arn::ResourceArn<'_> {
        crate::arn::ResourceArn::from_colons(&self.resource, self.resource_colons)
    }

    /// The account that owns the resource, when known.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(req.resource_account(), Some("111122223333"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resource_account(&self) -> Option<&str> {
        self.resource_account.as_deref()
    }

    /// The request context.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert!(req.context().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The service prefix, packed for the service index.
    pub(crate) fn service_key(&self) -> crate::compile::ServiceKey<'_> {
        crate::compile::ServiceKey::new(self.service())
    }

    /// True when principal and resource belong to the same account.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert!(req.is_same_account());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_same_account(&self) -> bool {
        matches!((self.principal.account(), self.resource_account()), (Some(a), Some(b)) if a == b)
    }
}

/// Builder for [`Request`]; [`RequestBuilder::build`] checks and normalises it.
///
/// ```
/// use iam_policy::{Request, context::ContextValue};
/// let req = Request::builder()
///     .principal("arn:aws:sts::111122223333:assumed-role/app/s1")
///     .action("sqs:SendMessage")
///     .resource("arn:aws:sqs:us-east-1:444455556666:q")
///     .context_value("aws:PrincipalArn", ContextValue::Single("arn:aws:iam::111122223333:role/team/app".into()))
///     .build()?;
/// assert_eq!(req.resource_account(), Some("444455556666"));
/// assert_eq!(req.principal().role_arn(), Some("arn:aws:iam::111122223333:role/team/app"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct RequestBuilder {
    principal: Option<PrincipalSource>,
    action: Option<String>,
    resource: Option<String>,
    resource_account: Option<String>,
    context: Context,
    parent_user: Option<String>,
    role_arn: Option<String>,
    unique_id: Option<String>,
    service_linked: Option<bool>,
}

impl RequestBuilder {
    /// The caller: a user, role, role-session, federated-user or root ARN, a service
    /// principal name, or `*` / `anonymous`.
    ///
    /// ```
    /// let b = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:root").action("s3:GetObject").resource("*");
    /// assert_eq!(b.build()?.principal().kind(), iam_policy::principal::PrincipalKind::Root);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(PrincipalSource::Text(principal.into()));
        self
    }

    /// A caller already classified (by [`RequestBuilder::build_principal`] or
    /// [`RequestPrincipal::parse`]), shared between requests: [`RequestBuilder::build`]
    /// neither parses it again nor fills its role ARN or unique id from the context; the
    /// explicit [`RequestBuilder::role_arn`], [`RequestBuilder::parent_user`],
    /// [`RequestBuilder::unique_id`] and [`RequestBuilder::service_linked`] still apply
    /// (to a private copy). Replaces [`RequestBuilder::principal`], and the other way round.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use iam_policy::Request;
    /// let caller = Arc::new(Request::builder()
    ///     .principal("arn:aws:sts::111122223333:assumed-role/app/s1")
    ///     .role_arn("arn:aws:iam::111122223333:role/team/app")
    ///     .build_principal()?);
    /// let req = Request::builder().shared_principal(Arc::clone(&caller))
    ///     .action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(req.principal().role_arn(), Some("arn:aws:iam::111122223333:role/team/app"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shared_principal(mut self, principal: Arc<RequestPrincipal>) -> Self {
        self.principal = Some(PrincipalSource::Shared(principal));
        self
    }

    /// The action as `service:Action` (any case).
    ///
    /// ```
    /// let b = iam_policy::Request::builder().principal("anonymous").action("S3:GetObject").resource("*");
    /// assert_eq!(b.build()?.action(), "s3:getobject");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// The resource ARN, or `*` for actions without resource-level permissions.
    ///
    /// ```
    /// let b = iam_policy::Request::builder().principal("anonymous").action("s3:ListAllMyBuckets").resource("*");
    /// assert_eq!(b.build()?.resource(), "*");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// The account that owns the resource (needed for S3 ARNs, which carry none).
    ///
    /// ```
    /// let b = iam_policy::Request::builder().principal("anonymous").action("s3:GetObject").resource("arn:aws:s3:::b/k").resource_account("444455556666");
    /// assert_eq!(b.build()?.resource_account(), Some("444455556666"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resource_account(mut self, account: impl Into<String>) -> Self {
        self.resource_account = Some(account.into());
        self
    }

    /// The whole request context (replaces what was set before).
    ///
    /// ```
    /// let ctx = iam_policy::context::Context::new();
    /// let b = iam_policy::Request::builder().principal("anonymous").action("s3:GetObject").resource("*").context(ctx);
    /// assert!(b.build()?.context().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn context(mut self, context: Context) -> Self {
        self.context = context;
        self
    }

    /// Set one context key.
    ///
    /// ```
    /// use iam_policy::context::ContextValue;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("*")
    ///     .context_value("aws:TagKeys", ContextValue::Multi(vec!["a".into()])).build()?;
    /// assert!(req.context().get("aws:tagkeys").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn context_value(mut self, key: &str, value: ContextValue) -> Self {
        self.context.insert(key, value);
        self
    }

    /// The IAM user that called `GetFederationToken`, for a federated-user caller.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:sts::111122223333:federated-user/f")
    ///     .parent_user("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("*").build()?;
    /// assert_eq!(req.principal().name(), "f");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parent_user(mut self, user_arn: impl Into<String>) -> Self {
        self.parent_user = Some(user_arn.into());
        self
    }

    /// The role ARN (with path) of a role-session caller; by default taken from
    /// `aws:PrincipalArn` in the context when that names the session's role.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:sts::111122223333:assumed-role/app/s1")
    ///     .role_arn("arn:aws:iam::111122223333:role/team/app").action("s3:GetObject").resource("*").build()?;
    /// assert_eq!(req.principal().role_arn(), Some("arn:aws:iam::111122223333:role/team/app"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn role_arn(mut self, role_arn: impl Into<String>) -> Self {
        self.role_arn = Some(role_arn.into());
        self
    }

    /// The caller's unique id (`AIDA…`, `AROA…`); by default taken from `aws:userid`.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").unique_id("AIDAEXAMPLE")
    ///     .action("s3:GetObject").resource("*").build()?;
    /// assert_eq!(req.principal().name(), "alice");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unique_id(mut self, id: impl Into<String>) -> Self {
        self.unique_id = Some(id.into());
        self
    }

    /// Whether the caller is a service-linked role; by default detected from the role
    /// path `aws-service-role/` or a role name starting with `AWSServiceRoleFor`.
    ///
    /// ```
    /// let req = iam_policy::Request::builder().principal("arn:aws:sts::111122223333:assumed-role/r/s")
    ///     .service_linked(true).action("s3:GetObject").resource("*").build()?;
    /// assert!(req.principal().is_service_linked());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn service_linked(mut self, yes: bool) -> Self {
        self.service_linked = Some(yes);
        self
    }

    /// Check and normalise the request.
    ///
    /// ```
    /// assert!(iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3").resource("*").build().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> Result<Request, RequestError> {
        let principal = match &self.principal {
            Some(PrincipalSource::Shared(shared)) if !self.has_explicit_principal_facts() => {
                Arc::clone(shared)
            }
            _ => Arc::new(self.build_principal()?),
        };
        let action = self
            .action
            .ok_or_else(|| request_error("request has no action"))?;
        if action.is_empty() || action.contains(|c: char| c.is_control() || c.is_whitespace()) {
            return Err(request_error(format!(
                "action `{action}` is not of the form `service:Action`"
            )));
        }
        // ASCII actions (all real ones) are lowercased in place, without copying.
        let action = if action.is_ascii() {
            let mut action = action;
            action.make_ascii_lowercase();
            action
        } else {
            action.to_lowercase()
        };
        let service_end = match action.find(':') {
            Some(i) if i > 0 => i,
            _ => {
                return Err(request_error(format!(
                    "action `{action}` is not of the form `service:Action`"
                )))
            }
        };
        let resource = self
            .resource
            .ok_or_else(|| request_error("request has no resource (use `*` for none)"))?;
        if resource.is_empty() {
            return Err(request_error(
                "request resource is empty (use `*` for none)",
            ));
        }
        // One scan finds the colons, checks the ARN shape and gives the account.
        let resource_colons = crate::arn::ResourceArn::colons(&resource);
        let arn_account = match resource_colons {
            _ if resource == "*" => None,
            Some(c) if resource.get(..c[0]) == Some("arn") => {
                resource.get(c[3] + 1..c[4]).filter(|a| !a.is_empty())
            }
            _ => {
                return Err(request_error(format!(
                    "resource `{resource}` is not an ARN or `*`"
                )))
            }
        };
        let resource_account = self
            .resource_account
            .filter(|a| !a.is_empty())
            .or_else(|| arn_account.map(str::to_string))
            .or_else(|| principal.account().map(str::to_string));
        Ok(Request {
            principal,
            action,
            service_end,
            resource,
            resource_colons,
            resource_account,
            context: self.context,
        })
    }

    /// True when a principal fact was set explicitly (these override a shared principal).
    fn has_explicit_principal_facts(&self) -> bool {
        self.role_arn.is_some()
            || self.parent_user.is_some()
            || self.unique_id.is_some()
            || self.service_linked.is_some()
    }

    /// The caller [`RequestBuilder::build`] would put in the request: the principal
    /// classified, with its role ARN, parent user, unique id and service-linked flag
    /// applied (from the explicit setters, else from `aws:PrincipalArn` and `aws:userid`
    /// in the context). Build it once and pass it to [`RequestBuilder::shared_principal`]
    /// for many requests by the same caller.
    ///
    /// ```
    /// use iam_policy::{Request, context::ContextValue};
    /// let p = Request::builder().principal("arn:aws:iam::111122223333:user/alice")
    ///     .context_value("aws:userid", ContextValue::Single("AIDAEXAMPLE".into()))
    ///     .build_principal()?;
    /// assert_eq!((p.name(), p.account()), ("alice", Some("111122223333")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// When no principal was set or it cannot be classified.
    pub fn build_principal(&self) -> Result<RequestPrincipal, RequestError> {
        let (mut principal, from_context) = match &self.principal {
            None => return Err(request_error("request has no principal")),
            Some(PrincipalSource::Text(text)) => (
                RequestPrincipal::parse(text).map_err(|e| request_error(e.to_string()))?,
                true,
            ),
            Some(PrincipalSource::Shared(shared)) => ((**shared).clone(), false),
        };
        let context = &self.context;
        let role_arn = self.role_arn.as_deref().or_else(|| {
            from_context
                .then(|| {
                    context
                        .get("aws:principalarn")
                        .and_then(ContextValue::as_single)
                })
                .flatten()
        });
        if let Some(role_arn) = role_arn {
            principal.set_role_arn(role_arn);
        }
        if let Some(parent) = &self.parent_user {
            principal.set_parent_user(parent);
        }
        let unique_id = self.unique_id.as_deref().or_else(|| {
            (from_context
                && matches!(
                    principal.kind(),
                    PrincipalKind::User | PrincipalKind::Role | PrincipalKind::RoleSession
                ))
            .then(|| context.get("aws:userid").and_then(ContextValue::as_single))
            .flatten()
        });
        if let Some(id) = unique_id {
            principal.set_unique_id(id);
        }
        if let Some(yes) = self.service_linked {
            principal.set_service_linked(yes);
        }
        Ok(principal)
    }
}

/// Where a builder's principal comes from.
#[derive(Debug, Clone)]
enum PrincipalSource {
    /// Text to classify at build time.
    Text(String),
    /// A caller classified before, shared between requests.
    Shared(Arc<RequestPrincipal>),
}

/// A statement that decided an evaluation, by position, with its `Sid` and span.
///
/// ```
/// use iam_policy::{Layers, PolicySet, PolicyType, CompileOptions, Request};
/// let set = PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"A",
///     "Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, PolicyType::Identity,
///     &CompileOptions::default())?;
/// let perms = Layers::new().identity(set).build()?;
/// let req = Request::builder().principal("arn:aws:iam::111122223333:user/a")
///     .action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
/// let eval = perms.evaluate(&req);
/// let first = eval.deciding().next().ok_or("no deciding statement")?;
/// assert_eq!((first.layer.as_str(), first.policy, first.statement, first.sid), ("identity", 0, 0, Some("A")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecidingStatement<'p> {
    /// The layer it belongs to.
    pub layer: Layer,
    /// The organization level (0 = root) for SCPs and RCPs.
    pub level: Option<usize>,
    /// Index of the policy within its layer (or level).
    pub policy: usize,
    /// Index of the statement within its policy.
    pub statement: usize,
    /// The statement's `Sid`.
    pub sid: Option<&'p str>,
    /// The statement's span in its policy text.
    pub span: Span,
    /// The policy's label, when one was given at compile time.
    pub label: Option<&'p str>,
}

/// Why an implicit deny happened: the layer that did not allow.
///
/// ```
/// use iam_policy::eval::Missing;
/// assert_eq!(Missing::IdentityAllow.layer().as_str(), "identity");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// No identity policy allows the request.
    IdentityAllow,
    /// The permissions boundary does not allow it.
    BoundaryAllow,
    /// No session policy allows it (or a federated user has none).
    SessionAllow,
    /// An SCP level (0 = root) has no applicable Allow.
    ScpLevel(usize),
    /// An RCP level (0 = root) has no applicable Allow.
    RcpLevel(usize),
    /// The resource policy does not grant the caller.
    ResourceGrant,
}

impl Missing {
    /// The layer that failed.
    ///
    /// ```
    /// assert_eq!(iam_policy::eval::Missing::ScpLevel(1).layer(), iam_policy::eval::Layer::Scp);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn layer(self) -> Layer {
        match self {
            Missing::IdentityAllow => Layer::Identity,
            Missing::BoundaryAllow => Layer::Boundary,
            Missing::SessionAllow => Layer::Session,
            Missing::ScpLevel(_) => Layer::Scp,
            Missing::RcpLevel(_) => Layer::Rcp,
            Missing::ResourceGrant => Layer::Resource,
        }
    }

    /// A one-line description.
    ///
    /// ```
    /// assert!(iam_policy::eval::Missing::BoundaryAllow.message().contains("boundary"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn message(self) -> String {
        match self {
            Missing::IdentityAllow => "no identity-based policy allows the request".into(),
            Missing::BoundaryAllow => "the permissions boundary does not allow the request".into(),
            Missing::SessionAllow => "no session policy allows the request".into(),
            Missing::ScpLevel(l) => {
                format!("no service control policy at level {l} allows the request")
            }
            Missing::RcpLevel(l) => {
                format!("no resource control policy at level {l} allows the request")
            }
            Missing::ResourceGrant => "the resource policy does not grant the caller".into(),
        }
    }
}

/// Capacity of [`Evaluation`]'s inline list of deciding statements.
pub(crate) const MAX_DECIDING: usize = 4;

/// The result of [`crate::EffectivePermissions::evaluate`]: a decision plus the
/// statements that decided it, held inline (no heap allocation).
///
/// ```
/// use iam_policy::{Layers, Decision, Request};
/// let perms = Layers::new().build()?;
/// let req = Request::builder().principal("arn:aws:iam::111122223333:user/a")
///     .action("s3:GetObject").resource("*").build()?;
/// let eval = perms.evaluate(&req);
/// assert_eq!(eval.decision(), Decision::ImplicitDeny);
/// assert_eq!(eval.deciding().count(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evaluation<'p> {
    pub(crate) decision: Decision,
    pub(crate) deciding: [Option<DecidingStatement<'p>>; MAX_DECIDING],
    pub(crate) missing: Option<Missing>,
}

impl<'p> Evaluation<'p> {
    pub(crate) fn new(decision: Decision) -> Evaluation<'p> {
        Evaluation {
            decision,
            deciding: [None; MAX_DECIDING],
            missing: None,
        }
    }

    pub(crate) fn push(&mut self, s: DecidingStatement<'p>) {
        if let Some(slot) = self.deciding.iter_mut().find(|d| d.is_none()) {
            *slot = Some(s);
        }
    }

    /// The decision.
    ///
    /// ```
    /// let perms = iam_policy::Layers::new().build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(perms.evaluate(&req).decision(), iam_policy::Decision::ImplicitDeny);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// True when the request is allowed.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// let perms = iam_policy::Layers::new().identity(set).build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert!(perms.evaluate(&req).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }

    /// The deciding statements: for an explicit deny the `Deny` statements that applied
    /// (at most four); for an allow the granting statement of each layer on the path
    /// that allowed (identity, boundary, session, resource). Empty for implicit denies.
    ///
    /// ```
    /// let set = iam_policy::PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, iam_policy::PolicyType::Identity, &iam_policy::CompileOptions::default().with_label("p"))?;
    /// let perms = iam_policy::Layers::new().identity(set).build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(perms.evaluate(&req).deciding().count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn deciding(&self) -> impl Iterator<Item = DecidingStatement<'p>> + '_ {
        self.deciding.iter().flatten().copied()
    }

    /// For an implicit deny, the layer that did not allow.
    ///
    /// ```
    /// let perms = iam_policy::Layers::new().build()?;
    /// let req = iam_policy::Request::builder().principal("arn:aws:iam::111122223333:user/alice").action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
    /// assert_eq!(perms.evaluate(&req).missing(), Some(iam_policy::eval::Missing::IdentityAllow));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn missing(&self) -> Option<Missing> {
        self.missing
    }
}

/// One statement looked at in explain mode, with what matched.
///
/// ```
/// use iam_policy::{Layers, PolicySet, PolicyType, CompileOptions, Request};
/// let set = PolicySet::from_json(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
///     "Action":"s3:*","Resource":"arn:aws:s3:::other/*"}}"#, PolicyType::Identity,
///     &CompileOptions::default())?;
/// let perms = Layers::new().identity(set).build()?;
/// let req = Request::builder().principal("arn:aws:iam::111122223333:user/a")
///     .action("s3:GetObject").resource("arn:aws:s3:::b/k").build()?;
/// let ex = perms.explain(&req);
/// assert_eq!(ex.considered.len(), 1);
/// assert_eq!(ex.considered[0].resource, Some(false));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConsideredStatement {
    /// Its layer.
    pub layer: Layer,
    /// Organization level for SCPs and RCPs.
    pub level: Option<usize>,
    /// Policy index within the layer (or level).
    pub policy: usize,
    /// Statement index within the policy.
    pub statement: usize,
    /// `Sid`.
    pub sid: Option<String>,
    /// Policy label.
    pub label: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// Span of the statement.
    pub span: Span,
    /// Principal match classes (resource-side layers only); empty = no match.
    pub principal: Option<Vec<&'static str>>,
    /// Whether `Action`/`NotAction` matched (`None` = not reached).
    pub action: Option<bool>,
    /// Whether `Resource`/`NotResource` matched (`None` = not reached).
    pub resource: Option<bool>,
    /// Whether the condition block held (`None` = not reached).
    pub condition: Option<bool>,
    /// Every condition evaluated, in order.
    pub traces: Vec<ConditionTrace>,
    /// True when the statement applies to the request.
    pub applies: bool,
}

/// An owned deciding statement (see [`DecidingStatement`]).
///
/// ```
/// use iam_policy::{Layers, Request};
/// let ex = Layers::new().build()?.explain(&Request::builder()
///     .principal("arn:aws:iam::111122223333:user/a").action("s3:ListAllMyBuckets")
///     .resource("*").build()?);
/// assert!(ex.deciding.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecidingRecord {
    /// The layer.
    pub layer: Layer,
    /// Organization level for SCPs and RCPs.
    pub level: Option<usize>,
    /// Policy index.
    pub policy: usize,
    /// Statement index.
    pub statement: usize,
    /// `Sid`.
    pub sid: Option<String>,
    /// Span.
    pub span: Span,
    /// Policy label.
    pub label: Option<String>,
}

impl From<DecidingStatement<'_>> for DecidingRecord {
    fn from(d: DecidingStatement<'_>) -> Self {
        DecidingRecord {
            layer: d.layer,
            level: d.level,
            policy: d.policy,
            statement: d.statement,
            sid: d.sid.map(str::to_string),
            span: d.span,
            label: d.label.map(str::to_string),
        }
    }
}

/// Explain mode: the decision, its deciding statements, every statement considered
/// with its condition traces, and for a denial which layer failed.
///
/// ```
/// use iam_policy::{Layers, Decision, Request};
/// let ex = Layers::new().build()?.explain(&Request::builder()
///     .principal("arn:aws:iam::111122223333:user/a").action("s3:GetObject")
///     .resource("arn:aws:s3:::b/k").build()?);
/// assert_eq!(ex.decision, Decision::ImplicitDeny);
/// assert!(ex.missing.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Explanation {
    /// The decision (always equal to what `evaluate` returns).
    pub decision: Decision,
    /// The deciding statements.
    pub deciding: Vec<DecidingRecord>,
    /// Every statement considered, in evaluation order.
    pub considered: Vec<ConsideredStatement>,
    /// For an implicit deny: the layer that did not allow.
    pub missing: Option<Missing>,
    /// Notes on special rules that fired (root user, `sts:GetCallerIdentity`, …).
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(p: &str, a: &str, r: &str) -> Result<Request, RequestError> {
        Request::builder()
            .principal(p)
            .action(a)
            .resource(r)
            .build()
    }

    fn role_session_builder() -> RequestBuilder {
        Request::builder()
            .principal("arn:aws:sts::111122223333:assumed-role/app/s1")
            .context_value(
                "aws:PrincipalArn",
                ContextValue::Single("arn:aws:iam::111122223333:role/team/app".into()),
            )
            .context_value("aws:userid", ContextValue::Single("AROAEXAMPLE:s1".into()))
    }

    #[test]
    fn a_shared_principal_gives_the_same_request_as_the_text() {
        let shared = Arc::new(role_session_builder().build_principal().unwrap());
        let from_text = role_session_builder()
            .action("s3:GetObject")
            .resource("arn:aws:s3:::b/k")
            .build()
            .unwrap();
        let from_shared = role_session_builder()
            .shared_principal(Arc::clone(&shared))
            .action("s3:GetObject")
            .resource("arn:aws:s3:::b/k")
            .build()
            .unwrap();
        assert_eq!(from_text, from_shared);
        assert!(Arc::ptr_eq(&from_shared.principal, &shared));
    }

    #[test]
    fn a_shared_principal_ignores_the_context_but_not_explicit_facts() {
        let bare = Arc::new(
            RequestPrincipal::parse("arn:aws:sts::111122223333:assumed-role/app/s1").unwrap(),
        );
        let req = role_session_builder()
            .shared_principal(Arc::clone(&bare))
            .action("s3:GetObject")
            .resource("*")
            .build()
            .unwrap();
        assert_eq!(req.principal().role_arn(), None);
        let req = Request::builder()
            .shared_principal(Arc::clone(&bare))
            .role_arn("arn:aws:iam::111122223333:role/team/app")
            .action("s3:GetObject")
            .resource("*")
            .build()
            .unwrap();
        assert_eq!(
            req.principal().role_arn(),
            Some("arn:aws:iam::111122223333:role/team/app")
        );
        assert_eq!(bare.role_arn(), None);
    }

    #[test]
    fn build_principal_without_a_principal_is_an_error() {
        let err = Request::builder().build_principal().unwrap_err();
        assert!(err.to_string().contains("no principal"));
    }

    #[test]
    fn resources_are_checked_as_six_part_arns() {
        let p = "arn:aws:iam::111122223333:user/a";
        assert!(build(p, "s3:GetObject", "arn:aws:s3:::b").is_ok());
        assert!(build(p, "s3:GetObject", "arn:aws:s3::b").is_err());
        assert!(build(p, "s3:GetObject", "urn:aws:s3:::b").is_err());
        let r = build(
            p,
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:444455556666:q:x",
        )
        .unwrap();
        assert_eq!(r.resource_account(), Some("444455556666"));
    }

    #[test]
    fn non_ascii_actions_are_still_lowercased() {
        let r = build("arn:aws:iam::111122223333:user/a", "s3:GetÖbject", "*").unwrap();
        assert_eq!(r.action(), "s3:getöbject");
    }

    #[test]
    fn action_is_lowercased_once_at_build() {
        let r = build("arn:aws:iam::111122223333:user/a", "IAM:ListUsers", "*").unwrap();
        assert_eq!(r.action(), "iam:listusers");
        assert_eq!(r.service(), "iam");
    }

    #[test]
    fn resource_account_comes_from_arn_then_principal() {
        let r = build(
            "arn:aws:iam::111122223333:user/a",
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:444455556666:q",
        )
        .unwrap();
        assert_eq!(r.resource_account(), Some("444455556666"));
        assert!(!r.is_same_account());
        let s3 = build(
            "arn:aws:iam::111122223333:user/a",
            "s3:GetObject",
            "arn:aws:s3:::b/k",
        )
        .unwrap();
        assert_eq!(s3.resource_account(), Some("111122223333"));
    }

    #[test]
    fn bad_actions_and_resources_are_rejected() {
        let p = "arn:aws:iam::111122223333:user/a";
        assert!(build(p, "getobject", "*").is_err());
        assert!(build(p, ":x", "*").is_err());
        assert!(build(p, "s3:Get Object", "*").is_err());
        assert!(build(p, "s3:GetObject", "").is_err());
        assert!(build(p, "s3:GetObject", "bucket/key").is_err());
    }

    #[test]
    fn unique_id_is_read_from_the_context() {
        let r = Request::builder()
            .principal("arn:aws:sts::111122223333:assumed-role/app/s1")
            .action("s3:GetObject")
            .resource("*")
            .context_value(
                "aws:userid",
                ContextValue::Single("AROAEXAMPLEAPP:s1".into()),
            )
            .build()
            .unwrap();
        assert_eq!(r.principal().kind(), PrincipalKind::RoleSession);
    }

    #[test]
    fn evaluation_keeps_at_most_four_deciding_statements() {
        let mut e = Evaluation::new(Decision::ExplicitDeny);
        for i in 0..6 {
            e.push(DecidingStatement {
                layer: Layer::Identity,
                level: None,
                policy: 0,
                statement: i,
                sid: None,
                span: Span::default(),
                label: None,
            });
        }
        assert_eq!(e.deciding().count(), MAX_DECIDING);
    }
}
