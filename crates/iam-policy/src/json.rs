//! Spanned JSON reader (RFC 8259), built with nom.
//!
//! Input: policy text. Output: a [`Document`] whose every key and value carries the byte
//! [`Span`] it was read from; duplicate keys are kept (and listed) rather than silently
//! collapsed. Depth, size and count limits come from one [`Limits`] value; going over a
//! limit is an error with a span, never a stack overflow. Never panics on any input.

use std::borrow::Cow;
use std::collections::hash_map::{Entry, HashMap};

use nom::bytes::complete::{tag, take_while, take_while_m_n};
use nom::character::complete::{digit0, digit1};

use crate::source::Span;

/// Bounds on what the reader accepts. Defaults are generous for policies (whose AWS
/// quotas are a few kilobytes) yet keep hostile input cheap.
///
/// The reader keeps nesting on a heap stack, not the call stack, so reading is safe
/// at any `max_depth`. Dropping, cloning or comparing a [`Value`] does recurse once
/// per level, so keep `max_depth` moderate (thousands at most) when documents parse.
///
/// ```
/// use iam_policy::json::{parse, Limits};
/// let tight = Limits { max_depth: 1, ..Limits::default() };
/// assert!(parse("[[1]]", &tight).is_err());
/// assert!(parse("[1]", &tight).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// ```
/// use iam_policy::json::{parse, Limits, ValueKind};
/// use iam_policy::Span;
/// let doc = parse(" 1.50 ", &Limits::default())?;
/// assert_eq!(doc.root.span, Span::new(1, 5));
/// assert_eq!(doc.root.kind, ValueKind::Number("1.50"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Value<'a> {
    /// Span of the value's text (for strings, including the quotes).
    pub span: Span,
    /// The value.
    pub kind: ValueKind<'a>,
}

/// The kinds of JSON value.
///
/// ```
/// use iam_policy::json::{parse, Limits, ValueKind};
/// let doc = parse("[null, true, \"a\\nb\"]", &Limits::default())?;
/// let ValueKind::Array(items) = &doc.root.kind else { return Err("not an array".into()) };
/// assert_eq!(items[0].kind, ValueKind::Null);
/// assert_eq!(items[1].kind, ValueKind::Bool(true));
/// assert_eq!(items[2].kind, ValueKind::String("a\nb".into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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

impl ValueKind<'_> {
    /// The JSON type name, for messages: `null`, `boolean`, `number`, `string`,
    /// `array` or `object`.
    ///
    /// ```
    /// use iam_policy::json::{parse, Limits};
    /// let doc = parse("[]", &Limits::default())?;
    /// assert_eq!(doc.root.kind.type_name(), "array");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn type_name(&self) -> &'static str {
        match self {
            ValueKind::Null => "null",
            ValueKind::Bool(_) => "boolean",
            ValueKind::Number(_) => "number",
            ValueKind::String(_) => "string",
            ValueKind::Array(_) => "array",
            ValueKind::Object(_) => "object",
        }
    }
}

/// One `"key": value` member of an object.
///
/// ```
/// use iam_policy::json::{parse, Limits, ValueKind};
/// use iam_policy::Span;
/// let doc = parse(r#"{"Effect": "Allow"}"#, &Limits::default())?;
/// let ValueKind::Object(members) = &doc.root.kind else { return Err("not an object".into()) };
/// assert_eq!(members[0].key, "Effect");
/// assert_eq!(members[0].key_span, Span::new(1, 9));
/// assert_eq!(members[0].value.span, Span::new(11, 18));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// ```
/// use iam_policy::json::{parse, Limits};
/// use iam_policy::Span;
/// let doc = parse(r#"{"a": 1, "a": 2}"#, &Limits::default())?;
/// assert_eq!(doc.duplicates[0].key, "a");
/// assert_eq!(doc.duplicates[0].first, Span::new(1, 4));
/// assert_eq!(doc.duplicates[0].duplicate, Span::new(9, 12));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// ```
/// use iam_policy::json::{parse, Limits};
/// let doc = parse("{}", &Limits::default())?;
/// assert!(doc.duplicates.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Document<'a> {
    /// The root value.
    pub root: Value<'a>,
    /// Duplicate keys, in document order.
    pub duplicates: Vec<DuplicateKey>,
}

/// What went wrong while reading JSON. The [`JsonError`] message carries the details.
///
/// ```
/// use iam_policy::json::{parse, JsonErrorKind, Limits};
/// let err = parse("[1,]", &Limits::default()).err().ok_or("should fail")?;
/// assert_eq!(err.kind(), &JsonErrorKind::TrailingComma);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The bytes are not valid UTF-8.
    InvalidUtf8,
    /// The input ended where more was expected (including an unterminated string).
    UnexpectedEnd,
    /// A character that cannot appear here.
    UnexpectedCharacter,
    /// A `,` directly before `]` or `}`.
    TrailingComma,
    /// A `//` or `/* */` comment; JSON has none.
    Comment,
    /// A bare word such as `NaN`, `Infinity`, `undefined` or `True`.
    BareWord,
    /// A number with a superfluous leading zero, such as `01`.
    LeadingZero,
    /// A number missing digits, such as `1.`, `-`, `1e` or `.5`.
    MalformedNumber,
    /// A backslash escape JSON does not define, or a `\u` without four hex digits.
    InvalidEscape,
    /// A `\u` escape of a UTF-16 surrogate that is not part of a valid pair.
    LoneSurrogate,
    /// A raw control character (U+0000 to U+001F) inside a string.
    ControlCharacter,
    /// Something other than whitespace after the value.
    TrailingCharacters,
    /// The document is larger than [`Limits::max_bytes`].
    DocumentTooLarge,
    /// Arrays and objects nest deeper than [`Limits::max_depth`].
    TooDeep,
    /// A string is longer than [`Limits::max_string_bytes`].
    StringTooLong,
    /// An array or object has more than [`Limits::max_members`] entries.
    TooManyMembers,
}

/// A JSON syntax error or exceeded limit, with the span where it happened.
///
/// ```
/// use iam_policy::json::{parse, Limits};
/// use iam_policy::Span;
/// let err = parse("{\"a\": 1]", &Limits::default()).err().ok_or("should fail")?;
/// assert_eq!(err.span(), Span::new(7, 8));
/// assert_eq!(err.to_string(), "expected `,` or `}` after object member, found `]`");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JsonError {
    kind: JsonErrorKind,
    span: Span,
    message: String,
}

impl JsonError {
    fn new(kind: JsonErrorKind, span: Span, message: String) -> JsonError {
        JsonError {
            kind,
            span,
            message,
        }
    }

    /// The class of error.
    ///
    /// ```
    /// use iam_policy::json::{parse, JsonErrorKind, Limits};
    /// let err = parse("NaN", &Limits::default()).err().ok_or("should fail")?;
    /// assert_eq!(err.kind(), &JsonErrorKind::BareWord);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kind(&self) -> &JsonErrorKind {
        &self.kind
    }

    /// The byte range the error points at (empty at the end of input for
    /// [`JsonErrorKind::UnexpectedEnd`]).
    ///
    /// ```
    /// use iam_policy::json::{parse, Limits};
    /// use iam_policy::Span;
    /// let err = parse("[1", &Limits::default()).err().ok_or("should fail")?;
    /// assert_eq!(err.span(), Span::at(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn span(&self) -> Span {
        self.span
    }

    /// The one-line, lowercase message (the same text as `Display`).
    ///
    /// ```
    /// use iam_policy::json::{parse, Limits};
    /// let err = parse("01", &Limits::default()).err().ok_or("should fail")?;
    /// assert_eq!(err.message(), "number `01` has a leading zero");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Read one JSON document from `text`.
///
/// Strict RFC 8259: exactly one value, optionally surrounded by space, tab, LF or CR.
///
/// ```
/// use iam_policy::json::{parse, Limits, ValueKind};
/// let doc = parse(r#"{"Version": "2012-10-17"}"#, &Limits::default())?;
/// let ValueKind::Object(members) = &doc.root.kind else { return Err("not an object".into()) };
/// assert_eq!(members[0].key, "Version");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse<'a>(text: &'a str, limits: &Limits) -> Result<Document<'a>, JsonError> {
    check_size(text.as_bytes(), limits)?;
    Reader::new(text, limits).document()
}

/// Read one JSON document from raw bytes, which must be UTF-8 (no byte order mark).
///
/// Invalid UTF-8 is a [`JsonErrorKind::InvalidUtf8`] error whose span starts at the
/// offending byte.
///
/// ```
/// use iam_policy::json::{parse_bytes, JsonErrorKind, Limits};
/// assert!(parse_bytes(b"[true]", &Limits::default()).is_ok());
/// let err = parse_bytes(b"[\"\xff\"]", &Limits::default()).err().ok_or("should fail")?;
/// assert_eq!(err.kind(), &JsonErrorKind::InvalidUtf8);
/// assert_eq!(err.span().start, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_bytes<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Document<'a>, JsonError> {
    check_size(bytes, limits)?;
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let start = e.valid_up_to();
        let end = match e.error_len() {
            Some(n) => start + n,
            None => bytes.len(),
        };
        JsonError::new(
            JsonErrorKind::InvalidUtf8,
            Span::new(start, end),
            format!("invalid utf-8 at byte {start}"),
        )
    })?;
    Reader::new(text, limits).document()
}

/// Rejects documents over `max_bytes` before any other work.
fn check_size(bytes: &[u8], limits: &Limits) -> Result<(), JsonError> {
    if bytes.len() <= limits.max_bytes {
        return Ok(());
    }
    // Point at the first byte past the limit, moved back to a character boundary.
    let mut at = limits.max_bytes;
    while at > 0 && bytes.get(at).is_some_and(|&b| (b & 0xC0) == 0x80) {
        at -= 1;
    }
    Err(JsonError::new(
        JsonErrorKind::DocumentTooLarge,
        Span::new(at, bytes.len()),
        format!(
            "document is {} bytes, over the limit of {} bytes",
            bytes.len(),
            limits.max_bytes
        ),
    ))
}

/// Input of the nom parsers: the unread rest of the document (always a suffix of it).
type In<'a> = &'a [u8];

/// A failed parse. Boxed so that the `Ok` path stays small.
#[derive(Debug)]
struct Fail(Box<JsonError>);

/// Result of the structural parsers; every error is a `nom::Err::Failure` (no
/// backtracking is ever needed: the first byte decides what comes next).
type PResult<'a, T> = nom::IResult<In<'a>, T, Fail>;

fn fail(kind: JsonErrorKind, span: Span, message: String) -> nom::Err<Fail> {
    nom::Err::Failure(Fail(Box::new(JsonError::new(kind, span, message))))
}

/// The whitespace RFC 8259 allows between tokens.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Bytes that continue a bare word (`NaN`, `undefined`, `truex`, …).
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Skips whitespace (never fails).
fn ws(input: In<'_>) -> In<'_> {
    // Fast path: most tokens are not preceded by whitespace.
    match input.first() {
        Some(&b) if is_ws(b) => {}
        _ => return input,
    }
    match take_while::<_, _, ()>(is_ws)(input) {
        Ok((rest, _)) => rest,
        Err(_) => input,
    }
}

/// Decodes four hex digits.
fn hex4(digits: &[u8]) -> Option<u32> {
    if digits.len() != 4 {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &b| {
        let d = (b as char).to_digit(16)?;
        Some(acc * 16 + d)
    })
}

/// Index of the first `"`, `\` or control byte in `bytes`, scanning eight bytes at a time.
fn find_string_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let Ok(arr) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(arr);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero (after the xor) or below 0x20. The lowest
        // flagged byte is always exact (borrows only propagate upwards).
        let mask = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let mask = mask & HIGH;
        if mask != 0 {
            return Some(base + (mask.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| base + i)
}

/// Members of one object seen so far, for duplicate detection: a linear scan while
/// the object is small, a hash map once it grows.
const SMALL_OBJECT: usize = 16;

/// Open containers reserved up front (see [`Reader::value`]).
const OPEN_CAPACITY: usize = 8;

/// Bytes of policy text per scratch entry when sizing the scratch stacks: a value in a
/// policy takes a few dozen bytes of text.
const SCRATCH_BYTES_PER_ENTRY: usize = 24;

/// A container whose closing bracket has not been read yet. Its entries so far sit on
/// a scratch stack shared by every open container (from `base` up) and move into a
/// `Vec` of exactly their number when it closes: one allocation per container, never
/// a regrowth (long action lists would otherwise be copied again and again).
enum Open<'a> {
    /// An array: where it starts and where its elements begin on the value stack.
    Array { start: usize, base: usize },
    /// An object: where it starts, where its members begin on the member stack, the
    /// duplicate index, and the key whose value is being read.
    Object {
        start: usize,
        base: usize,
        seen: Option<HashMap<Cow<'a, str>, Span>>,
        key: Cow<'a, str>,
        key_span: Span,
    },
}

/// The parser state: the text, the limits and the duplicates found so far.
struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    limits: Limits,
    duplicates: Vec<DuplicateKey>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, limits: &Limits) -> Reader<'a> {
        Reader {
            text,
            bytes: text.as_bytes(),
            limits: *limits,
            duplicates: Vec::new(),
        }
    }

    /// Byte offset of `rest` in the document.
    fn offset(&self, rest: In<'a>) -> usize {
        self.bytes.len().saturating_sub(rest.len())
    }

    /// The text between two offsets (both always on character boundaries here).
    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or_default()
    }

    /// The character at `at`, if any.
    fn char_at(&self, at: usize) -> Option<char> {
        self.text.get(at..).and_then(|s| s.chars().next())
    }

    fn document(mut self) -> Result<Document<'a>, JsonError> {
        let run = |this: &mut Self| -> PResult<'a, Value<'a>> {
            let rest = ws(this.bytes);
            let (rest, root) = this.value(rest, "a json value")?;
            let rest = ws(rest);
            if rest.is_empty() {
                return Ok((rest, root));
            }
            Err(this.trailing(rest))
        };
        match run(&mut self) {
            Ok((_, root)) => Ok(Document {
                root,
                duplicates: self.duplicates,
            }),
            Err(nom::Err::Failure(Fail(e)) | nom::Err::Error(Fail(e))) => Err(*e),
            Err(nom::Err::Incomplete(_)) => Err(JsonError::new(
                JsonErrorKind::UnexpectedEnd,
                Span::at(self.bytes.len()),
                "unexpected end of input".to_string(),
            )),
        }
    }

    /// Error for non-whitespace after the root value.
    fn trailing(&self, rest: In<'a>) -> nom::Err<Fail> {
        if let Some(comment) = self.comment(rest) {
            return comment;
        }
        let at = self.offset(rest);
        let c = self.char_at(at).unwrap_or('\u{fffd}');
        fail(
            JsonErrorKind::TrailingCharacters,
            Span::new(at, at + c.len_utf8()),
            format!(
                "expected end of input after the json value, found `{}`",
                c.escape_debug()
            ),
        )
    }

    /// A comment error when `rest` starts with `//` or `/*`.
    fn comment(&self, rest: In<'a>) -> Option<nom::Err<Fail>> {
        let at = self.offset(rest);
        let len = match rest {
            [b'/', b'/', tail @ ..] => {
                2 + tail.iter().position(|&b| b == b'\n').unwrap_or(tail.len())
            }
            [b'/', b'*', tail @ ..] => {
                2 + tail
                    .windows(2)
                    .position(|w| w == b"*/")
                    .map_or(tail.len(), |i| i + 2)
            }
            _ => return None,
        };
        // A line comment may end in `\r`; keep the span on the comment itself.
        let mut end = at + len;
        if self.bytes.get(end.saturating_sub(1)) == Some(&b'\r') && len > 2 {
            end -= 1;
        }
        Some(fail(
            JsonErrorKind::Comment,
            Span::new(at, end),
            "comments are not allowed in json".to_string(),
        ))
    }

    /// Error for something other than `expected` at `rest`.
    fn unexpected(&self, rest: In<'a>, expected: &str) -> nom::Err<Fail> {
        let at = self.offset(rest);
        if let Some(comment) = self.comment(rest) {
            return comment;
        }
        match self.char_at(at) {
            None => fail(
                JsonErrorKind::UnexpectedEnd,
                Span::at(at),
                format!("expected {expected}, found end of input"),
            ),
            Some(c) => fail(
                JsonErrorKind::UnexpectedCharacter,
                Span::new(at, at + c.len_utf8()),
                format!("expected {expected}, found `{}`", c.escape_debug()),
            ),
        }
    }

    /// A whole value starting at `rest` (no leading whitespace).
    ///
    /// Arrays and objects are read with an explicit stack of open containers instead of
    /// recursion, so nesting costs heap (bounded by `max_depth`), never call stack.
    fn value(&mut self, input: In<'a>, expected: &'static str) -> PResult<'a, Value<'a>> {
        // Policies nest at most six deep (document, statements, statement, condition,
        // operator, values): reserving that once spares regrowing the stack per document.
        let mut stack: Vec<Open<'a>> = Vec::with_capacity(OPEN_CAPACITY);
        // The scratch stacks start with one placeholder each, so no container's entries
        // begin at index 0 (`split_off(0)` would hand over the whole buffer). Sized
        // from the text so that most documents never regrow them.
        let guess = (self.bytes.len() / SCRATCH_BYTES_PER_ENTRY).max(8);
        let mut values: Vec<Value<'a>> = Vec::with_capacity(guess);
        values.push(Value {
            span: Span::at(0),
            kind: ValueKind::Null,
        });
        let mut members: Vec<Member<'a>> = Vec::with_capacity(guess / 2);
        members.push(Member {
            key: Cow::Borrowed(""),
            key_span: Span::at(0),
            value: Value {
                span: Span::at(0),
                kind: ValueKind::Null,
            },
        });
        let mut rest = input;
        let mut expected = expected;
        loop {
            // Read the start of a value: a scalar or empty container is done at once,
            // a non-empty container is opened and its first entry read next.
            let (mut after, mut done) = match rest.first() {
                Some(b'[') => {
                    let start = self.offset(rest);
                    self.enter(start, stack.len())?;
                    let inner = ws(rest.get(1..).unwrap_or_default());
                    if let [b']', tail @ ..] = inner {
                        let span = Span::new(start, self.offset(tail));
                        (
                            tail,
                            Value {
                                span,
                                kind: ValueKind::Array(Vec::new()),
                            },
                        )
                    } else {
                        stack.push(Open::Array {
                            start,
                            base: values.len(),
                        });
                        rest = inner;
                        expected = "a json value or `]`";
                        continue;
                    }
                }
                Some(b'{') => {
                    let start = self.offset(rest);
                    self.enter(start, stack.len())?;
                    let inner = ws(rest.get(1..).unwrap_or_default());
                    if let [b'}', tail @ ..] = inner {
                        let span = Span::new(start, self.offset(tail));
                        (
                            tail,
                            Value {
                                span,
                                kind: ValueKind::Object(Vec::new()),
                            },
                        )
                    } else {
                        let base = members.len();
                        let mut seen = None;
                        let (inner, (key, key_span)) =
                            self.member_key(inner, &[], &mut seen, "a string key or `}`")?;
                        stack.push(Open::Object {
                            start,
                            base,
                            seen,
                            key,
                            key_span,
                        });
                        rest = inner;
                        expected = "a json value";
                        continue;
                    }
                }
                _ => self.scalar(rest, expected)?,
            };
            // Hand the finished value to its container; close every container that
            // ends right after it.
            loop {
                let Some(top) = stack.last_mut() else {
                    return Ok((after, done));
                };
                let next = ws(after);
                match top {
                    Open::Array { start, base } => {
                        if values.len().saturating_sub(*base) >= self.limits.max_members {
                            return Err(self.too_many(done.span, "array has more elements"));
                        }
                        values.push(done);
                        match next {
                            [b',', tail @ ..] => {
                                let comma = self.offset(next);
                                rest = ws(tail);
                                if rest.first() == Some(&b']') {
                                    return Err(self.trailing_comma(comma, ']'));
                                }
                                expected = "a json value";
                                break;
                            }
                            [b']', tail @ ..] => {
                                let span = Span::new(*start, self.offset(tail));
                                done = Value {
                                    span,
                                    kind: ValueKind::Array(values.split_off(*base)),
                                };
                                after = tail;
                                stack.pop();
                            }
                            _ => {
                                return Err(self.unexpected(next, "`,` or `]` after array element"))
                            }
                        }
                    }
                    Open::Object {
                        start,
                        base,
                        seen,
                        key,
                        key_span,
                    } => {
                        members.push(Member {
                            key: std::mem::take(key),
                            key_span: *key_span,
                            value: done,
                        });
                        match next {
                            [b',', tail @ ..] => {
                                let comma = self.offset(next);
                                let tail = ws(tail);
                                if tail.first() == Some(&b'}') {
                                    return Err(self.trailing_comma(comma, '}'));
                                }
                                let (inner, (k, ks)) = self.member_key(
                                    tail,
                                    members.get(*base..).unwrap_or_default(),
                                    seen,
                                    "a string key",
                                )?;
                                *key = k;
                                *key_span = ks;
                                rest = inner;
                                expected = "a json value";
                                break;
                            }
                            [b'}', tail @ ..] => {
                                let span = Span::new(*start, self.offset(tail));
                                done = Value {
                                    span,
                                    kind: ValueKind::Object(members.split_off(*base)),
                                };
                                after = tail;
                                stack.pop();
                            }
                            _ => {
                                return Err(self.unexpected(next, "`,` or `}` after object member"))
                            }
                        }
                    }
                }
            }
        }
    }

    /// An object key and its `:` (with the whitespace after it), checked against the
    /// member limit and for duplicates.
    fn member_key(
        &mut self,
        rest: In<'a>,
        members: &[Member<'a>],
        seen: &mut Option<HashMap<Cow<'a, str>, Span>>,
        expected: &str,
    ) -> PResult<'a, (Cow<'a, str>, Span)> {
        if rest.first() != Some(&b'"') {
            return Err(self.unexpected(rest, expected));
        }
        let (after, (key, key_span)) = self.string(rest)?;
        if members.len() >= self.limits.max_members {
            return Err(self.too_many(key_span, "object has more members"));
        }
        let key = self.check_duplicate(members, seen, key, key_span);
        let after = ws(after);
        match after {
            [b':', tail @ ..] => Ok((ws(tail), (key, key_span))),
            _ => Err(self.unexpected(after, "`:` after object key")),
        }
    }

    /// A scalar value (string, number, literal) starting at `rest`.
    fn scalar(&mut self, rest: In<'a>, expected: &str) -> PResult<'a, Value<'a>> {
        match rest.first() {
            Some(b'"') => {
                let (rest, (s, span)) = self.string(rest)?;
                Ok((
                    rest,
                    Value {
                        span,
                        kind: ValueKind::String(s),
                    },
                ))
            }
            Some(b'-' | b'0'..=b'9') => self.number(rest),
            Some(b't') => self.literal(rest, "true", ValueKind::Bool(true)),
            Some(b'f') => self.literal(rest, "false", ValueKind::Bool(false)),
            Some(b'n') => self.literal(rest, "null", ValueKind::Null),
            Some(&b) if b.is_ascii_alphabetic() || b == b'_' => Err(self.bare_word(rest)),
            Some(b'+' | b'.') if rest.get(1).is_some_and(u8::is_ascii_digit) => {
                let at = self.offset(rest);
                let sign = if rest.first() == Some(&b'+') {
                    "+"
                } else {
                    "."
                };
                let message = if sign == "+" {
                    "malformed number: json numbers cannot start with `+`".to_string()
                } else {
                    "malformed number: json numbers need a digit before `.`".to_string()
                };
                Err(fail(
                    JsonErrorKind::MalformedNumber,
                    Span::new(at, at + 1),
                    message,
                ))
            }
            _ => Err(self.unexpected(rest, expected)),
        }
    }

    /// `true`, `false` or `null`; anything else that starts like them is a bare word.
    fn literal(
        &mut self,
        rest: In<'a>,
        word: &'static str,
        kind: ValueKind<'a>,
    ) -> PResult<'a, Value<'a>> {
        let start = self.offset(rest);
        match tag::<_, _, ()>(word.as_bytes())(rest) {
            Ok((after, _)) if !after.first().copied().is_some_and(is_word) => Ok((
                after,
                Value {
                    span: Span::new(start, start + word.len()),
                    kind,
                },
            )),
            _ => Err(self.bare_word(rest)),
        }
    }

    /// Error for a word that is not a JSON literal (`rest` may start with `-`).
    fn bare_word(&self, rest: In<'a>) -> nom::Err<Fail> {
        let start = self.offset(rest);
        let (after_sign, sign) = match rest {
            [b'-', tail @ ..] => (tail, 1),
            _ => (rest, 0),
        };
        let len = sign
            + take_while::<_, _, ()>(is_word)(after_sign)
                .map(|(_, word)| word.len())
                .unwrap_or(0);
        let word = self.slice(start, start + len);
        let lower = word.trim_start_matches('-').to_ascii_lowercase();
        let message = if matches!(lower.as_str(), "nan" | "infinity" | "inf") {
            format!("`{word}` is not valid json: json numbers cannot be nan or infinite")
        } else if matches!(lower.as_str(), "true" | "false" | "null") {
            format!("expected a json value, found `{word}` (json literals are lowercase)")
        } else {
            format!("expected a json value, found `{word}`")
        };
        fail(
            JsonErrorKind::BareWord,
            Span::new(start, start + len),
            message,
        )
    }

    /// A number, kept as its exact text.
    fn number(&mut self, rest: In<'a>) -> PResult<'a, Value<'a>> {
        let start = self.offset(rest);
        let after_sign = match rest {
            [b'-', tail @ ..] => tail,
            _ => rest,
        };
        let malformed = |this: &Self, at: In<'a>, what: &str| {
            let end = this.offset(at);
            let text = this.slice(start, end);
            fail(
                JsonErrorKind::MalformedNumber,
                Span::new(start, end),
                format!("malformed number `{text}`: expected a digit {what}"),
            )
        };
        // Integer part: `0` or a non-zero digit followed by digits.
        let rest = match after_sign {
            [b'0', tail @ ..] => {
                if tail.first().is_some_and(u8::is_ascii_digit) {
                    let (after, _) = digit0::<_, ()>(tail).unwrap_or((tail, tail));
                    let end = self.offset(after);
                    let text = self.slice(start, end);
                    return Err(fail(
                        JsonErrorKind::LeadingZero,
                        Span::new(start, end),
                        format!("number `{text}` has a leading zero"),
                    ));
                }
                tail
            }
            [b'1'..=b'9', ..] => digit1::<_, ()>(after_sign)
                .map(|(r, _)| r)
                .unwrap_or(after_sign),
            [b, ..] if is_word(*b) => return Err(self.bare_word(rest)),
            _ => return Err(malformed(self, after_sign, "after `-`")),
        };
        // Fraction.
        let rest = match rest {
            [b'.', tail @ ..] => match digit1::<_, ()>(tail) {
                Ok((r, _)) => r,
                Err(_) => return Err(malformed(self, tail, "after `.`")),
            },
            _ => rest,
        };
        // Exponent.
        let rest = match rest {
            [b'e' | b'E', tail @ ..] => {
                let tail = match tail {
                    [b'+' | b'-', t @ ..] => t,
                    _ => tail,
                };
                match digit1::<_, ()>(tail) {
                    Ok((r, _)) => r,
                    Err(_) => return Err(malformed(self, tail, "in the exponent")),
                }
            }
            _ => rest,
        };
        let end = self.offset(rest);
        Ok((
            rest,
            Value {
                span: Span::new(start, end),
                kind: ValueKind::Number(self.slice(start, end)),
            },
        ))
    }

    fn string_too_long(&self, start: usize, end: usize) -> nom::Err<Fail> {
        fail(
            JsonErrorKind::StringTooLong,
            Span::new(start, end),
            format!(
                "string is longer than the limit of {} bytes",
                self.limits.max_string_bytes
            ),
        )
    }

    fn control_character(&self, at: usize) -> nom::Err<Fail> {
        let b = self.bytes.get(at).copied().unwrap_or(0);
        fail(
            JsonErrorKind::ControlCharacter,
            Span::new(at, at + 1),
            format!(
                "control character `{}` must be escaped in a string (as `\\u{:04x}`)",
                char::from(b).escape_debug(),
                b
            ),
        )
    }

    fn unterminated(&self, start: usize) -> nom::Err<Fail> {
        fail(
            JsonErrorKind::UnexpectedEnd,
            Span::new(start, self.bytes.len()),
            "unterminated string: expected `\"` before end of input".to_string(),
        )
    }

    /// A string starting at its opening quote: its unescaped text and its span
    /// (quotes included).
    fn string(&mut self, rest: In<'a>) -> PResult<'a, (Cow<'a, str>, Span)> {
        let start = self.offset(rest);
        let body = rest.get(1..).unwrap_or_default();
        let Some(i) = find_string_special(body) else {
            return Err(self.unterminated(start));
        };
        match body.get(i) {
            Some(b'"') => {
                let end = start + 1 + i;
                if i > self.limits.max_string_bytes {
                    return Err(self.string_too_long(start, end + 1));
                }
                let after = body.get(i + 1..).unwrap_or_default();
                Ok((
                    after,
                    (
                        Cow::Borrowed(self.slice(start + 1, end)),
                        Span::new(start, end + 1),
                    ),
                ))
            }
            Some(b'\\') => self.escaped_string(start, i),
            _ => Err(self.control_character(start + 1 + i)),
        }
    }

    /// Slow path of [`Reader::string`]: the body has an escape at `first_escape`.
    fn escaped_string(
        &mut self,
        start: usize,
        first_escape: usize,
    ) -> PResult<'a, (Cow<'a, str>, Span)> {
        let body_start = start + 1;
        let mut out = String::with_capacity(first_escape + 16);
        out.push_str(self.slice(body_start, body_start + first_escape));
        let mut at = body_start + first_escape; // at a backslash
        loop {
            // `at` points at a backslash.
            let esc = self.bytes.get(at + 1).copied();
            let simple = match esc {
                Some(b'"') => Some('"'),
                Some(b'\\') => Some('\\'),
                Some(b'/') => Some('/'),
                Some(b'b') => Some('\u{8}'),
                Some(b'f') => Some('\u{c}'),
                Some(b'n') => Some('\n'),
                Some(b'r') => Some('\r'),
                Some(b't') => Some('\t'),
                _ => None,
            };
            if let Some(c) = simple {
                out.push(c);
                at += 2;
            } else if esc == Some(b'u') {
                let (c, len) = self.unicode_escape(at)?;
                out.push(c);
                at += len;
            } else if esc.is_none() {
                return Err(self.unterminated(start));
            } else {
                let c = self.char_at(at + 1).unwrap_or('\u{fffd}');
                return Err(fail(
                    JsonErrorKind::InvalidEscape,
                    Span::new(at, at + 1 + c.len_utf8()),
                    format!(
                        "invalid escape `\\{}` in string (json allows `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and `\\u`)",
                        c.escape_debug()
                    ),
                ));
            }
            if out.len() > self.limits.max_string_bytes {
                return Err(self.string_too_long(start, at));
            }
            // Copy the plain run up to the next special byte.
            let rest = self.bytes.get(at..).unwrap_or_default();
            let Some(i) = find_string_special(rest) else {
                return Err(self.unterminated(start));
            };
            out.push_str(self.slice(at, at + i));
            if out.len() > self.limits.max_string_bytes {
                return Err(self.string_too_long(start, at + i));
            }
            at += i;
            match rest.get(i) {
                Some(b'"') => {
                    let after = self.bytes.get(at + 1..).unwrap_or_default();
                    return Ok((after, (Cow::Owned(out), Span::new(start, at + 1))));
                }
                Some(b'\\') => {}
                _ => return Err(self.control_character(at)),
            }
        }
    }

    /// The `\uXXXX` escape (or surrogate pair) at `at`: its character and byte length.
    fn unicode_escape(&self, at: usize) -> Result<(char, usize), nom::Err<Fail>> {
        let read = |pos: usize| -> Result<u32, nom::Err<Fail>> {
            let digits = self.bytes.get(pos + 2..).unwrap_or_default();
            let (_, hex) = take_while_m_n::<_, _, ()>(0, 4, |b: u8| b.is_ascii_hexdigit())(digits)
                .unwrap_or_default();
            match hex4(hex) {
                Some(v) => Ok(v),
                None => {
                    let bad = pos + 2 + hex.len();
                    let end = match self.char_at(bad) {
                        Some(c) => bad + c.len_utf8(),
                        None => bad,
                    };
                    let found = self.slice(pos, bad);
                    let bad_char: String = self
                        .slice(bad, end)
                        .chars()
                        .flat_map(char::escape_debug)
                        .collect();
                    Err(fail(
                        JsonErrorKind::InvalidEscape,
                        Span::new(pos, end),
                        format!(
                            "invalid unicode escape `{found}{bad_char}`: expected 4 hex digits after `\\u`"
                        ),
                    ))
                }
            }
        };
        let lone = |pos: usize, what: &str| {
            let text = self.slice(pos, pos + 6);
            fail(
                JsonErrorKind::LoneSurrogate,
                Span::new(pos, pos + 6),
                format!("lone surrogate `{text}` in string: {what}"),
            )
        };
        let first = read(at)?;
        match first {
            0xD800..=0xDBFF => {
                let next = at + 6;
                if self.bytes.get(next..next + 2) != Some(b"\\u") {
                    return Err(lone(
                        at,
                        "a high surrogate must be followed by a `\\u` low surrogate",
                    ));
                }
                let second = read(next)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(lone(
                        at,
                        "a high surrogate must be followed by a `\\u` low surrogate",
                    ));
                }
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                match char::from_u32(code) {
                    Some(c) => Ok((c, 12)),
                    None => Err(lone(at, "invalid surrogate pair")),
                }
            }
            0xDC00..=0xDFFF => Err(lone(at, "a low surrogate must follow a high surrogate")),
            _ => match char::from_u32(first) {
                Some(c) => Ok((c, 6)),
                None => Err(lone(at, "not a unicode scalar value")),
            },
        }
    }

    /// Checks the nesting limit before descending into a container at `at`.
    /// `open` containers already enclose it.
    fn enter(&self, at: usize, open: usize) -> Result<(), nom::Err<Fail>> {
        if open >= self.limits.max_depth {
            return Err(fail(
                JsonErrorKind::TooDeep,
                Span::new(at, at + 1),
                format!(
                    "arrays and objects nest deeper than the limit of {} levels",
                    self.limits.max_depth
                ),
            ));
        }
        Ok(())
    }

    fn too_many(&self, span: Span, what: &str) -> nom::Err<Fail> {
        fail(
            JsonErrorKind::TooManyMembers,
            span,
            format!("{what} than the limit of {}", self.limits.max_members),
        )
    }

    fn trailing_comma(&self, at: usize, close: char) -> nom::Err<Fail> {
        fail(
            JsonErrorKind::TrailingComma,
            Span::new(at, at + 1),
            format!("trailing comma before `{close}`"),
        )
    }

    /// Records `key` as a duplicate if an earlier member of the same object has it.
    /// Small objects are scanned linearly; from [`SMALL_OBJECT`] members on, a hash
    /// map of first occurrences is kept. Hands `key` back for the member.
    fn check_duplicate(
        &mut self,
        members: &[Member<'a>],
        seen: &mut Option<HashMap<Cow<'a, str>, Span>>,
        key: Cow<'a, str>,
        key_span: Span,
    ) -> Cow<'a, str> {
        if seen.is_none() && members.len() >= SMALL_OBJECT {
            let mut map = HashMap::with_capacity(members.len() * 2);
            for m in members {
                map.entry(m.key.clone()).or_insert(m.key_span);
            }
            *seen = Some(map);
        }
        let first = match seen {
            None => members.iter().find(|m| m.key == key).map(|m| m.key_span),
            Some(map) => match map.entry(key.clone()) {
                Entry::Occupied(e) => Some(*e.get()),
                Entry::Vacant(e) => {
                    e.insert(key_span);
                    None
                }
            },
        };
        if let Some(first) = first {
            self.duplicates.push(DuplicateKey {
                key: key.to_string(),
                first,
                duplicate: key_span,
            });
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Document<'_> {
        match parse(text, &Limits::default()) {
            Ok(doc) => doc,
            Err(e) => panic!("`{text}` should parse, got: {e} at {:?}", e.span()),
        }
    }

    fn err(text: &str) -> JsonError {
        err_with(text, &Limits::default())
    }

    fn err_with(text: &str, limits: &Limits) -> JsonError {
        match parse(text, limits) {
            Ok(doc) => panic!("`{text}` should fail, got {doc:?}"),
            Err(e) => e,
        }
    }

    /// Asserts kind and span, and that the message is one lowercase line without a final period.
    fn check(text: &str, kind: JsonErrorKind, span: (usize, usize)) -> JsonError {
        let e = err(text);
        assert_eq!(e.kind(), &kind, "kind for `{text}`: {e}");
        assert_eq!(
            e.span(),
            Span::new(span.0, span.1),
            "span for `{text}`: {e}"
        );
        let m = e.message();
        assert!(!m.contains('\n') && !m.ends_with('.'), "message shape: {m}");
        assert!(
            m.chars().next().is_some_and(|c| !c.is_uppercase()),
            "message starts lowercase: {m}"
        );
        e
    }

    fn object(doc: &Document<'_>) -> Vec<(String, Span, Span)> {
        match &doc.root.kind {
            ValueKind::Object(ms) => ms
                .iter()
                .map(|m| (m.key.to_string(), m.key_span, m.value.span))
                .collect(),
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn reads_every_kind_of_value() {
        let doc = ok(r#" {"a": [1, -2.5e+3, true, false, null, "x"], "b": {}} "#);
        let ValueKind::Object(ms) = &doc.root.kind else {
            panic!("not an object")
        };
        let ValueKind::Array(items) = &ms[0].value.kind else {
            panic!("not an array")
        };
        let kinds: Vec<_> = items.iter().map(|v| v.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                ValueKind::Number("1"),
                ValueKind::Number("-2.5e+3"),
                ValueKind::Bool(true),
                ValueKind::Bool(false),
                ValueKind::Null,
                ValueKind::String(Cow::Borrowed("x")),
            ]
        );
        assert_eq!(ms[1].value.kind, ValueKind::Object(Vec::new()));
    }

    #[test]
    fn spans_of_keys_and_values_are_exact() {
        let text = "{\n  \"Sid\" : \"é1\",\n  \"N\":[ 10 ,{}]\n}";
        let doc = ok(text);
        assert_eq!(doc.root.span, Span::new(0, text.len()));
        let ms = object(&doc);
        assert_eq!(ms[0].1.slice(text), Some("\"Sid\""));
        assert_eq!(ms[0].2.slice(text), Some("\"é1\""));
        assert_eq!(ms[1].1.slice(text), Some("\"N\""));
        assert_eq!(ms[1].2.slice(text), Some("[ 10 ,{}]"));
        let ValueKind::Object(members) = &doc.root.kind else {
            panic!("not an object")
        };
        let ValueKind::Array(items) = &members[1].value.kind else {
            panic!("not an array")
        };
        assert_eq!(items[0].span.slice(text), Some("10"));
        assert_eq!(items[1].span.slice(text), Some("{}"));
    }

    #[test]
    fn strings_without_escapes_are_borrowed_and_escapes_are_decoded() {
        let doc = ok(r#"["plain", "a\"b\\c\/d\b\f\n\r\t", "\u00e9\ud83d\ude00"]"#);
        let ValueKind::Array(items) = &doc.root.kind else {
            panic!("not an array")
        };
        assert!(matches!(
            items[0].kind,
            ValueKind::String(Cow::Borrowed("plain"))
        ));
        assert_eq!(
            items[1].kind,
            ValueKind::String(Cow::Owned("a\"b\\c/d\u{8}\u{c}\n\r\t".to_string()))
        );
        assert_eq!(items[2].kind, ValueKind::String("é😀".into()));
    }

    #[test]
    fn escaped_keys_are_decoded_with_spans_including_quotes() {
        let text = r#"{"A\u0063tion": 1}"#;
        let ms = object(&ok(text));
        assert_eq!(ms[0].0, "Action");
        assert_eq!(ms[0].1, Span::new(1, 14));
    }

    #[test]
    fn duplicate_keys_are_kept_and_listed_in_document_order() {
        let text = r#"{"a": 1, "b": {"x": 1, "x": 2}, "a": 3, "a": 4}"#;
        let doc = ok(text);
        assert_eq!(object(&doc).len(), 4);
        let d: Vec<_> = doc
            .duplicates
            .iter()
            .map(|d| (d.key.as_str(), d.first.start, d.duplicate.start))
            .collect();
        assert_eq!(d, vec![("x", 15, 23), ("a", 1, 32), ("a", 1, 40)]);
    }

    #[test]
    fn duplicate_keys_in_large_objects_are_found_via_the_map() {
        let mut text = String::from("{");
        for i in 0..40 {
            text.push_str(&format!("\"k{i}\": {i}, "));
        }
        text.push_str("\"k3\": 0, \"k39\": 1, \"k\\u0033\": 2}");
        let doc = ok(&text);
        let keys: Vec<_> = doc.duplicates.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, vec!["k3", "k39", "k3"]);
        let first = doc.duplicates[0].first;
        assert_eq!(first.slice(&text), Some("\"k3\""));
        assert_eq!(doc.duplicates[2].first, first);
    }

    #[test]
    fn invalid_utf8_points_at_the_offending_byte() {
        let e = match parse_bytes(b"[\"ab\xc3\x28\"]", &Limits::default()) {
            Err(e) => e,
            Ok(d) => panic!("parsed {d:?}"),
        };
        assert_eq!(e.kind(), &JsonErrorKind::InvalidUtf8);
        assert_eq!(e.span(), Span::new(4, 5));
        assert_eq!(e.message(), "invalid utf-8 at byte 4");
    }

    #[test]
    fn unexpected_end_points_at_the_end() {
        check("", JsonErrorKind::UnexpectedEnd, (0, 0));
        check("  ", JsonErrorKind::UnexpectedEnd, (2, 2));
        check("[1, ", JsonErrorKind::UnexpectedEnd, (4, 4));
        let e = check("{\"a\"", JsonErrorKind::UnexpectedEnd, (4, 4));
        assert_eq!(
            e.message(),
            "expected `:` after object key, found end of input"
        );
    }

    #[test]
    fn unterminated_string_spans_from_its_quote() {
        check("[\"abc", JsonErrorKind::UnexpectedEnd, (1, 5));
        check("[\"a\\n", JsonErrorKind::UnexpectedEnd, (1, 5));
        check("[\"a\\", JsonErrorKind::UnexpectedEnd, (1, 4));
    }

    #[test]
    fn unexpected_character_names_what_was_expected() {
        let e = check("{\"a\": 1]", JsonErrorKind::UnexpectedCharacter, (7, 8));
        assert_eq!(
            e.message(),
            "expected `,` or `}` after object member, found `]`"
        );
        let e = check("[1 2]", JsonErrorKind::UnexpectedCharacter, (3, 4));
        assert_eq!(
            e.message(),
            "expected `,` or `]` after array element, found `2`"
        );
        let e = check("{a: 1}", JsonErrorKind::UnexpectedCharacter, (1, 2));
        assert_eq!(e.message(), "expected a string key or `}`, found `a`");
        let e = check("{\"a\" 1}", JsonErrorKind::UnexpectedCharacter, (5, 6));
        assert_eq!(e.message(), "expected `:` after object key, found `1`");
        let e = check("[,1]", JsonErrorKind::UnexpectedCharacter, (1, 2));
        assert_eq!(e.message(), "expected a json value or `]`, found `,`");
        check("[1,,2]", JsonErrorKind::UnexpectedCharacter, (3, 4));
        let e = check("[é]", JsonErrorKind::UnexpectedCharacter, (1, 3));
        assert_eq!(e.message(), "expected a json value or `]`, found `é`");
        check("\u{feff}{}", JsonErrorKind::UnexpectedCharacter, (0, 3));
        check("[\u{a0}1]", JsonErrorKind::UnexpectedCharacter, (1, 3));
    }

    #[test]
    fn trailing_commas_point_at_the_comma() {
        let e = check("[1, ]", JsonErrorKind::TrailingComma, (2, 3));
        assert_eq!(e.message(), "trailing comma before `]`");
        check("{\"a\": 1 ,\n}", JsonErrorKind::TrailingComma, (8, 9));
    }

    #[test]
    fn comments_are_rejected_with_their_span() {
        let e = check("[1, // no\n2]", JsonErrorKind::Comment, (4, 9));
        assert_eq!(e.message(), "comments are not allowed in json");
        check("/* c */ {}", JsonErrorKind::Comment, (0, 7));
        check("{} // c\r\n", JsonErrorKind::Comment, (3, 7));
        check("{\"a\": /* x", JsonErrorKind::Comment, (6, 10));
    }

    #[test]
    fn bare_words_are_rejected() {
        let e = check("NaN", JsonErrorKind::BareWord, (0, 3));
        assert!(e.message().contains("`NaN`"));
        check("[Infinity]", JsonErrorKind::BareWord, (1, 9));
        check("[-Infinity]", JsonErrorKind::BareWord, (1, 10));
        let e = check("{\"a\": True}", JsonErrorKind::BareWord, (6, 10));
        assert!(e.message().contains("lowercase"));
        check("undefined", JsonErrorKind::BareWord, (0, 9));
        check("[tru]", JsonErrorKind::BareWord, (1, 4));
        check("nullx", JsonErrorKind::BareWord, (0, 5));
    }

    #[test]
    fn leading_zeros_are_rejected() {
        let e = check("[01]", JsonErrorKind::LeadingZero, (1, 3));
        assert_eq!(e.message(), "number `01` has a leading zero");
        check("-007.5", JsonErrorKind::LeadingZero, (0, 4));
        assert_eq!(ok("[0, -0, 0.5, 0e1]").root.span, Span::new(0, 17));
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        let e = check("1.", JsonErrorKind::MalformedNumber, (0, 2));
        assert_eq!(
            e.message(),
            "malformed number `1.`: expected a digit after `.`"
        );
        check("[-]", JsonErrorKind::MalformedNumber, (1, 2));
        check("-", JsonErrorKind::MalformedNumber, (0, 1));
        check("1e", JsonErrorKind::MalformedNumber, (0, 2));
        check("[1E+]", JsonErrorKind::MalformedNumber, (1, 4));
        check("[1.e5]", JsonErrorKind::MalformedNumber, (1, 3));
        check(".5", JsonErrorKind::MalformedNumber, (0, 1));
        check("[+1]", JsonErrorKind::MalformedNumber, (1, 2));
    }

    #[test]
    fn invalid_escapes_are_rejected() {
        let e = check(r#"["a\x"]"#, JsonErrorKind::InvalidEscape, (3, 5));
        assert!(e.message().starts_with("invalid escape `\\x` in string"));
        let e = check(r#"["\u12G4"]"#, JsonErrorKind::InvalidEscape, (2, 7));
        assert_eq!(
            e.message(),
            "invalid unicode escape `\\u12G`: expected 4 hex digits after `\\u`"
        );
        check(r#"["\u12"]"#, JsonErrorKind::InvalidEscape, (2, 7));
        check("[\"\\é\"]", JsonErrorKind::InvalidEscape, (2, 5));
        check("\"\\u", JsonErrorKind::InvalidEscape, (1, 3));
    }

    #[test]
    fn lone_surrogates_are_rejected() {
        let e = check(r#"["\ud800"]"#, JsonErrorKind::LoneSurrogate, (2, 8));
        assert!(e.message().starts_with("lone surrogate `\\ud800`"));
        check(r#"["\ud800\u0041"]"#, JsonErrorKind::LoneSurrogate, (2, 8));
        check(r#"["x\udc00"]"#, JsonErrorKind::LoneSurrogate, (3, 9));
        check(r#"["\ud800\n"]"#, JsonErrorKind::LoneSurrogate, (2, 8));
        check(r#"["\ud800\ud800"]"#, JsonErrorKind::LoneSurrogate, (2, 8));
    }

    #[test]
    fn raw_control_characters_in_strings_are_rejected() {
        let e = check("[\"a\tb\"]", JsonErrorKind::ControlCharacter, (3, 4));
        assert_eq!(
            e.message(),
            "control character `\\t` must be escaped in a string (as `\\u0009`)"
        );
        check("\"\u{0}\"", JsonErrorKind::ControlCharacter, (1, 2));
        check("\"\\n\n\"", JsonErrorKind::ControlCharacter, (3, 4));
        check(
            "\"0123456789\u{1f}\"",
            JsonErrorKind::ControlCharacter,
            (11, 12),
        );
        // DEL and C1 controls are allowed by RFC 8259.
        ok("\"\u{7f}\u{85}\"");
    }

    #[test]
    fn trailing_characters_after_the_value_are_rejected() {
        let e = check("{} x", JsonErrorKind::TrailingCharacters, (3, 4));
        assert_eq!(
            e.message(),
            "expected end of input after the json value, found `x`"
        );
        check("1 2", JsonErrorKind::TrailingCharacters, (2, 3));
        check("[]]", JsonErrorKind::TrailingCharacters, (2, 3));
        check("\"a\"\u{c}", JsonErrorKind::TrailingCharacters, (3, 4));
    }

    #[test]
    fn document_over_max_bytes_is_rejected_first() {
        let limits = Limits {
            max_bytes: 5,
            ..Limits::default()
        };
        let e = err_with("[\"ééé\"]", &limits);
        assert_eq!(e.kind(), &JsonErrorKind::DocumentTooLarge);
        // byte 5 is inside `é`; the span starts on the character boundary before it
        assert_eq!(e.span(), Span::new(4, 10));
        assert!(parse("[12]", &limits).is_ok());
    }

    #[test]
    fn nesting_past_max_depth_points_at_the_bracket() {
        let limits = Limits {
            max_depth: 2,
            ..Limits::default()
        };
        assert!(parse("[{}]", &limits).is_ok());
        let e = err_with("[{\"a\": []}]", &limits);
        assert_eq!(e.kind(), &JsonErrorKind::TooDeep);
        assert_eq!(e.span(), Span::new(7, 8));
        let e = err_with(
            "{}",
            &Limits {
                max_depth: 0,
                ..limits
            },
        );
        assert_eq!(e.kind(), &JsonErrorKind::TooDeep);
    }

    #[test]
    fn strings_past_max_string_bytes_are_rejected() {
        let limits = Limits {
            max_string_bytes: 3,
            ..Limits::default()
        };
        assert!(parse(r#"["abc", "\u0061bc"]"#, &limits).is_ok());
        let e = err_with(r#"[1, "abcd"]"#, &limits);
        assert_eq!(e.kind(), &JsonErrorKind::StringTooLong);
        assert_eq!(e.span(), Span::new(4, 10));
        let e = err_with(r#"{"ab\ncd": 1}"#, &limits);
        assert_eq!(e.kind(), &JsonErrorKind::StringTooLong);
        assert_eq!(e.span().start, 1);
    }

    #[test]
    fn containers_past_max_members_are_rejected_at_the_extra_entry() {
        let limits = Limits {
            max_members: 2,
            ..Limits::default()
        };
        assert!(parse(r#"[[1, 2], {"a": 1, "b": 2}]"#, &limits).is_ok());
        let e = err_with("[1, 2, 345]", &limits);
        assert_eq!(e.kind(), &JsonErrorKind::TooManyMembers);
        assert_eq!(e.span(), Span::new(7, 10));
        let e = err_with(r#"{"a": 1, "b": 2, "c": 3}"#, &limits);
        assert_eq!(e.kind(), &JsonErrorKind::TooManyMembers);
        assert_eq!(e.span(), Span::new(17, 20));
    }

    #[test]
    fn string_scanner_finds_the_first_special_byte() {
        for len in 0usize..20 {
            for (pos, special) in [(0, b'"'), (len / 2, b'\\'), (len.saturating_sub(1), 0x1f)] {
                let mut bytes = vec![b'a'; len];
                if len == 0 {
                    assert_eq!(find_string_special(&bytes), None);
                    continue;
                }
                bytes[pos] = special;
                assert_eq!(
                    find_string_special(&bytes),
                    Some(pos),
                    "len {len} pos {pos}"
                );
            }
        }
        // Non-ASCII bytes and bytes just above the control range are not special.
        assert_eq!(find_string_special("éé  ~~!#é\"".as_bytes()), Some(12));
    }
}
