//! The request context: condition keys and their values.
//!
//! Input: key/value pairs from the caller (keys in any case). Output: a [`Context`] whose
//! lookups are case-insensitive and allocation-free. Absent keys and present-but-empty
//! multi-valued keys are different things (evaluation.md §1). A context may read through
//! to a shared base ([`Context::layered`]) so many requests can share one set of keys
//! without copying it. Never adds keys of its own, never mutates a shared base.

use std::cmp::Ordering;
use std::sync::Arc;

/// A context value: single-valued, or a (possibly empty) set of strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContextValue {
    /// A single value such as `aws:SourceIp`.
    Single(String),
    /// A multi-valued key such as `aws:TagKeys`; `[]` is present with no values.
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice-like iterator (one value for `Single`).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        let (single, multi): (Option<&str>, &[String]) = match self {
            ContextValue::Single(s) => (Some(s.as_str()), &[]),
            ContextValue::Multi(v) => (None, v.as_slice()),
        };
        single.into_iter().chain(multi.iter().map(String::as_str))
    }

    /// The single value, if this is single-valued.
    pub fn as_single(&self) -> Option<&str> {
        match self {
            ContextValue::Single(s) => Some(s),
            ContextValue::Multi(_) => None,
        }
    }
}

/// Condition keys of one request. Keys compare case-insensitively (ASCII).
///
/// ```
/// use iam_policy::context::{Context, ContextValue};
/// let mut ctx = Context::new();
/// ctx.insert("aws:SourceIp", ContextValue::Single("203.0.113.7".into()));
/// assert!(ctx.get("AWS:SOURCEIP").is_some());
/// assert!(ctx.get("aws:username").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Context {
    // INVARIANT: sorted by `lower`, which is the ASCII-lowercased key; `lower` unique.
    entries: Vec<Entry>,
    // Keys read through when `entries` does not hold them; shadowed by `entries`.
    // INVARIANT: a base never has a base of its own (see `Context::layered`).
    base: Option<Arc<Context>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    lower: Box<str>,
    key: String,
    value: ContextValue,
}

/// Compare two keys ignoring ASCII case, without allocating.
pub(crate) fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Byte-wise ordering of `a` and `b` (the same answer as `a.cmp(b)`), comparing eight
/// bytes at a time: context keys share long prefixes (`aws:principal…`), where a call
/// to `memcmp` per probe of the binary search costs more than the comparison itself.
fn cmp_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let mut a_words = a.chunks_exact(8);
    let mut b_words = b.chunks_exact(8);
    for (x, y) in a_words.by_ref().zip(b_words.by_ref()) {
        let (x, y) = (word(x), word(y));
        if x != y {
            return x.cmp(&y);
        }
    }
    let done = a.len().min(b.len()) / 8 * 8;
    a.get(done..)
        .unwrap_or_default()
        .cmp(b.get(done..).unwrap_or_default())
}

/// Eight bytes as a big-endian word, so word order is byte order.
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(bytes.get(..8).unwrap_or(&[0; 8]));
    u64::from_be_bytes(w)
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Index of `key` (any case) in `entries`. Keys that are already lowercase — the
    /// compiled policies always look up lowercased keys — compare with a plain byte
    /// comparison; others fold case on the fly. Never allocates.
    fn find(&self, key: &str) -> Result<usize, usize> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.entries
                .binary_search_by(|e| cmp_ignore_case(&e.lower, key))
        } else {
            self.find_lowercase(key)
        }
    }

    /// [`Context::find`] for a key known to hold no ASCII uppercase letter.
    fn find_lowercase(&self, key: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|e| cmp_bytes(e.lower.as_bytes(), key.as_bytes()))
    }

    /// [`Context::get`] for a key the caller has already lowercased (compiled condition
    /// keys): skips the scan for uppercase letters. A key with uppercase letters finds
    /// nothing, so callers must lowercase first.
    pub(crate) fn get_lowercase(&self, key: &str) -> Option<&ContextValue> {
        debug_assert!(!key.bytes().any(|b| b.is_ascii_uppercase()));
        if !self.entries.is_empty() {
            if let Ok(i) = self.find_lowercase(key) {
                return self.entries.get(i).map(|e| &e.value);
            }
        }
        self.base.as_deref().and_then(|b| b.get_lowercase(key))
    }

    /// A context holding no keys of its own that reads every key of `base`; keys inserted
    /// later shadow the base's. Cloning it or building it never copies `base`, so one
    /// set of keys (say, a session's principal keys) can back many requests.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use iam_policy::context::{Context, ContextValue};
    /// let mut base = Context::new();
    /// base.insert("aws:userid", ContextValue::Single("AIDAEXAMPLE".into()));
    /// let mut ctx = Context::layered(Arc::new(base));
    /// ctx.insert("aws:SourceIp", ContextValue::Single("203.0.113.7".into()));
    /// assert!(ctx.get("aws:userid").is_some() && ctx.get("aws:sourceip").is_some());
    /// assert_eq!(ctx.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn layered(base: Arc<Context>) -> Context {
        // Keep bases one level deep: a layered base is flattened into a new one.
        let base = if base.base.is_some() {
            Arc::new(base.flattened())
        } else {
            base
        };
        Context {
            entries: Vec::new(),
            base: (!base.entries.is_empty()).then_some(base),
        }
    }

    /// The same keys with no base (copies the base's entries).
    fn flattened(&self) -> Context {
        Context {
            entries: self.merged().cloned().collect(),
            base: None,
        }
    }

    /// Own entries and the base's, merged in key order; own entries shadow the base's.
    fn merged(&self) -> Merged<'_> {
        Merged {
            own: &self.entries,
            base: self.base.as_deref().map_or(&[], |b| b.entries.as_slice()),
        }
    }

    /// Set `key` (any case) to `value`, replacing a value under the same key in any case.
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        let entry = Entry {
            lower: key.to_ascii_lowercase().into_boxed_str(),
            key: key.to_string(),
            value,
        };
        match self.find(key) {
            Ok(i) => {
                if let Some(slot) = self.entries.get_mut(i) {
                    *slot = entry;
                }
            }
            Err(i) => self.entries.insert(i, entry),
        }
    }

    /// The value of `key` (any case), if present.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        if !self.entries.is_empty() {
            if let Ok(i) = self.find(key) {
                return self.entries.get(i).map(|e| &e.value);
            }
        }
        self.base.as_deref().and_then(|b| b.get(key))
    }

    /// Remove `key` (any case), returning its value.
    pub fn remove(&mut self, key: &str) -> Option<ContextValue> {
        if self.base.as_deref().is_some_and(|b| b.get(key).is_some()) {
            // The base is shared: take a private copy of it before removing from it.
            *self = self.flattened();
        }
        let i = self.find(key).ok()?;
        Some(self.entries.remove(i).value)
    }

    /// Every key (as last inserted) and value, sorted by key ignoring case.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.merged().map(|e| (e.key.as_str(), &e.value))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        match &self.base {
            None => self.entries.len(),
            Some(_) => self.merged().count(),
        }
    }

    /// True when no key is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.base.as_deref().is_none_or(Context::is_empty)
    }
}

impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.merged().eq(other.merged())
    }
}

impl Eq for Context {}

/// The merge of a context's own entries (which win on equal keys) and its base's.
struct Merged<'a> {
    own: &'a [Entry],
    base: &'a [Entry],
}

impl<'a> Iterator for Merged<'a> {
    type Item = &'a Entry;

    fn next(&mut self) -> Option<&'a Entry> {
        let (own, base) = match (self.own.split_first(), self.base.split_first()) {
            (None, None) => return None,
            (Some((o, rest)), None) => {
                self.own = rest;
                return Some(o);
            }
            (None, Some((b, rest))) => {
                self.base = rest;
                return Some(b);
            }
            (Some(o), Some(b)) => (o, b),
        };
        match (*own.0.lower).cmp(&*base.0.lower) {
            Ordering::Less => {
                self.own = own.1;
                Some(own.0)
            }
            Ordering::Greater => {
                self.base = base.1;
                Some(base.0)
            }
            Ordering::Equal => {
                self.own = own.1;
                self.base = base.1;
                Some(own.0)
            }
        }
    }
}

impl<K: AsRef<str>> FromIterator<(K, ContextValue)> for Context {
    fn from_iter<T: IntoIterator<Item = (K, ContextValue)>>(iter: T) -> Self {
        let mut ctx = Context::new();
        for (k, v) in iter {
            ctx.insert(k.as_ref(), v);
        }
        ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_wise_comparison_orders_like_byte_slices() {
        let words = [
            "",
            "a",
            "aws",
            "aws:",
            "aws:principal",
            "aws:principalarn",
            "aws:principalar",
            "aws:principalarn\u{0}",
            "aws:principalorgid",
            "aws:principaltag/team",
            "aws:principaltag/teams",
            "aws:sourceip",
            "aws:sourceipx",
            "b",
            "zzzzzzzzzzzzzzzz",
            "zzzzzzzzzzzzzzzy",
            "\u{7f}",
            "é",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    cmp_bytes(a.as_bytes(), b.as_bytes()),
                    a.as_bytes().cmp(b.as_bytes()),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn lowercase_lookup_finds_what_get_finds_in_entries_and_base() {
        let mut base = Context::new();
        base.insert("aws:PrincipalArn", ContextValue::Single("p".into()));
        base.insert("aws:userid", ContextValue::Single("u".into()));
        let mut ctx = Context::layered(Arc::new(base));
        ctx.insert("aws:SourceIp", ContextValue::Single("s".into()));
        for key in [
            "aws:principalarn",
            "aws:userid",
            "aws:sourceip",
            "aws:missing",
            "",
        ] {
            assert_eq!(ctx.get_lowercase(key), ctx.get(key), "{key}");
        }
        assert!(ctx.get_lowercase("aws:sourceip").is_some());
        assert!(ctx.get_lowercase("aws:principalarn").is_some());
    }

    #[test]
    fn keys_are_case_insensitive_and_unique() {
        let mut ctx = Context::new();
        ctx.insert("aws:SourceIP", ContextValue::Single("1".into()));
        ctx.insert("AWS:sourceip", ContextValue::Single("2".into()));
        assert_eq!(ctx.len(), 1);
        assert_eq!(
            ctx.get("aws:sourceip").and_then(ContextValue::as_single),
            Some("2")
        );
    }

    #[test]
    fn empty_multi_value_is_present() {
        let ctx: Context = [("aws:TagKeys", ContextValue::Multi(vec![]))]
            .into_iter()
            .collect();
        assert_eq!(ctx.get("aws:tagkeys").map(|v| v.values().count()), Some(0));
    }

    fn single(v: &str) -> ContextValue {
        ContextValue::Single(v.into())
    }

    fn shared_base() -> Arc<Context> {
        Arc::new(
            [
                ("aws:userid", single("AIDA1")),
                ("aws:PrincipalTag/team", single("blue")),
            ]
            .into_iter()
            .collect(),
        )
    }

    #[test]
    fn layered_context_reads_through_and_own_keys_shadow_the_base() {
        let base = shared_base();
        let mut ctx = Context::layered(Arc::clone(&base));
        ctx.insert("AWS:UserId", single("AIDA2"));
        ctx.insert("aws:SourceIp", single("203.0.113.7"));
        assert_eq!(
            ctx.get("aws:userid").and_then(ContextValue::as_single),
            Some("AIDA2")
        );
        assert_eq!(
            ctx.get("aws:principaltag/team")
                .and_then(ContextValue::as_single),
            Some("blue")
        );
        assert_eq!(ctx.len(), 3);
        let keys: Vec<&str> = ctx.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["aws:PrincipalTag/team", "aws:SourceIp", "AWS:UserId"]
        );
        // The shared base itself is untouched.
        assert_eq!(
            base.get("aws:userid").and_then(ContextValue::as_single),
            Some("AIDA1")
        );
    }

    #[test]
    fn removing_a_base_key_hides_it_without_touching_the_base() {
        let base = shared_base();
        let mut ctx = Context::layered(Arc::clone(&base));
        assert_eq!(ctx.remove("AWS:USERID"), Some(single("AIDA1")));
        assert!(ctx.get("aws:userid").is_none());
        assert_eq!(ctx.len(), 1);
        assert!(base.get("aws:userid").is_some());
        assert_eq!(ctx.remove("aws:userid"), None);
    }

    #[test]
    fn layered_and_flat_contexts_with_the_same_keys_are_equal() {
        let mut layered = Context::layered(shared_base());
        layered.insert("aws:SourceIp", single("1"));
        let mut flat = (*shared_base()).clone();
        flat.insert("aws:SourceIp", single("1"));
        assert_eq!(layered, flat);
        flat.insert("aws:SourceIp", single("2"));
        assert_ne!(layered, flat);
        assert!(!layered.is_empty());
        assert!(Context::layered(Arc::new(Context::new())).is_empty());
    }

    #[test]
    fn layering_a_layered_context_keeps_every_key() {
        let mut middle = Context::layered(shared_base());
        middle.insert("aws:SourceIp", single("1"));
        let mut top = Context::layered(Arc::new(middle));
        top.insert("aws:RequestedRegion", single("eu-west-1"));
        assert_eq!(top.len(), 4);
        assert!(top.get("aws:userid").is_some() && top.get("aws:sourceip").is_some());
    }
}
