//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`) and the
//! templates that hold them.
//!
//! Input: the text of a `Resource` entry or a condition value, and whether the policy's
//! Version enables variables. Output: a [`Template`], a sequence of literal text,
//! wildcards and variables. Substituted values are always literal: a `*` inside a tag
//! value is never a wildcard. Parsing never fails: text that is not a well-formed
//! variable stays literal (policy-language.md §8.2).

/// One part of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TemplatePart {
    /// Literal text (including the results of `${*}`, `${?}` and `${$}`).
    Literal(String),
    /// `*`: any run of characters, where the context treats it as a wildcard.
    Star,
    /// `?`: exactly one character, where the context treats it as a wildcard.
    Question,
    /// `${key}` or `${key, 'default'}`.
    Variable {
        /// The key as written.
        key: String,
        /// The default text, if any.
        default: Option<String>,
    },
}

/// A parsed pattern or value with wildcards and policy variables.
///
/// ```
/// use iam_policy::vars::{Template, TemplatePart};
/// let t = Template::parse("home/${aws:username}/*", true);
/// assert!(t.has_variables());
/// assert_eq!(t.parts().last(), Some(&TemplatePart::Star));
/// let old = Template::parse("home/${aws:username}", false);
/// assert!(!old.has_variables());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Template {
    parts: Vec<TemplatePart>,
}

impl Template {
    /// Parse `text`. With `variables` false (Version `2008-10-17` or absent) `${...}` is
    /// literal text; `*` and `?` are always marked as wildcards.
    pub fn parse(text: &str, variables: bool) -> Template {
        let bytes = text.as_bytes();
        let special = |b: &u8| matches!(b, b'*' | b'?') || (variables && *b == b'$');
        // plain text (the common case): one literal part, no scanning state
        if !bytes.iter().any(special) {
            let parts = if text.is_empty() {
                Vec::new()
            } else {
                vec![TemplatePart::Literal(text.to_string())]
            };
            return Template { parts };
        }
        let mut parts: Vec<TemplatePart> = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while !rest.is_empty() {
            // copy the run of ordinary text up to the next `*`, `?` or `$` in one go;
            // all three are ASCII, so the split is on a character boundary
            let run = rest.bytes().position(|b| matches!(b, b'*' | b'?' | b'$'));
            let (plain, tail) = match run {
                Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("")),
                None => (rest, ""),
            };
            lit.push_str(plain);
            rest = tail;
            match rest.as_bytes().first() {
                None => break,
                Some(&c @ (b'*' | b'?')) => {
                    if !lit.is_empty() {
                        parts.push(TemplatePart::Literal(std::mem::take(&mut lit)));
                    }
                    parts.push(if c == b'*' {
                        TemplatePart::Star
                    } else {
                        TemplatePart::Question
                    });
                    rest = rest.get(1..).unwrap_or("");
                }
                Some(_) if variables && rest.starts_with("${") => match parse_variable(rest) {
                    Some((part, used)) => {
                        match part {
                            TemplatePart::Literal(s) => lit.push_str(&s),
                            other => {
                                if !lit.is_empty() {
                                    parts.push(TemplatePart::Literal(std::mem::take(&mut lit)));
                                }
                                parts.push(other);
                            }
                        }
                        rest = rest.get(used..).unwrap_or("");
                    }
                    None => {
                        lit.push('$');
                        rest = rest.get(1..).unwrap_or("");
                    }
                },
                Some(_) => {
                    lit.push('$');
                    rest = rest.get(1..).unwrap_or("");
                }
            }
        }
        if !lit.is_empty() {
            parts.push(TemplatePart::Literal(lit));
        }
        Template { parts }
    }

    /// The parts in order.
    pub fn parts(&self) -> &[TemplatePart] {
        &self.parts
    }

    /// True when the template holds at least one variable.
    pub fn has_variables(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, TemplatePart::Variable { .. }))
    }

    /// True when the template holds a `*` or `?`.
    pub fn has_wildcards(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, TemplatePart::Star | TemplatePart::Question))
    }
}

/// Parse `${...}` at the start of `text`; returns the part and the bytes used, or `None`
/// when it is not a well-formed variable (then the `$` is literal).
fn parse_variable(text: &str) -> Option<(TemplatePart, usize)> {
    let body_start = 2;
    let close = text.find('}')?;
    let body = text.get(body_start..close)?;
    let used = close + 1;
    match body {
        "*" => return Some((TemplatePart::Literal("*".into()), used)),
        "?" => return Some((TemplatePart::Literal("?".into()), used)),
        "$" => return Some((TemplatePart::Literal("$".into()), used)),
        "" => return None,
        _ => {}
    }
    let (key, default) = match body.split_once(", ") {
        Some((key, def)) => {
            let def = def.strip_prefix('\'')?.strip_suffix('\'')?;
            (key, Some(def.to_string()))
        }
        None => (body, None),
    };
    if key.is_empty() || key.contains(char::is_whitespace) || key.contains(['{', '$', '\'']) {
        return None;
    }
    Some((
        TemplatePart::Variable {
            key: key.to_string(),
            default,
        },
        used,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> TemplatePart {
        TemplatePart::Literal(s.into())
    }

    #[test]
    fn escapes_become_literal_text() {
        let t = Template::parse("a${*}b${?}c${$}", true);
        assert_eq!(t.parts(), &[lit("a*b?c$")]);
    }

    #[test]
    fn default_values_are_parsed() {
        let t = Template::parse("${aws:PrincipalTag/team, 'none'}", true);
        assert_eq!(
            t.parts(),
            &[TemplatePart::Variable {
                key: "aws:PrincipalTag/team".into(),
                default: Some("none".into())
            }]
        );
    }

    #[test]
    fn old_version_keeps_variables_literal_but_wildcards_active() {
        let t = Template::parse("${aws:username}*", false);
        assert_eq!(t.parts(), &[lit("${aws:username}"), TemplatePart::Star]);
    }

    #[test]
    fn unclosed_or_empty_variable_is_literal() {
        assert_eq!(Template::parse("${aws:x", true).parts(), &[lit("${aws:x")]);
        assert_eq!(Template::parse("${}", true).parts(), &[lit("${}")]);
    }

    #[test]
    fn space_in_name_is_literal() {
        assert_eq!(
            Template::parse("${aws: x}", true).parts(),
            &[lit("${aws: x}")]
        );
    }
}
