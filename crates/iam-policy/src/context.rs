//! The request context: condition keys and their values.
//!
//! Input: key/value pairs from the caller (keys in any case). Output: a [`Context`] whose
//! lookups are case-insensitive and allocation-free. Absent keys and present-but-empty
//! multi-valued keys are different things (evaluation.md §1). Never adds keys of its own.

use std::cmp::Ordering;

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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    // INVARIANT: sorted by `lower`, which is the ASCII-lowercased key; `lower` unique.
    entries: Vec<Entry>,
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
            self.entries.binary_search_by(|e| (*e.lower).cmp(key))
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
        self.find(key)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|e| &e.value)
    }

    /// Remove `key` (any case), returning its value.
    pub fn remove(&mut self, key: &str) -> Option<ContextValue> {
        let i = self.find(key).ok()?;
        Some(self.entries.remove(i).value)
    }

    /// Every key (as last inserted) and value, sorted by key ignoring case.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().map(|e| (e.key.as_str(), &e.value))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no key is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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
}
