//! IAM wildcard patterns: `*` (any run of characters, including none) and `?` (exactly one
//! character); every other character is literal (`[abc]` is four literal characters).
//!
//! Stage: compile-time helper for `compile` and the matchers in [`crate::arn`] and
//! [`crate::condition`]. Input: pattern text or a [`Template`]. Output: a [`Pattern`]
//! compiled once into its cheapest [`Strategy`], or a [`TemplatePattern`] whose policy
//! variables are resolved from a [`Context`] at match time. Substituted variable values are
//! always literal. Matching never allocates (templates with more than
//! [`INLINE_SEGMENTS`] parts fall back to the heap) and never backtracks exponentially:
//! the general matcher is the classic greedy star-backtrack loop, O(pattern × text).

use crate::context::{Context, ContextValue};
use crate::vars::{Template, TemplatePart};

/// How letters compare.
///
/// ```
/// use iam_policy::pattern::{Case, Pattern};
/// assert!(Pattern::new("IAM:Get*", Case::Insensitive).is_match("iam:getuser"));
/// assert!(!Pattern::new("IAM:Get*", Case::Sensitive).is_match("iam:getuser"));
/// assert!(Pattern::new("straße", Case::Fold).is_match("STRAßE"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// Exact code points (resource ARNs, `StringEquals`, `StringLike`).
    Sensitive,
    /// ASCII case folding (action names).
    Insensitive,
    /// Simple per-character Unicode case folding with no normalisation
    /// (`StringEqualsIgnoreCase`, evaluation.md §5: `ß` ≠ `ss`).
    Fold,
}

/// The matching strategy a [`Pattern`] was compiled to.
///
/// ```
/// use iam_policy::pattern::{Case, Pattern, Strategy};
/// assert_eq!(Pattern::new("s3:Get*", Case::Insensitive).strategy(), Strategy::Prefix);
/// assert_eq!(Pattern::new("a*b?c", Case::Sensitive).strategy(), Strategy::General);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// No wildcard: whole-text equality.
    Exact,
    /// `literal*`.
    Prefix,
    /// `*literal`.
    Suffix,
    /// `*literal*`.
    Contains,
    /// Only stars: matches everything.
    Any,
    /// Anything else: greedy star-backtrack matching.
    General,
}

/// Number of resolved template parts kept on the stack before spilling to the heap.
///
/// ```
/// use iam_policy::pattern::INLINE_SEGMENTS;
/// assert!(INLINE_SEGMENTS >= 8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const INLINE_SEGMENTS: usize = 16;

/// One element of a resolved pattern: literal text or a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    Lit(&'a str),
    Star,
    Question,
}

/// An owned pattern element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Tok {
    Lit(Box<str>),
    Star,
    Question,
}

/// Something that can be viewed as a [`Seg`].
pub(crate) trait AsSeg {
    fn seg(&self) -> Seg<'_>;
}

impl AsSeg for Tok {
    fn seg(&self) -> Seg<'_> {
        match self {
            Tok::Lit(s) => Seg::Lit(s),
            Tok::Star => Seg::Star,
            Tok::Question => Seg::Question,
        }
    }
}

impl AsSeg for Seg<'_> {
    fn seg(&self) -> Seg<'_> {
        *self
    }
}

/// Merge adjacent literals, drop empty ones and collapse runs of stars.
pub(crate) fn normalize<'a>(segs: impl IntoIterator<Item = Seg<'a>>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    let mut lit = String::new();
    for seg in segs {
        match seg {
            Seg::Lit(s) => lit.push_str(s),
            Seg::Star | Seg::Question => {
                if !lit.is_empty() {
                    out.push(Tok::Lit(std::mem::take(&mut lit).into_boxed_str()));
                }
                if seg == Seg::Star {
                    if out.last() != Some(&Tok::Star) {
                        out.push(Tok::Star);
                    }
                } else {
                    out.push(Tok::Question);
                }
            }
        }
    }
    if !lit.is_empty() {
        out.push(Tok::Lit(lit.into_boxed_str()));
    }
    out
}

/// Simple case folding of one character: upper-case it when that gives one character,
/// then take the first character of its lower case (`ς`, `σ`, `Σ` all fold alike; `ß`
/// stays `ß`).
fn fold(c: char) -> char {
    let mut up = c.to_uppercase();
    let u = match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    };
    u.to_lowercase().next().unwrap_or(u)
}

fn chars_eq(a: char, b: char, case: Case) -> bool {
    match case {
        Case::Sensitive => a == b,
        Case::Insensitive => a.eq_ignore_ascii_case(&b),
        Case::Fold => a == b || fold(a) == fold(b),
    }
}

/// A wildcard token seen while walking a segment list.
#[derive(Clone, Copy)]
enum Step {
    Char(char),
    Star,
    Question,
}

/// The token at position `(seg, off)` and the position after it, skipping empty literals.
fn peek<S: AsSeg>(pat: &[S], mut seg: usize, mut off: usize) -> Option<(Step, usize, usize)> {
    loop {
        match pat.get(seg)?.seg() {
            Seg::Star => return Some((Step::Star, seg + 1, 0)),
            Seg::Question => return Some((Step::Question, seg + 1, 0)),
            Seg::Lit(s) => match s.get(off..).and_then(|rest| rest.chars().next()) {
                Some(c) => {
                    let next = off + c.len_utf8();
                    return Some(if next >= s.len() {
                        (Step::Char(c), seg + 1, 0)
                    } else {
                        (Step::Char(c), seg, next)
                    });
                }
                None => {
                    seg += 1;
                    off = 0;
                }
            },
        }
    }
}

/// Greedy star-backtrack glob over a segment list. Literal segments never contain
/// wildcards, so a substituted `*` stays literal. Never allocates.
pub(crate) fn glob<S: AsSeg>(pat: &[S], text: &str, case: Case) -> bool {
    let (mut ps, mut po) = (0usize, 0usize);
    let mut t = 0usize;
    // Position just after the last star, and the text position it currently absorbs to.
    let mut star: Option<(usize, usize, usize)> = None;
    while let Some(c) = text.get(t..).and_then(|rest| rest.chars().next()) {
        match peek(pat, ps, po) {
            Some((Step::Star, ns, no)) => {
                star = Some((ns, no, t));
                ps = ns;
                po = no;
                continue;
            }
            Some((Step::Question, ns, no)) => {
                ps = ns;
                po = no;
                t += c.len_utf8();
                continue;
            }
            Some((Step::Char(pc), ns, no)) if chars_eq(pc, c, case) => {
                ps = ns;
                po = no;
                t += c.len_utf8();
                continue;
            }
            _ => {}
        }
        let Some((ss, so, st)) = star else {
            return false;
        };
        // Let the last star absorb one more character and retry after it.
        let Some(sc) = text.get(st..).and_then(|rest| rest.chars().next()) else {
            return false;
        };
        let nt = st + sc.len_utf8();
        star = Some((ss, so, nt));
        ps = ss;
        po = so;
        t = nt;
    }
    loop {
        match peek(pat, ps, po) {
            Some((Step::Star, ns, no)) => {
                ps = ns;
                po = no;
            }
            Some(_) => return false,
            None => return true,
        }
    }
}

#[inline]
fn bytes_eq(a: &[u8], b: &[u8], case: Case) -> bool {
    match case {
        Case::Insensitive => eq_ignore_ascii_case_fast(a, b),
        Case::Sensitive | Case::Fold => fast_eq(a, b),
    }
}

/// Byte equality without a library call for short texts (names, account ids, ARN
/// heads): word compares, the last one overlapping the tail, cover every byte of a text
/// of up to 64 bytes. Same result as `a == b`.
#[inline]
pub(crate) fn fast_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        // First, middle and last byte cover lengths 1 to 3.
        1..=3 => a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.last() == b.last(),
        4..=7 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        8..=16 => word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8),
        // Whole words, then one last word overlapping the tail (ARN heads, user ARNs).
        17..=64 => {
            let mut at = 0;
            while at + 8 < n {
                if word8(a, at) != word8(b, at) {
                    return false;
                }
                at += 8;
            }
            word8(a, n - 8) == word8(b, n - 8)
        }
        _ => a == b,
    }
}

/// Four bytes of `s` from `at` as an integer (`None` past the end).
#[inline]
fn word4(s: &[u8], at: usize) -> Option<u32> {
    s.get(at..at + 4)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .map(u32::from_ne_bytes)
}

/// Eight bytes of `s` from `at` as an integer (`None` past the end).
#[inline]
fn word8(s: &[u8], at: usize) -> Option<u64> {
    s.get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map(u64::from_ne_bytes)
}

/// ASCII case-insensitive equality that tries a plain byte compare first: policy text
/// and request text nearly always agree in case, and the byte compare is far cheaper
/// than folding every byte of both sides.
#[inline]
pub(crate) fn eq_ignore_ascii_case_fast(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && (fast_eq(a, b) || a.eq_ignore_ascii_case(b))
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr {
    Exact(Box<str>),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Contains(Box<str>),
    Any,
    General(Box<[Tok]>),
}

/// A compiled wildcard pattern.
///
/// ```
/// use iam_policy::pattern::{Case, Pattern};
/// let p = Pattern::new("arn:aws:s3:::bucket/*/test/*", Case::Sensitive);
/// assert!(p.is_match("arn:aws:s3:::bucket/1/2/test/3/object.jpg"));
/// assert!(!p.is_match("arn:aws:s3:::bucket/test/object.jpg"));
/// assert!(Pattern::new("[abc]", Case::Sensitive).is_match("[abc]"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    case: Case,
    strategy: Strategy,
    repr: Repr,
}

impl Pattern {
    /// Compile `pattern`, where `*` and `?` are wildcards, to its cheapest strategy.
    ///
    /// ```
    /// use iam_policy::pattern::{Case, Pattern, Strategy};
    /// assert_eq!(Pattern::new("**", Case::Sensitive).strategy(), Strategy::Any);
    /// assert_eq!(Pattern::new("*Key*", Case::Sensitive).strategy(), Strategy::Contains);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(pattern: &str, case: Case) -> Pattern {
        let mut segs: Vec<Seg<'_>> = Vec::new();
        let mut rest = pattern;
        while let Some(i) = rest.find(['*', '?']) {
            let (lit, tail) = rest.split_at(i);
            segs.push(Seg::Lit(lit));
            let mut chars = tail.chars();
            segs.push(if chars.next() == Some('*') {
                Seg::Star
            } else {
                Seg::Question
            });
            rest = chars.as_str();
        }
        segs.push(Seg::Lit(rest));
        Pattern::from_toks(normalize(segs), case)
    }

    /// A pattern with no wildcards: `*` and `?` in `text` are literal characters.
    ///
    /// ```
    /// use iam_policy::pattern::{Case, Pattern, Strategy};
    /// let p = Pattern::literal("a*", Case::Sensitive);
    /// assert_eq!(p.strategy(), Strategy::Exact);
    /// assert!(p.is_match("a*"));
    /// assert!(!p.is_match("ab"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn literal(text: &str, case: Case) -> Pattern {
        Pattern::from_toks(normalize([Seg::Lit(text)]), case)
    }

    /// Build from normalized tokens (see [`normalize`]).
    pub(crate) fn from_toks(toks: Vec<Tok>, case: Case) -> Pattern {
        let strategy = match toks.as_slice() {
            [] | [Tok::Lit(_)] => Strategy::Exact,
            [Tok::Star] => Strategy::Any,
            [Tok::Lit(_), Tok::Star] => Strategy::Prefix,
            [Tok::Star, Tok::Lit(_)] => Strategy::Suffix,
            [Tok::Star, Tok::Lit(_), Tok::Star] => Strategy::Contains,
            _ => Strategy::General,
        };
        // Unicode folding compares characters, not bytes: always use the general matcher.
        let repr = if case == Case::Fold && strategy != Strategy::Any {
            Repr::General(toks.into_boxed_slice())
        } else {
            let lit = toks.iter().find_map(|t| match t {
                Tok::Lit(s) => Some(s.clone()),
                Tok::Star | Tok::Question => None,
            });
            let lit = lit.unwrap_or_default();
            match strategy {
                Strategy::Exact => Repr::Exact(lit),
                Strategy::Prefix => Repr::Prefix(lit),
                Strategy::Suffix => Repr::Suffix(lit),
                Strategy::Contains => Repr::Contains(lit),
                Strategy::Any => Repr::Any,
                Strategy::General => Repr::General(toks.into_boxed_slice()),
            }
        };
        Pattern {
            case,
            strategy,
            repr,
        }
    }

    /// The strategy chosen when the pattern was compiled (its shape). With [`Case::Fold`]
    /// the shape is reported but matching always compares character by character.
    ///
    /// ```
    /// use iam_policy::pattern::{Case, Pattern, Strategy};
    /// assert_eq!(Pattern::new("*.jpg", Case::Sensitive).strategy(), Strategy::Suffix);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// The case mode the pattern was compiled with.
    ///
    /// ```
    /// use iam_policy::pattern::{Case, Pattern};
    /// assert_eq!(Pattern::new("x", Case::Insensitive).case(), Case::Insensitive);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn case(&self) -> Case {
        self.case
    }

    /// True when the whole of `text` matches. Never allocates.
    ///
    /// ```
    /// use iam_policy::pattern::{Case, Pattern};
    /// let p = Pattern::new("iam:*AccessKey?", Case::Insensitive);
    /// assert!(p.is_match("IAM:CreateAccessKeys"));
    /// assert!(!p.is_match("iam:CreateAccessKey"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn is_match(&self, text: &str) -> bool {
        // The common shapes (action names, ARN components) are matched inline; the rest
        // out of line, so the inlined part stays small.
        let t = text.as_bytes();
        match &self.repr {
            Repr::Exact(s) => bytes_eq(t, s.as_bytes(), self.case),
            Repr::Prefix(s) => t
                .get(..s.len())
                .is_some_and(|head| bytes_eq(head, s.as_bytes(), self.case)),
            Repr::Any => true,
            _ => self.is_match_slow(text),
        }
    }

    /// [`Pattern::is_match`] for suffix, contains and general patterns.
    #[inline(never)]
    fn is_match_slow(&self, text: &str) -> bool {
        let t = text.as_bytes();
        match &self.repr {
            // Handled inline by `is_match`, which never comes here for them.
            Repr::Exact(_) | Repr::Prefix(_) | Repr::Any => self.is_match(text),
            Repr::Suffix(s) => t
                .len()
                .checked_sub(s.len())
                .and_then(|i| t.get(i..))
                .is_some_and(|tail| bytes_eq(tail, s.as_bytes(), self.case)),
            Repr::Contains(s) => {
                if s.is_empty() {
                    true
                } else if self.case == Case::Insensitive {
                    t.windows(s.len())
                        .any(|w| w.eq_ignore_ascii_case(s.as_bytes()))
                } else {
                    text.contains(&**s)
                }
            }
            Repr::General(toks) => glob(toks, text, self.case),
        }
    }

    /// The literal of a wildcard-free pattern compared bytewise (ASCII case-insensitive
    /// or exact); `None` for other shapes and for [`Case::Fold`].
    pub(crate) fn exact_literal(&self) -> Option<&str> {
        match &self.repr {
            Repr::Exact(s) if self.case != Case::Fold => Some(s),
            _ => None,
        }
    }

    /// Append the pattern text to `out` (wildcards as `*` / `?`).
    pub(crate) fn render_into(&self, out: &mut String) {
        match &self.repr {
            Repr::Exact(s) => out.push_str(s),
            Repr::Prefix(s) => {
                out.push_str(s);
                out.push('*');
            }
            Repr::Suffix(s) => {
                out.push('*');
                out.push_str(s);
            }
            Repr::Contains(s) => {
                out.push('*');
                out.push_str(s);
                out.push('*');
            }
            Repr::Any => out.push('*'),
            Repr::General(toks) => {
                for t in toks.iter() {
                    match t {
                        Tok::Lit(s) => out.push_str(s),
                        Tok::Star => out.push('*'),
                        Tok::Question => out.push('?'),
                    }
                }
            }
        }
    }
}

/// A small vector of resolved segments: on the stack up to [`INLINE_SEGMENTS`], then on the
/// heap.
pub(crate) struct SegBuf<'a> {
    len: usize,
    inline: [Seg<'a>; INLINE_SEGMENTS],
    heap: Vec<Seg<'a>>,
}

impl<'a> SegBuf<'a> {
    pub(crate) fn new() -> SegBuf<'a> {
        SegBuf {
            len: 0,
            inline: [Seg::Lit(""); INLINE_SEGMENTS],
            heap: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, seg: Seg<'a>) {
        if self.heap.is_empty() {
            if let Some(slot) = self.inline.get_mut(self.len) {
                *slot = seg;
                self.len += 1;
                return;
            }
            self.heap.extend_from_slice(&self.inline);
        }
        self.heap.push(seg);
    }

    pub(crate) fn as_slice(&self) -> &[Seg<'a>] {
        if self.heap.is_empty() {
            self.inline.get(..self.len).unwrap_or(&[])
        } else {
            &self.heap
        }
    }
}

/// A part of a template with variables, as compiled.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum DynPart {
    Lit(Box<str>),
    Star,
    Question,
    Var {
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

impl DynPart {
    /// Convert template parts; with `wildcards` false, `*` and `?` become literal text.
    pub(crate) fn from_template(parts: &[TemplatePart], wildcards: bool) -> Vec<DynPart> {
        parts
            .iter()
            .map(|p| match p {
                TemplatePart::Literal(s) => DynPart::Lit(s.as_str().into()),
                TemplatePart::Star if wildcards => DynPart::Star,
                TemplatePart::Star => DynPart::Lit("*".into()),
                TemplatePart::Question if wildcards => DynPart::Question,
                TemplatePart::Question => DynPart::Lit("?".into()),
                TemplatePart::Variable { key, default } => DynPart::Var {
                    // Lowercased once: context lookups then compare bytes only.
                    key: key.to_ascii_lowercase().into_boxed_str(),
                    default: default.as_deref().map(Into::into),
                },
            })
            .collect()
    }
}

/// The single value of `key` usable as a policy variable: a multi-valued key counts as
/// missing (policy-language.md §8.3).
pub(crate) fn variable_value<'a>(ctx: &'a Context, key: &str) -> Option<&'a str> {
    match ctx.get(key) {
        Some(ContextValue::Single(s)) => Some(s),
        Some(ContextValue::Multi(_)) | None => None,
    }
}

/// Resolve `parts` against `ctx` into `out`; `None` when a variable has no value and no
/// default.
pub(crate) fn resolve_parts<'a>(
    parts: &'a [DynPart],
    ctx: &'a Context,
    out: &mut SegBuf<'a>,
) -> Option<()> {
    for p in parts {
        out.push(match p {
            DynPart::Lit(s) => Seg::Lit(s),
            DynPart::Star => Seg::Star,
            DynPart::Question => Seg::Question,
            DynPart::Var { key, default } => {
                Seg::Lit(variable_value(ctx, key).or(default.as_deref())?)
            }
        });
    }
    Some(())
}

/// [`TemplatePattern::is_match`] with variables: resolve, then glob (out of line so the
/// static case inlines small).
#[inline(never)]
fn is_match_dynamic(parts: &[DynPart], case: Case, text: &str, ctx: &Context) -> Option<bool> {
    let mut buf = SegBuf::new();
    resolve_parts(parts, ctx, &mut buf)?;
    Some(glob(buf.as_slice(), text, case))
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum TemplateInner {
    Static(Pattern),
    Dynamic { parts: Box<[DynPart]>, case: Case },
}

/// A pattern that may contain policy variables, resolved from the request context when
/// matched. Substituted values are literal text.
///
/// ```
/// use iam_policy::context::{Context, ContextValue};
/// use iam_policy::pattern::{Case, TemplatePattern};
/// use iam_policy::vars::Template;
/// let t = Template::parse("home/${aws:username}/*", true);
/// let p = TemplatePattern::compile(&t, Case::Sensitive, true);
/// let mut ctx = Context::new();
/// assert_eq!(p.is_match("home/bob/x", &ctx), None);
/// ctx.insert("aws:username", ContextValue::Single("bob".into()));
/// assert_eq!(p.is_match("home/bob/x", &ctx), Some(true));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TemplatePattern {
    inner: TemplateInner,
}

impl TemplatePattern {
    /// Compile `t`. With `wildcards` false (`StringEquals`), `*` and `?` are literal.
    ///
    /// ```
    /// use iam_policy::context::Context;
    /// use iam_policy::pattern::{Case, TemplatePattern};
    /// use iam_policy::vars::Template;
    /// let t = Template::parse("a*", true);
    /// let eq = TemplatePattern::compile(&t, Case::Sensitive, false);
    /// assert_eq!(eq.is_match("ab", &Context::new()), Some(false));
    /// assert_eq!(eq.is_match("a*", &Context::new()), Some(true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(t: &Template, case: Case, wildcards: bool) -> TemplatePattern {
        TemplatePattern::from_parts(DynPart::from_template(t.parts(), wildcards), case)
    }

    pub(crate) fn from_parts(parts: Vec<DynPart>, case: Case) -> TemplatePattern {
        let dynamic = parts.iter().any(|p| matches!(p, DynPart::Var { .. }));
        let inner = if dynamic {
            TemplateInner::Dynamic {
                parts: parts.into_boxed_slice(),
                case,
            }
        } else {
            let segs = parts.iter().map(|p| match p {
                DynPart::Lit(s) => Seg::Lit(s),
                DynPart::Star => Seg::Star,
                DynPart::Question => Seg::Question,
                // Excluded by `dynamic` above.
                DynPart::Var { .. } => Seg::Lit(""),
            });
            TemplateInner::Static(Pattern::from_toks(normalize(segs), case))
        };
        TemplatePattern { inner }
    }

    /// True when the pattern holds at least one policy variable.
    ///
    /// ```
    /// use iam_policy::pattern::{Case, TemplatePattern};
    /// use iam_policy::vars::Template;
    /// let t = Template::parse("${aws:username}", true);
    /// assert!(TemplatePattern::compile(&t, Case::Sensitive, true).has_variables());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn has_variables(&self) -> bool {
        matches!(self.inner, TemplateInner::Dynamic { .. })
    }

    /// The compiled pattern when there are no variables.
    ///
    /// ```
    /// use iam_policy::pattern::{Case, Strategy, TemplatePattern};
    /// use iam_policy::vars::Template;
    /// let p = TemplatePattern::compile(&Template::parse("a*", true), Case::Sensitive, true);
    /// assert_eq!(p.as_pattern().map(|p| p.strategy()), Some(Strategy::Prefix));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_pattern(&self) -> Option<&Pattern> {
        match &self.inner {
            TemplateInner::Static(p) => Some(p),
            TemplateInner::Dynamic { .. } => None,
        }
    }

    /// Match `text`, resolving variables from `ctx`. `None` when a variable has no single
    /// value in `ctx` and no default (the caller applies policy-language.md §8.5). Never
    /// allocates for templates of up to [`INLINE_SEGMENTS`] parts.
    ///
    /// ```
    /// use iam_policy::context::{Context, ContextValue};
    /// use iam_policy::pattern::{Case, TemplatePattern};
    /// use iam_policy::vars::Template;
    /// let t = Template::parse("${aws:PrincipalTag/team, 'none'}", true);
    /// let p = TemplatePattern::compile(&t, Case::Sensitive, true);
    /// assert_eq!(p.is_match("none", &Context::new()), Some(true));
    /// let ctx: Context = [("aws:principaltag/TEAM", ContextValue::Single("a*".into()))]
    ///     .into_iter()
    ///     .collect();
    /// assert_eq!(p.is_match("a*", &ctx), Some(true));
    /// assert_eq!(p.is_match("ab", &ctx), Some(false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn is_match(&self, text: &str, ctx: &Context) -> Option<bool> {
        match &self.inner {
            TemplateInner::Static(p) => Some(p.is_match(text)),
            TemplateInner::Dynamic { parts, case } => is_match_dynamic(parts, *case, text, ctx),
        }
    }

    /// Append the substituted text to `out` (wildcards rendered as `*` / `?`). `None`, with
    /// `out` possibly partly written, when a variable cannot be resolved.
    ///
    /// ```
    /// use iam_policy::context::{Context, ContextValue};
    /// use iam_policy::pattern::{Case, TemplatePattern};
    /// use iam_policy::vars::Template;
    /// let t = Template::parse("home/${aws:username}/*", true);
    /// let p = TemplatePattern::compile(&t, Case::Sensitive, true);
    /// let ctx: Context = [("aws:username", ContextValue::Single("bob".into()))]
    ///     .into_iter()
    ///     .collect();
    /// let mut out = String::new();
    /// p.resolve_into(&ctx, &mut out).ok_or("unresolved")?;
    /// assert_eq!(out, "home/bob/*");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve_into(&self, ctx: &Context, out: &mut String) -> Option<()> {
        match &self.inner {
            TemplateInner::Static(p) => p.render_into(out),
            TemplateInner::Dynamic { parts, .. } => {
                for p in parts.iter() {
                    match p {
                        DynPart::Lit(s) => out.push_str(s),
                        DynPart::Star => out.push('*'),
                        DynPart::Question => out.push('?'),
                        DynPart::Var { key, default } => {
                            out.push_str(variable_value(ctx, key).or(default.as_deref())?)
                        }
                    }
                }
            }
        }
        Some(())
    }

    /// The parts of a dynamic template (for the ARN condition matcher).
    pub(crate) fn dynamic_parts(&self) -> Option<&[DynPart]> {
        match &self.inner {
            TemplateInner::Static(_) => None,
            TemplateInner::Dynamic { parts, .. } => Some(parts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Pattern::new(p, Case::Sensitive).is_match(t)
    }

    #[test]
    fn fast_byte_compares_agree_with_plain_equality() {
        let base: Vec<u8> = (0..80u8).map(|i| b'a' + i % 26).collect();
        for len in 0..base.len() {
            let a = &base[..len];
            assert!(fast_eq(a, a));
            assert!(!fast_eq(a, &base[..len + 1]));
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] = b'#';
                assert_eq!(fast_eq(a, &b), a == b.as_slice(), "len {len} at {at}");
                assert!(!eq_ignore_ascii_case_fast(a, &b));
                let mut upper = a.to_vec();
                upper[at] = upper[at].to_ascii_uppercase();
                assert!(!fast_eq(a, &upper));
                assert!(eq_ignore_ascii_case_fast(a, &upper));
            }
        }
    }

    #[test]
    fn compiled_patterns_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
        assert_send_sync::<Pattern>();
        assert_send_sync::<TemplatePattern>();
    }

    #[test]
    fn strategies_are_chosen_from_the_shape() {
        let s = |p: &str| Pattern::new(p, Case::Sensitive).strategy();
        assert_eq!(s("abc"), Strategy::Exact);
        assert_eq!(s(""), Strategy::Exact);
        assert_eq!(s("abc*"), Strategy::Prefix);
        assert_eq!(s("abc**"), Strategy::Prefix);
        assert_eq!(s("*abc"), Strategy::Suffix);
        assert_eq!(s("*abc*"), Strategy::Contains);
        assert_eq!(s("***"), Strategy::Any);
        assert_eq!(s("a?c"), Strategy::General);
        assert_eq!(s("a*b*c"), Strategy::General);
        assert_eq!(s("?"), Strategy::General);
    }

    #[test]
    fn star_matches_any_run_including_empty_and_slashes() {
        // policy-language.md §7.2 fact 2 (resource component only)
        let p = "bucket/*/test/*";
        for ok in [
            "bucket/1/test/object.jpg",
            "bucket/1/2/test/3/object.jpg",
            "bucket/1///test///object.jpg",
            "bucket/1/test/.jpg",
            "bucket//test/object.jpg",
            "bucket/1/test/",
        ] {
            assert!(m(p, ok), "{ok}");
        }
        for no in [
            "bucket/1-test/object.jpg",
            "bucket/test/object.jpg",
            "bucket/1/2/test.jpg",
        ] {
            assert!(!m(p, no), "{no}");
        }
    }

    #[test]
    fn question_matches_exactly_one_character_not_byte() {
        assert!(m("a?c", "abc"));
        assert!(m("a?c", "aéc"));
        assert!(!m("a?c", "ac"));
        assert!(!m("a?c", "abbc"));
        assert!(m("??", "é€"));
    }

    #[test]
    fn brackets_and_other_glob_syntax_are_literal() {
        // policy-language.md §11: only `*` and `?` are special
        assert!(m("[abc]", "[abc]"));
        assert!(!m("[abc]", "a"));
        assert!(m("a{b,c}", "a{b,c}"));
        assert!(!m("a{b,c}", "ab"));
        assert!(m("\\*", "\\x"));
    }

    #[test]
    fn insensitive_folds_ascii_only() {
        let p = Pattern::new("S3:get*", Case::Insensitive);
        assert!(p.is_match("s3:GetObject"));
        let e = Pattern::new("É", Case::Insensitive);
        assert!(!e.is_match("é"));
        let c = Pattern::new("*KEY*", Case::Insensitive);
        assert!(c.is_match("iam:createaccesskeys"));
        let s = Pattern::new("*KEY", Case::Insensitive);
        assert!(s.is_match("akey"));
        assert!(!s.is_match("ey"));
    }

    #[test]
    fn fold_is_simple_per_character() {
        // evaluation.md §5: `ß` ≠ `ss`, no normalisation
        let p = Pattern::new("straße", Case::Fold);
        assert!(p.is_match("STRAßE"));
        assert!(!p.is_match("strasse"));
        assert!(Pattern::new("ΣΑΣ", Case::Fold).is_match("σας"));
        assert!(Pattern::new("é*", Case::Fold).is_match("Éa"));
        assert!(!Pattern::new("e\u{301}", Case::Fold).is_match("é"));
    }

    #[test]
    fn adversarial_pattern_is_not_exponential() {
        let p = Pattern::new("a*a*a*a*a*a*a*a*a*a*a*a*a*b", Case::Sensitive);
        let text = "a".repeat(5000);
        assert!(!p.is_match(&text));
    }

    #[test]
    fn literal_keeps_wildcard_characters_literal() {
        let p = Pattern::literal("*?", Case::Sensitive);
        assert!(p.is_match("*?"));
        assert!(!p.is_match("xy"));
    }

    #[test]
    fn template_without_wildcards_treats_star_literally() {
        let t = Template::parse("a*?", true);
        let p = TemplatePattern::compile(&t, Case::Sensitive, false);
        let ctx = Context::new();
        assert_eq!(p.is_match("a*?", &ctx), Some(true));
        assert_eq!(p.is_match("abc", &ctx), Some(false));
    }

    #[test]
    fn substituted_value_is_literal() {
        // policy-language.md §8.4
        let t = Template::parse("x-${aws:PrincipalTag/t}-*", true);
        let p = TemplatePattern::compile(&t, Case::Sensitive, true);
        let ctx: Context = [("aws:PrincipalTag/t", ContextValue::Single("?*".into()))]
            .into_iter()
            .collect();
        assert_eq!(p.is_match("x-?*-anything", &ctx), Some(true));
        assert_eq!(p.is_match("x-ab-anything", &ctx), Some(false));
    }

    #[test]
    fn escapes_are_literal_in_templates() {
        let t = Template::parse("a${*}b", true);
        let p = TemplatePattern::compile(&t, Case::Sensitive, true);
        assert_eq!(p.is_match("a*b", &Context::new()), Some(true));
        assert_eq!(p.is_match("axb", &Context::new()), Some(false));
    }

    #[test]
    fn multi_valued_key_is_a_missing_variable() {
        // policy-language.md §8.3
        let t = Template::parse("${aws:TagKeys}", true);
        let p = TemplatePattern::compile(&t, Case::Sensitive, true);
        let ctx: Context = [("aws:TagKeys", ContextValue::Multi(vec!["a".into()]))]
            .into_iter()
            .collect();
        assert_eq!(p.is_match("a", &ctx), None);
        let mut out = String::new();
        assert_eq!(p.resolve_into(&ctx, &mut out), None);
    }

    #[test]
    fn variable_lookup_ignores_case_and_uses_default() {
        let t = Template::parse("${AWS:UserName, 'anon'}", true);
        let p = TemplatePattern::compile(&t, Case::Sensitive, true);
        assert_eq!(p.is_match("anon", &Context::new()), Some(true));
        let ctx: Context = [("aws:username", ContextValue::Single("bob".into()))]
            .into_iter()
            .collect();
        assert_eq!(p.is_match("bob", &ctx), Some(true));
    }

    #[test]
    fn many_variables_spill_to_the_heap_and_still_match() {
        let text = "${aws:username}-".repeat(20);
        let t = Template::parse(&text, true);
        let p = TemplatePattern::compile(&t, Case::Sensitive, true);
        let ctx: Context = [("aws:username", ContextValue::Single("u".into()))]
            .into_iter()
            .collect();
        assert_eq!(p.is_match(&"u-".repeat(20), &ctx), Some(true));
        assert_eq!(p.is_match(&"u-".repeat(19), &ctx), Some(false));
    }

    #[test]
    fn render_round_trips_static_patterns() {
        for src in ["abc", "a*", "*a", "*a*", "*", "a?b*c"] {
            let p = TemplatePattern::compile(&Template::parse(src, true), Case::Sensitive, true);
            let mut out = String::new();
            p.resolve_into(&Context::new(), &mut out).unwrap();
            assert_eq!(out, src);
        }
    }
}
