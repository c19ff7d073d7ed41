//! Source text, byte spans and line/column rendering.
//!
//! Input: policy text. Output: [`Span`] (a byte range into that text) and, only when a
//! diagnostic is rendered, a [`LineCol`] computed by [`LineIndex`].
//!
//! Lines and columns are **1-based** and columns count **characters** (Unicode scalar
//! values), not bytes. Editors that count UTF-16 code units will differ for characters
//! outside the Basic Multilingual Plane.

use std::sync::Arc;

/// A half-open byte range `start..end` into a source text.
///
/// ```
/// use iam_policy::Span;
/// let s = Span::new(3, 7);
/// assert_eq!(s.len(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// First byte of the range.
    pub start: usize,
    /// One past the last byte of the range.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (bytes). `end` is clamped to be at least `start`.
    pub const fn new(start: usize, end: usize) -> Span {
        let end = if end < start { start } else { end };
        Span { start, end }
    }

    /// An empty span at `at`.
    pub const fn at(at: usize) -> Span {
        Span { start: at, end: at }
    }

    /// Length in bytes.
    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when the span covers no byte.
    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both `self` and `other`.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The text this span covers in `text`, or `None` when it is out of range or not on
    /// character boundaries.
    pub fn slice(self, text: &str) -> Option<&str> {
        text.get(self.start..self.end)
    }
}

/// A named source text, cheap to clone.
///
/// ```
/// use iam_policy::Source;
/// let src = Source::new("policy.json", "{}");
/// assert_eq!(src.name(), "policy.json");
/// assert_eq!(src.text(), "{}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    name: Arc<str>,
    text: Arc<str>,
}

impl Source {
    /// A source called `name` (a path or `-`) holding `text`.
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }

    /// The name given at construction.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A 1-based line and a 1-based column counted in characters.
///
/// ```
/// use iam_policy::{LineCol, LineIndex, Span};
/// let idx = LineIndex::new("{\n  \"a\": 1\n}");
/// assert_eq!(idx.line_col("{\n  \"a\": 1\n}", 4), LineCol { line: 2, col: 3 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column in characters, starting at 1.
    pub col: usize,
}

impl std::fmt::Display for LineCol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Byte offsets of line starts, for turning offsets into [`LineCol`].
///
/// ```
/// use iam_policy::LineIndex;
/// let text = "ab\ncd";
/// let idx = LineIndex::new(text);
/// assert_eq!(idx.line_col(text, 3).line, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the line starts of `text` (lines end at `\n`).
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The line and column of byte `offset` in `text` (the text this index was built
    /// from). Offsets past the end, or inside a character, are clamped.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0);
        let col = text
            .get(start..)
            .map(|rest| {
                rest.char_indices()
                    .take_while(|&(i, _)| start + i < offset)
                    .count()
            })
            .unwrap_or(0);
        LineCol {
            line: line + 1,
            col: col + 1,
        }
    }

    /// The byte range of line `line` (1-based) without its line terminator.
    pub fn line_span(&self, text: &str, line: usize) -> Span {
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(text.len());
        let mut end = self
            .starts
            .get(line)
            .copied()
            .map(|e| e.saturating_sub(1))
            .unwrap_or(text.len());
        if end > start && text.as_bytes().get(end.saturating_sub(1)) == Some(&b'\r') {
            end -= 1;
        }
        Span::new(start, end.max(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "{\"é\": \"x\"}";
        let idx = LineIndex::new(text);
        // byte 6 is after `é` (2 bytes) → character column 6
        assert_eq!(idx.line_col(text, 6), LineCol { line: 1, col: 6 });
    }

    #[test]
    fn offsets_past_end_are_clamped() {
        let text = "a\nb";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 99), LineCol { line: 2, col: 2 });
    }

    #[test]
    fn line_span_excludes_terminator() {
        let text = "ab\r\ncd\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_span(text, 1), Span::new(0, 2));
        assert_eq!(idx.line_span(text, 2), Span::new(4, 6));
    }
}
