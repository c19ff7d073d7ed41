//! Spanned JSON reader (RFC 8259), built with nom.
//!
//! Input: policy text. Output: a [`Document`] whose every key and value carries the byte
//! [`Span`] it was read from; duplicate keys are kept (and listed) rather than silently
//! collapsed. Depth, size and count limits come from one [`Limits`] value; going over a
//! limit is an error with a span, never a stack overflow. Never panics on any input.

use std::borrow::Cow;

use crate::source::Span;

/// Bounds on what the reader accepts. Defaults are generous for policies (whose AWS
/// quotas are a few kilobytes) yet keep hostile input cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of arrays and objects (the root container is depth 1).
    pub max_depth: usize,
    /// Longest string (key or value) in bytes after unescaping.
    pub max_string_bytes: usize,
    /// Most members of one object or elements of one array.
    pub max_members: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 1 << 20,
            max_depth: 64,
            max_string_bytes: 1 << 17,
            max_members: 10_000,
        }
    }
}

/// A JSON value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Value<'a> {
    /// Span of the value's text (for strings, including the quotes).
    pub span: Span,
    /// The value.
    pub kind: ValueKind<'a>,
}

/// The kinds of JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind<'a> {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, in its exact textual form.
    Number(&'a str),
    /// A string, unescaped (borrowed when it had no escapes).
    String(Cow<'a, str>),
    /// An array, in order.
    Array(Vec<Value<'a>>),
    /// An object, members in order, duplicates kept.
    Object(Vec<Member<'a>>),
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member<'a> {
    /// The key, unescaped.
    pub key: Cow<'a, str>,
    /// Span of the key including its quotes.
    pub key_span: Span,
    /// The value.
    pub value: Value<'a>,
}

/// A key that appears more than once in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key.
    pub key: String,
    /// Span of its first occurrence.
    pub first: Span,
    /// Span of the repeated occurrence.
    pub duplicate: Span,
}

/// A parsed document: the root value and every duplicate key found.
#[derive(Debug, Clone, PartialEq)]
pub struct Document<'a> {
    /// The root value.
    pub root: Value<'a>,
    /// Duplicate keys, in document order.
    pub duplicates: Vec<DuplicateKey>,
}
