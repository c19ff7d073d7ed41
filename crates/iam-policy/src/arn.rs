//! ARNs and ARN patterns, matched component by component as IAM defines it.
//!
//! Stage: compile-time helper for `compile` (Resource / NotResource entries) and for the
//! `Arn*` condition operators in [`crate::condition`]. Input: a [`Template`] and the request
//! resource or context value. Output: [`ArnPattern`] (policy-language.md §7.2 recommended
//! algorithm) and [`ArnConditionPattern`] (evaluation.md §5, §6.6). Matching never
//! allocates (except templates with more than [`crate::pattern::INLINE_SEGMENTS`] parts)
//! and never fails: what cannot match is simply `false`.

use crate::context::Context;
use crate::pattern::{
    eq_ignore_ascii_case_fast, glob, normalize, resolve_parts, Case, DynPart, Pattern, Seg, SegBuf,
    TemplatePattern, Tok,
};
use crate::vars::{Template, TemplatePart};

/// An ARN split into its components: `arn:partition:service:region:account:resource`.
///
/// ```
/// use iam_policy::arn::Arn;
/// let arn = Arn::parse("arn:aws:logs:us-east-1:123456789012:log-group:g:*").ok_or("bad")?;
/// assert_eq!(arn.service, "logs");
/// assert_eq!(arn.resource, "log-group:g:*");
/// assert!(Arn::parse("arn:aws:s3").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: &'a str,
    /// The service namespace (`s3`, `iam`).
    pub service: &'a str,
    /// The region, often empty.
    pub region: &'a str,
    /// The account id, often empty.
    pub account: &'a str,
    /// Everything after the fifth colon, colons included.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Parse `text`: exactly six colon-separated parts starting with `arn`; the sixth keeps
    /// its colons. `None` when `text` is not of that shape.
    ///
    /// ```
    /// use iam_policy::arn::Arn;
    /// let arn = Arn::parse("arn:aws:s3:::bucket/a:b").ok_or("bad")?;
    /// assert_eq!((arn.region, arn.account, arn.resource), ("", "", "bucket/a:b"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut it = text.splitn(6, ':');
        if it.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: it.next()?,
            service: it.next()?,
            region: it.next()?,
            account: it.next()?,
            resource: it.next()?,
        })
    }
}

/// What a policy ARN with fewer than six components means, by policy type
/// (policy-language.md §7.2).
///
/// ```
/// use iam_policy::arn::{ArnOptions, ArnPattern, ShortArn};
/// use iam_policy::context::Context;
/// use iam_policy::vars::Template;
/// let t = Template::parse("arn:aws:s3", true);
/// let ctx = Context::new();
/// let identity = ArnPattern::compile(&t, ShortArn::Pad, ArnOptions::default());
/// assert!(identity.is_match("arn:aws:s3:::bucket", &ctx));
/// let scp = ArnPattern::compile(&t, ShortArn::PadIfTrailingStar, ArnOptions::default());
/// assert!(!scp.is_match("arn:aws:s3:::bucket", &ctx));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShortArn {
    /// Always pad with `*` components (identity, session and boundary policies).
    Pad,
    /// Pad only when the last component ends with `*` (SCPs).
    PadIfTrailingStar,
    /// Pad only when the ARN contains a wildcard (resource and VPC endpoint policies).
    PadIfWildcard,
    /// Never pad: a short ARN matches nothing (RCPs).
    Reject,
}

/// Options for [`ArnPattern`].
///
/// ```
/// use iam_policy::arn::{ArnOptions, ArnPattern, ShortArn};
/// use iam_policy::context::Context;
/// use iam_policy::vars::Template;
/// let t = Template::parse("arn:aws:ec2:*:111122223333:instance/*", true);
/// let r = "arn:aws:ec2:us-east-1:999999999999:111122223333:instance/x";
/// let strict = ArnPattern::compile(&t, ShortArn::Pad, ArnOptions::default());
/// assert!(!strict.is_match(r, &Context::new()));
/// let literal = ArnPattern::compile(&t, ShortArn::Pad, ArnOptions { star_crosses_colon: true });
/// assert!(literal.is_match(r, &Context::new()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ArnOptions {
    /// The literal reading of the current `Resource` documentation page: a `*` that ends one of the first
    /// five components may also consume the colons that follow. Default `false`
    /// (per-component matching, the recommended algorithm).
    pub star_crosses_colon: bool,
}

/// Number of colons considered as component boundaries by the `star_crosses_colon`
/// option; later colons can only be inside the resource component.
const MAX_BOUNDARY_COLONS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ArnKind {
    /// The pattern `*`.
    Any,
    /// A short ARN that the policy type does not pad.
    Nothing,
    /// Six components.
    Components(Box<Components>),
}

/// The head components of an [`ArnPattern`], compiled for per-component matching.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum HeadCheck {
    /// All five components are wildcard-free literals without colons: the head joined
    /// with `:`, matched against the request head (the text before its fifth colon) with
    /// one ASCII case-insensitive compare instead of five.
    Joined(Box<str>),
    /// The components that are not `*`, by index; literals compared directly.
    Parts(Box<[(usize, HeadPart)]>),
}

/// One head component that is not `*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum HeadPart {
    /// A wildcard-free literal, compared ASCII case-insensitively.
    Literal(Box<str>),
    /// Anything else.
    Pattern(Pattern),
}

impl HeadCheck {
    fn compile(head: &[Pattern; 5]) -> HeadCheck {
        if let Some(joined) = joined_literal(head) {
            return HeadCheck::Joined(joined);
        }
        let parts = head
            .iter()
            .enumerate()
            .filter(|(_, p)| p.strategy() != crate::pattern::Strategy::Any)
            .map(|(i, p)| {
                let part = match p.exact_literal() {
                    Some(lit) => HeadPart::Literal(lit.into()),
                    None => HeadPart::Pattern(p.clone()),
                };
                (i, part)
            })
            .collect();
        HeadCheck::Parts(parts)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Components {
    /// `arn`, partition, service, region, account: ASCII case-insensitive.
    head: [Pattern; 5],
    /// How `head` is matched against the request head, precomputed.
    head_check: HeadCheck,
    /// Whether each head component ends with `*` (for `star_crosses_colon`).
    trailing_star: [bool; 5],
    /// The resource component: case-sensitive, variables substituted.
    resource: TemplatePattern,
    star_crosses_colon: bool,
}

/// A compiled `Resource` / `NotResource` entry.
///
/// ```
/// use iam_policy::arn::{ArnOptions, ArnPattern, ShortArn};
/// use iam_policy::context::{Context, ContextValue};
/// use iam_policy::vars::Template;
/// let t = Template::parse("arn:aws:s3:::home/${aws:username}/*", true);
/// let p = ArnPattern::compile(&t, ShortArn::Pad, ArnOptions::default());
/// let ctx: Context = [("aws:username", ContextValue::Single("bob".into()))]
///     .into_iter()
///     .collect();
/// assert!(p.is_match("arn:aws:s3:::home/bob/notes.txt", &ctx));
/// assert!(!p.is_match("arn:aws:s3:::home/alice/notes.txt", &ctx));
/// assert!(!p.is_match("arn:aws:s3:::home/bob/notes.txt", &Context::new()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArnPattern {
    kind: ArnKind,
}

/// The text of a variable as written, for places where variables are not substituted.
fn variable_text(key: &str, default: Option<&str>) -> String {
    match default {
        Some(d) => format!("${{{key}, '{d}'}}"),
        None => format!("${{{key}}}"),
    }
}

/// Split template parts into at most six components at literal colons. Variables in the
/// first five components become their literal text (policy-language.md §7.2: variables are
/// substituted only in the resource component); with `vars_everywhere` they are kept
/// wherever they are, and colons inside their values do not split.
fn split_components(parts: &[TemplatePart], vars_everywhere: bool) -> Vec<Vec<DynPart>> {
    let mut comps: Vec<Vec<DynPart>> = vec![Vec::new()];
    fn push_literal(comps: &mut Vec<Vec<DynPart>>, text: &str) {
        let mut rest = text;
        loop {
            if comps.len() >= 6 {
                if let Some(last) = comps.last_mut() {
                    last.push(DynPart::Lit(rest.into()));
                }
                return;
            }
            match rest.split_once(':') {
                Some((head, tail)) => {
                    if let Some(last) = comps.last_mut() {
                        last.push(DynPart::Lit(head.into()));
                    }
                    comps.push(Vec::new());
                    rest = tail;
                }
                None => {
                    if let Some(last) = comps.last_mut() {
                        last.push(DynPart::Lit(rest.into()));
                    }
                    return;
                }
            }
        }
    }
    for part in parts {
        match part {
            TemplatePart::Literal(s) => push_literal(&mut comps, s),
            TemplatePart::Variable { key, default } if comps.len() < 6 && !vars_everywhere => {
                push_literal(&mut comps, &variable_text(key, default.as_deref()));
            }
            other => {
                let dp = DynPart::from_template(std::slice::from_ref(other), true);
                if let Some(last) = comps.last_mut() {
                    last.extend(dp);
                }
            }
        }
    }
    comps
}

/// A head component (no variables left) as a pattern.
fn head_pattern(parts: &[DynPart], case: Case) -> Pattern {
    let segs = parts.iter().map(|p| match p {
        DynPart::Lit(s) => Seg::Lit(s),
        DynPart::Star => Seg::Star,
        DynPart::Question => Seg::Question,
        // Only reachable with `vars_everywhere`, whose callers check for variables first.
        DynPart::Var { .. } => Seg::Lit(""),
    });
    Pattern::from_toks(normalize(segs), case)
}

fn ends_with_star(parts: &[DynPart]) -> bool {
    let toks = normalize(parts.iter().map(|p| match p {
        DynPart::Lit(s) => Seg::Lit(s),
        DynPart::Star => Seg::Star,
        DynPart::Question => Seg::Question,
        DynPart::Var { .. } => Seg::Lit("$"),
    }));
    toks.last() == Some(&Tok::Star)
}

/// The request resource split at its first five colons.
fn split_request(resource: &str) -> Option<([&str; 5], &str)> {
    let mut it = resource.splitn(6, ':');
    let head = [it.next()?, it.next()?, it.next()?, it.next()?, it.next()?];
    Some((head, it.next()?))
}

/// A request resource split once into its six ARN components, so that matching it
/// against many patterns does not split it again for each.
///
/// ```
/// use iam_policy::arn::ResourceArn;
/// let r = ResourceArn::new("arn:aws:sqs:us-east-1:111122223333:q");
/// assert_eq!(r.text(), "arn:aws:sqs:us-east-1:111122223333:q");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceArn<'a> {
    text: &'a str,
    split: Option<([&'a str; 5], &'a str)>,
}

impl<'a> ResourceArn<'a> {
    /// Split `text` (an ARN, or `*` for actions without a resource type).
    pub fn new(text: &'a str) -> ResourceArn<'a> {
        let split = if text == "*" {
            None
        } else {
            split_request(text)
        };
        ResourceArn { text, split }
    }

    /// Rebuild from the byte offsets of the first five colons, as [`ResourceArn::colons`]
    /// returned them for the same text; no scanning.
    pub(crate) fn from_colons(text: &'a str, colons: Option<[usize; 5]>) -> ResourceArn<'a> {
        let split = colons.and_then(|c| {
            let head = [
                text.get(..c[0])?,
                text.get(c[0] + 1..c[1])?,
                text.get(c[1] + 1..c[2])?,
                text.get(c[2] + 1..c[3])?,
                text.get(c[3] + 1..c[4])?,
            ];
            Some((head, text.get(c[4] + 1..)?))
        });
        ResourceArn { text, split }
    }

    /// The offsets of the first five colons of `text`, when it has them and is not `*`.
    pub(crate) fn colons(text: &str) -> Option<[usize; 5]> {
        if text == "*" {
            return None;
        }
        let mut out = [0usize; 5];
        let mut it = text.match_indices(':').map(|(i, _)| i);
        for slot in &mut out {
            *slot = it.next()?;
        }
        Some(out)
    }

    /// The resource text.
    pub fn text(&self) -> &'a str {
        self.text
    }
}

impl ArnPattern {
    /// Compile a `Resource` / `NotResource` entry. `short` decides what an ARN with fewer
    /// than six components means (by policy type); `options` selects the colon reading.
    ///
    /// ```
    /// use iam_policy::arn::{ArnOptions, ArnPattern, ShortArn};
    /// use iam_policy::context::Context;
    /// use iam_policy::vars::Template;
    /// let p = ArnPattern::compile(&Template::parse("*", true), ShortArn::Reject, ArnOptions::default());
    /// assert!(p.is_match("*", &Context::new()));
    /// assert!(p.is_match("arn:aws:iam::1:role/x", &Context::new()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(t: &Template, short: ShortArn, options: ArnOptions) -> ArnPattern {
        if t.parts() == [TemplatePart::Star] {
            return ArnPattern { kind: ArnKind::Any };
        }
        let mut comps = split_components(t.parts(), false);
        if comps.len() < 6 {
            let pad = match short {
                ShortArn::Pad => true,
                ShortArn::PadIfTrailingStar => comps.last().is_some_and(|c| ends_with_star(c)),
                ShortArn::PadIfWildcard => t.has_wildcards(),
                ShortArn::Reject => false,
            };
            if !pad {
                return ArnPattern {
                    kind: ArnKind::Nothing,
                };
            }
            while comps.len() < 6 {
                comps.push(vec![DynPart::Star]);
            }
        }
        let mut it = comps.into_iter();
        let mut next_head = || it.next().unwrap_or_default();
        let heads: [Vec<DynPart>; 5] = [
            next_head(),
            next_head(),
            next_head(),
            next_head(),
            next_head(),
        ];
        let resource = TemplatePattern::from_parts(it.next().unwrap_or_default(), Case::Sensitive);
        let trailing_star = heads.each_ref().map(|h| ends_with_star(h));
        let head = heads.each_ref().map(|h| head_pattern(h, Case::Insensitive));
        let head_check = HeadCheck::compile(&head);
        ArnPattern {
            kind: ArnKind::Components(Box::new(Components {
                head,
                head_check,
                trailing_star,
                resource,
                star_crosses_colon: options.star_crosses_colon,
            })),
        }
    }

    /// True for the pattern `*`, which matches every request resource.
    pub(crate) fn is_any(&self) -> bool {
        matches!(self.kind, ArnKind::Any)
    }

    /// True when the request `resource` (an ARN, or `*` for actions without a resource
    /// type) matches. An unresolvable variable makes the entry match nothing.
    ///
    /// ```
    /// use iam_policy::arn::{ArnOptions, ArnPattern, ShortArn};
    /// use iam_policy::context::Context;
    /// use iam_policy::vars::Template;
    /// let t = Template::parse("arn:aws:s3:::*", true);
    /// let p = ArnPattern::compile(&t, ShortArn::Pad, ArnOptions::default());
    /// assert!(p.is_match("ARN:AWS:S3:::bucket", &Context::new()));
    /// assert!(!p.is_match("*", &Context::new())); // wildcard-only action
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_match(&self, resource: &str, ctx: &Context) -> bool {
        self.is_match_resource(&ResourceArn::new(resource), ctx)
    }

    /// [`ArnPattern::is_match`] on a request resource that was split once.
    ///
    /// ```
    /// use iam_policy::arn::{ArnOptions, ArnPattern, ResourceArn, ShortArn};
    /// use iam_policy::context::Context;
    /// use iam_policy::vars::Template;
    /// let p = ArnPattern::compile(&Template::parse("arn:aws:s3:::b/*", true), ShortArn::Pad, ArnOptions::default());
    /// assert!(p.is_match_resource(&ResourceArn::new("arn:aws:s3:::b/k"), &Context::new()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_match_resource(&self, resource: &ResourceArn<'_>, ctx: &Context) -> bool {
        let c = match &self.kind {
            ArnKind::Any => return true,
            ArnKind::Nothing => return false,
            ArnKind::Components(c) => c,
        };
        // DECISION: evaluation.md §12 "Wildcard-only action + `arn:aws:s3:::*`" — follow
        // [NotAction] (§2.3): a wildcard-only request matches only the literal `*` pattern.
        if resource.text == "*" {
            return false;
        }
        if c.star_crosses_colon {
            return c.match_crossing(resource.text, ctx);
        }
        // DECISION: evaluation.md §12 "`*` crossing `:` in Resource" — per-component
        // matching with short-ARN padding (policy-language.md §7.2), the literal reading
        // only behind `ArnOptions::star_crosses_colon`.
        let Some((head, rest)) = resource.split else {
            return false;
        };
        // DECISION: evaluation.md §12 "Resource ARN case" — the resource component is
        // case-sensitive; the four head components compare ASCII case-insensitively.
        c.head_matches(resource.text, head, rest) && c.resource.is_match(rest, ctx) == Some(true)
    }
}

/// The five head literals joined with `:`, when every one is a wildcard-free literal
/// without a colon (then the joined compare is equivalent to five component compares:
/// both sides have their four separators at the same places or differ in length).
fn joined_literal(head: &[Pattern; 5]) -> Option<Box<str>> {
    let mut out = String::new();
    for (i, p) in head.iter().enumerate() {
        let lit = p.exact_literal()?;
        if lit.contains(':') {
            return None;
        }
        if i > 0 {
            out.push(':');
        }
        out.push_str(lit);
    }
    Some(out.into_boxed_str())
}

impl Components {
    /// Do the five head components match the request's `head` (split from `text`, whose
    /// resource component is `rest`)?
    fn head_matches(&self, text: &str, head: [&str; 5], rest: &str) -> bool {
        match &self.head_check {
            HeadCheck::Joined(lit) => {
                // `rest` is a suffix of `text`, after the fifth colon.
                let joined = text
                    .len()
                    .checked_sub(rest.len() + 1)
                    .and_then(|end| text.get(..end));
                match joined {
                    Some(joined) => eq_ignore_ascii_case_fast(joined.as_bytes(), lit.as_bytes()),
                    None => self.head.iter().zip(head).all(|(p, r)| p.is_match(r)),
                }
            }
            HeadCheck::Parts(parts) => parts.iter().all(|(i, part)| {
                let r = head.get(*i).copied().unwrap_or("");
                match part {
                    HeadPart::Literal(lit) => {
                        eq_ignore_ascii_case_fast(r.as_bytes(), lit.as_bytes())
                    }
                    HeadPart::Pattern(p) => p.is_match(r),
                }
            }),
        }
    }

    /// The literal reading: a trailing `*` in a head component may consume colons.
    fn match_crossing(&self, resource: &str, ctx: &Context) -> bool {
        let mut colons = [0usize; MAX_BOUNDARY_COLONS];
        let mut n = 0;
        for (i, _) in resource.match_indices(':') {
            match colons.get_mut(n) {
                Some(slot) => {
                    *slot = i;
                    n += 1;
                }
                None => break,
            }
        }
        if n < 5 {
            return false;
        }
        let colons = colons.get(..n).unwrap_or(&[]);
        // failed[pi] bit j: component pi starting after colon j is known not to match.
        let mut failed = [0u64; 6];
        self.cross_from(0, 0, resource, colons, &mut failed, ctx)
    }

    fn cross_from(
        &self,
        pi: usize,
        start: usize,
        text: &str,
        colons: &[usize],
        failed: &mut [u64; 6],
        ctx: &Context,
    ) -> bool {
        let (Some(head), Some(&trailing)) = (self.head.get(pi), self.trailing_star.get(pi)) else {
            return text
                .get(start..)
                .is_some_and(|rest| self.resource.is_match(rest, ctx) == Some(true));
        };
        for (j, &c) in colons.iter().enumerate() {
            if c < start {
                continue;
            }
            let bit = 1u64 << j;
            let known_bad = failed.get(pi + 1).is_some_and(|f| f & bit != 0);
            if !known_bad {
                let ok = text.get(start..c).is_some_and(|piece| head.is_match(piece))
                    && self.cross_from(pi + 1, c + 1, text, colons, failed, ctx);
                if ok {
                    return true;
                }
                if let Some(f) = failed.get_mut(pi + 1) {
                    *f |= bit;
                }
            }
            if !trailing {
                break;
            }
        }
        false
    }
}

/// The result of testing one `Arn*` condition value.
///
/// ```
/// use iam_policy::arn::{Arn, ArnConditionPattern, ArnValueMatch};
/// use iam_policy::context::Context;
/// use iam_policy::vars::Template;
/// let p = ArnConditionPattern::compile(&Template::parse("${aws:SourceArn}", true)).ok_or("bad")?;
/// let arn = Arn::parse("arn:aws:s3:::b").ok_or("bad")?;
/// assert_eq!(p.is_match(&arn, &Context::new()), ArnValueMatch::Unresolved);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArnValueMatch {
    /// The value matches.
    Match,
    /// The value does not match.
    NoMatch,
    /// A variable in the value has no value and no default (policy-language.md §8.5).
    Unresolved,
    /// After substitution the value is not a six-component ARN: it never matches.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ArnConditionInner {
    /// `arn`, partition, service, region, account, resource.
    Static(Box<[Pattern; 6]>),
    /// Resolved and split at match time.
    Dynamic(TemplatePattern),
}

/// A compiled `ArnLike` / `ArnEquals` (and negated) policy value: the six components are
/// globbed separately and case-sensitively; a `*` never absorbs the colon before the next
/// component (evaluation.md §5, §6.6).
///
/// ```
/// use iam_policy::arn::{Arn, ArnConditionPattern, ArnValueMatch};
/// use iam_policy::context::Context;
/// use iam_policy::vars::Template;
/// let t = Template::parse("arn:aws:someservice:*:111122223333:finance/*", true);
/// let p = ArnConditionPattern::compile(&t).ok_or("not an arn")?;
/// let ok = Arn::parse("arn:aws:someservice:us-east-2:111122223333:finance/doc.txt").ok_or("bad")?;
/// assert_eq!(p.is_match(&ok, &Context::new()), ArnValueMatch::Match);
/// let tricky = Arn::parse(
///     "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
/// )
/// .ok_or("bad")?;
/// assert_eq!(p.is_match(&tricky, &Context::new()), ArnValueMatch::NoMatch);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArnConditionPattern {
    inner: ArnConditionInner,
}

impl ArnConditionPattern {
    /// Compile a condition value. `None` when it has no variables and is not a
    /// six-component ARN (it could never match).
    ///
    /// ```
    /// use iam_policy::arn::ArnConditionPattern;
    /// use iam_policy::vars::Template;
    /// assert!(ArnConditionPattern::compile(&Template::parse("arn:aws:iam::*:role/x", true)).is_some());
    /// assert!(ArnConditionPattern::compile(&Template::parse("*", true)).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(t: &Template) -> Option<ArnConditionPattern> {
        if t.has_variables() {
            return Some(ArnConditionPattern {
                inner: ArnConditionInner::Dynamic(TemplatePattern::compile(
                    t,
                    Case::Sensitive,
                    true,
                )),
            });
        }
        let comps = split_components(t.parts(), true);
        if comps.len() != 6 {
            return None;
        }
        let mut it = comps.iter().map(|c| head_pattern(c, Case::Sensitive));
        let mut next = || {
            it.next()
                .unwrap_or_else(|| Pattern::literal("", Case::Sensitive))
        };
        let arr = [next(), next(), next(), next(), next(), next()];
        Some(ArnConditionPattern {
            inner: ArnConditionInner::Static(Box::new(arr)),
        })
    }

    /// Test the context value `arn` against this policy value.
    ///
    /// ```
    /// use iam_policy::arn::{Arn, ArnConditionPattern, ArnValueMatch};
    /// use iam_policy::context::{Context, ContextValue};
    /// use iam_policy::vars::Template;
    /// let t = Template::parse("arn:aws:iam::${aws:PrincipalAccount}:role/*", true);
    /// let p = ArnConditionPattern::compile(&t).ok_or("bad")?;
    /// let ctx: Context = [("aws:PrincipalAccount", ContextValue::Single("123".into()))]
    ///     .into_iter()
    ///     .collect();
    /// let arn = Arn::parse("arn:aws:iam::123:role/admin").ok_or("bad")?;
    /// assert_eq!(p.is_match(&arn, &ctx), ArnValueMatch::Match);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_match(&self, arn: &Arn<'_>, ctx: &Context) -> ArnValueMatch {
        let value = [
            "arn",
            arn.partition,
            arn.service,
            arn.region,
            arn.account,
            arn.resource,
        ];
        match &self.inner {
            ArnConditionInner::Static(comps) => {
                if comps.iter().zip(value).all(|(p, v)| p.is_match(v)) {
                    ArnValueMatch::Match
                } else {
                    ArnValueMatch::NoMatch
                }
            }
            ArnConditionInner::Dynamic(tp) => {
                let Some(parts) = tp.dynamic_parts() else {
                    return ArnValueMatch::Invalid;
                };
                let mut resolved = SegBuf::new();
                if resolve_parts(parts, ctx, &mut resolved).is_none() {
                    return ArnValueMatch::Unresolved;
                }
                // Split the resolved segments at the first five literal colons.
                let mut split = SegBuf::new();
                let mut bounds = [0usize; 7];
                let mut n = 0usize;
                let mut count = 0usize;
                for seg in resolved.as_slice() {
                    match *seg {
                        Seg::Lit(mut s) => {
                            while n < 5 {
                                let Some((head, tail)) = s.split_once(':') else {
                                    break;
                                };
                                split.push(Seg::Lit(head));
                                count += 1;
                                n += 1;
                                if let Some(b) = bounds.get_mut(n) {
                                    *b = count;
                                }
                                s = tail;
                            }
                            split.push(Seg::Lit(s));
                            count += 1;
                        }
                        other => {
                            split.push(other);
                            count += 1;
                        }
                    }
                }
                if n < 5 {
                    return ArnValueMatch::Invalid;
                }
                if let Some(b) = bounds.get_mut(6) {
                    *b = count;
                }
                let segs = split.as_slice();
                let all = (0..6).all(|i| {
                    let range = bounds.get(i).copied().unwrap_or(0)
                        ..bounds.get(i + 1).copied().unwrap_or(0);
                    let v = value.get(i).copied().unwrap_or("");
                    segs.get(range)
                        .is_some_and(|comp| glob(comp, v, Case::Sensitive))
                });
                if all {
                    ArnValueMatch::Match
                } else {
                    ArnValueMatch::NoMatch
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::ContextValue;

    fn pat(p: &str, short: ShortArn) -> ArnPattern {
        ArnPattern::compile(&Template::parse(p, true), short, ArnOptions::default())
    }

    fn m(p: &str, r: &str) -> bool {
        pat(p, ShortArn::Pad).is_match(r, &Context::new())
    }

    #[test]
    fn joined_head_compare_agrees_with_per_component_matching() {
        let patterns = [
            "arn:aws:sqs:us-east-1:444455556666:partner-inbox",
            "ARN:AWS:SQS:US-EAST-1:444455556666:*",
            "arn:aws:s3:::bucket/*",
            "arn:aws:sqs:*:444455556666:q",
            "arn:*:SQS:*:4444*:q",
            "arn:aws:s?s:us-east-1:*:q",
            "arn:aws:sqs:us-east-1:44445555666:q",
            "arn:aws:sqs:us-east-1x:444455556666:q",
            "arn:aws:iam::${aws:username}:user/x",
            "arn:aws",
        ];
        let resources = [
            "arn:aws:sqs:us-east-1:444455556666:partner-inbox",
            "arn:aws:SQS:us-east-1:444455556666:partner-inbox",
            "arn:aws:sqs:us-east-1:444455556666:q",
            "arn:aws:sqs:us-east-:1444455556666:q",
            "arn:aws:sqs:us-east-1x:444455556666:q",
            "arn:aws:sqs:us-east-1:44445555666:q",
            "arn:aws:s3:::bucket/k",
            "arn:aws:s3:::bucket:x:y",
            "arn:aws:iam::${aws:username}:user/x",
            "arn:aws:iam::${aws:user:name}:user/x",
        ];
        let mut fast_paths = 0;
        for p in patterns {
            let compiled = pat(p, ShortArn::Pad);
            let ArnKind::Components(c) = &compiled.kind else {
                panic!("{p} did not compile to components");
            };
            fast_paths += usize::from(matches!(c.head_check, HeadCheck::Joined(_)));
            for r in resources {
                let arn = ResourceArn::new(r);
                let (head, rest) = arn.split.unwrap();
                let general = c.head.iter().zip(head).all(|(p, r)| p.is_match(r));
                assert_eq!(c.head_matches(r, head, rest), general, "{p} vs {r}");
                let colons = ResourceArn::colons(r);
                let rebuilt = ResourceArn::from_colons(r, colons);
                assert_eq!(
                    compiled.is_match_resource(&rebuilt, &Context::new()),
                    compiled.is_match_resource(&arn, &Context::new()),
                    "{p} vs {r}"
                );
            }
        }
        assert!(fast_paths >= 5, "the joined compare was not exercised");
    }

    #[test]
    fn compiled_matchers_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
        assert_send_sync::<ArnPattern>();
        assert_send_sync::<ArnConditionPattern>();
    }

    #[test]
    fn parse_requires_six_parts_and_keeps_resource_colons() {
        let a = Arn::parse("arn:aws:rds:eu-west-1:123456789012:db:mysql-db").unwrap();
        assert_eq!(a.partition, "aws");
        assert_eq!(a.region, "eu-west-1");
        assert_eq!(a.account, "123456789012");
        assert_eq!(a.resource, "db:mysql-db");
        assert!(Arn::parse("arn:aws:s3::b").is_none());
        assert!(Arn::parse("foo:aws:s3:::b").is_none());
        assert!(Arn::parse("*").is_none());
    }

    #[test]
    fn star_pattern_matches_everything_including_star_request() {
        // policy-language.md §7.2 algorithm, first line
        assert!(m("*", "*"));
        assert!(m("*", "arn:aws:s3:::b"));
        assert!(m("*", "garbage"));
    }

    #[test]
    fn star_request_matches_only_literal_star_pattern() {
        // evaluation.md §2.3
        assert!(!m("arn:aws:s3:::*", "*"));
        assert!(!m("arn:*:*:*:*:*", "*"));
        assert!(!m("arn:aws:s3", "*"));
    }

    #[test]
    fn s3_documented_examples() {
        // policy-language.md §7.2 fact 2
        let p = "arn:aws:s3:::bucket/*/test/*";
        for ok in [
            "bucket/1/test/object.jpg",
            "bucket/1/2/test/3/object.jpg",
            "bucket/1///test///object.jpg",
            "bucket/1/test/.jpg",
            "bucket//test/object.jpg",
            "bucket/1/test/",
        ] {
            assert!(m(p, &format!("arn:aws:s3:::{ok}")), "{ok}");
        }
        for no in [
            "bucket/1-test/object.jpg",
            "bucket/test/object.jpg",
            "bucket/1/2/test.jpg",
        ] {
            assert!(!m(p, &format!("arn:aws:s3:::{no}")), "{no}");
        }
    }

    #[test]
    fn resource_component_star_crosses_colons() {
        // policy-language.md §7.2 fact 3
        assert!(m(
            "arn:aws:logs:us-east-1:1:log-group:*",
            "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s"
        ));
    }

    #[test]
    fn head_star_does_not_cross_colons_by_default() {
        // policy-language.md §7.2 fact 5 (recommended per-component reading)
        let p = "arn:aws:ec2:*:111122223333:instance/*";
        let r = "arn:aws:ec2:us-east-1:999999999999:111122223333:instance/x";
        assert!(!m(p, r));
        let lit = ArnPattern::compile(
            &Template::parse(p, true),
            ShortArn::Pad,
            ArnOptions {
                star_crosses_colon: true,
            },
        );
        assert!(lit.is_match(r, &Context::new()));
        assert!(lit.is_match(
            "arn:aws:ec2:us-east-1:111122223333:instance/x",
            &Context::new()
        ));
        assert!(!lit.is_match("arn:aws:ec2:us-east-1:999:instance/x", &Context::new()));
    }

    #[test]
    fn head_components_ignore_case_resource_does_not() {
        // policy-language.md §7.2 case sensitivity
        assert!(m("arn:AWS:S3:::Bucket", "arn:aws:s3:::Bucket"));
        assert!(!m("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket"));
        assert!(!m("arn:aws:iam::1:user/Bob", "arn:aws:iam::1:user/bob"));
    }

    #[test]
    fn malformed_request_matches_only_star() {
        assert!(!m("arn:*:*:*:*:*", "arn:aws:s3"));
        assert!(!m("arn:aws:s3:*", "not-an-arn"));
        assert!(m("*", "not-an-arn"));
    }

    #[test]
    fn short_arn_rules_by_policy_type() {
        // policy-language.md §7.2 iam-simulate short ARN padding
        let r = "arn:aws:s3:::bucket";
        let ctx = Context::new();
        assert!(pat("arn:aws:s3", ShortArn::Pad).is_match(r, &ctx));
        assert!(pat("arn:aws:s3:*", ShortArn::PadIfTrailingStar).is_match(r, &ctx));
        assert!(!pat("arn:aws:s3", ShortArn::PadIfTrailingStar).is_match(r, &ctx));
        assert!(pat("arn:aws:s?", ShortArn::PadIfWildcard).is_match(r, &ctx));
        assert!(!pat("arn:aws:s3", ShortArn::PadIfWildcard).is_match(r, &ctx));
        assert!(!pat("arn:aws:s3:*", ShortArn::Reject).is_match(r, &ctx));
        assert!(!pat("arn:aws:s3:*", ShortArn::Pad).is_match("arn:aws:iam::1:x", &ctx));
    }

    #[test]
    fn unresolvable_variable_matches_nothing() {
        // policy-language.md §8.5
        let p = pat("arn:aws:s3:::home/${aws:username}/*", ShortArn::Pad);
        assert!(!p.is_match("arn:aws:s3:::home/x/y", &Context::new()));
        let ctx: Context = [("aws:username", ContextValue::Single("x".into()))]
            .into_iter()
            .collect();
        assert!(p.is_match("arn:aws:s3:::home/x/y", &ctx));
    }

    #[test]
    fn variables_outside_resource_component_stay_literal() {
        // policy-language.md §7.2 last paragraph
        let ctx: Context = [(
            "aws:RequestedRegion",
            ContextValue::Single("eu-west-1".into()),
        )]
        .into_iter()
        .collect();
        let p = pat("arn:aws:s3:${aws:RequestedRegion}::b", ShortArn::Pad);
        assert!(!p.is_match("arn:aws:s3:eu-west-1::b", &ctx));
        // The variable's own colon splits components, as the literal text would.
        assert!(p.is_match("arn:aws:s3:${aws:RequestedRegion}::b", &ctx));
    }

    #[test]
    fn substituted_colons_stay_in_resource_component() {
        let ctx: Context = [("aws:PrincipalTag/p", ContextValue::Single("a:b".into()))]
            .into_iter()
            .collect();
        let p = pat(
            "arn:aws:logs:*:*:log-group:${aws:PrincipalTag/p}",
            ShortArn::Pad,
        );
        assert!(p.is_match("arn:aws:logs:r:1:log-group:a:b", &ctx));
    }

    #[test]
    fn arn_condition_components_are_separate() {
        // evaluation.md §5 ArnLike vs StringLike example
        let t = Template::parse("arn:aws:someservice:*:111122223333:finance/*", true);
        let p = ArnConditionPattern::compile(&t).unwrap();
        let v = Arn::parse(
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
        )
        .unwrap();
        assert_eq!(p.is_match(&v, &Context::new()), ArnValueMatch::NoMatch);
    }

    #[test]
    fn arn_condition_is_case_sensitive_everywhere() {
        // evaluation.md §6.6
        let p =
            ArnConditionPattern::compile(&Template::parse("arn:AWS:iam::1:role/x", true)).unwrap();
        let v = Arn::parse("arn:aws:iam::1:role/x").unwrap();
        assert_eq!(p.is_match(&v, &Context::new()), ArnValueMatch::NoMatch);
    }

    #[test]
    fn arn_condition_with_whole_arn_variable_splits_after_substitution() {
        let p = ArnConditionPattern::compile(&Template::parse("${aws:SourceArn}", true)).unwrap();
        let v = Arn::parse("arn:aws:s3:::b").unwrap();
        let ctx: Context = [(
            "aws:SourceArn",
            ContextValue::Single("arn:aws:s3:::b".into()),
        )]
        .into_iter()
        .collect();
        assert_eq!(p.is_match(&v, &ctx), ArnValueMatch::Match);
        let bad: Context = [("aws:SourceArn", ContextValue::Single("nope".into()))]
            .into_iter()
            .collect();
        assert_eq!(p.is_match(&v, &bad), ArnValueMatch::Invalid);
        assert_eq!(p.is_match(&v, &Context::new()), ArnValueMatch::Unresolved);
        // A substituted `*` is literal.
        let star: Context = [(
            "aws:SourceArn",
            ContextValue::Single("arn:aws:s3:::*".into()),
        )]
        .into_iter()
        .collect();
        assert_eq!(p.is_match(&v, &star), ArnValueMatch::NoMatch);
    }

    #[test]
    fn arn_condition_rejects_short_static_values() {
        assert!(ArnConditionPattern::compile(&Template::parse("arn:aws:s3", true)).is_none());
    }
}
