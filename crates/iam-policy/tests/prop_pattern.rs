//! Property tests: `Pattern::is_match` agrees with a naive recursive reference matcher, and a
//! variable-free `TemplatePattern` agrees with `Pattern`. Texts are made by expanding the
//! pattern (so matches are common) and then sometimes perturbing it.

use iam_policy::context::Context;
use iam_policy::pattern::{Case, Pattern, TemplatePattern};
use iam_policy::vars::Template;
use proptest::prelude::*;

const PATTERN_CHARS: &[char] = &[
    'a', 'b', 'A', 'B', '*', '*', '?', '[', ']', '/', ':', 'é', '$', '{', '}',
];
const TEXT_CHARS: &[char] = &['a', 'b', 'A', 'B', '*', '?', '[', '/', ':', 'é', 'É', 'z'];

/// The obviously-correct (exponential) matcher.
fn reference(p: &[char], t: &[char], insensitive: bool) -> bool {
    match (p.split_first(), t.split_first()) {
        (None, _) => t.is_empty(),
        (Some(('*', rest)), _) => {
            reference(rest, t, insensitive)
                || t.split_first()
                    .is_some_and(|(_, tail)| reference(p, tail, insensitive))
        }
        (Some(('?', rest)), Some((_, tail))) => reference(rest, tail, insensitive),
        (Some((c, rest)), Some((d, tail))) => {
            let same = if insensitive {
                c.eq_ignore_ascii_case(d)
            } else {
                c == d
            };
            same && reference(rest, tail, insensitive)
        }
        (Some(_), None) => false,
    }
}

#[derive(Debug, Clone)]
enum Perturb {
    None,
    Insert(usize, char),
    Delete(usize),
    Change(usize, char),
    FlipCase(usize),
}

fn perturb() -> impl Strategy<Value = Perturb> {
    let c = || prop::sample::select(TEXT_CHARS);
    prop_oneof![
        2 => Just(Perturb::None),
        1 => (any::<usize>(), c()).prop_map(|(i, c)| Perturb::Insert(i, c)),
        1 => any::<usize>().prop_map(Perturb::Delete),
        1 => (any::<usize>(), c()).prop_map(|(i, c)| Perturb::Change(i, c)),
        1 => any::<usize>().prop_map(Perturb::FlipCase),
    ]
}

/// Expand `*` with a fill run and `?` with one char, then apply the perturbation.
fn make_text(pattern: &[char], fills: &[Vec<char>], one: &[char], p: &Perturb) -> Vec<char> {
    let mut text = Vec::new();
    for (i, c) in pattern.iter().enumerate() {
        match c {
            '*' => text.extend(fills.iter().cycle().nth(i).into_iter().flatten()),
            '?' => text.extend(one.iter().cycle().nth(i)),
            other => text.push(*other),
        }
    }
    let n = text.len().max(1);
    match p {
        Perturb::None => {}
        Perturb::Insert(i, c) => text.insert(i % (text.len() + 1), *c),
        Perturb::Delete(i) => {
            if i % n < text.len() {
                text.remove(i % n);
            }
        }
        Perturb::Change(i, c) => {
            if let Some(slot) = text.get_mut(i % n) {
                *slot = *c;
            }
        }
        Perturb::FlipCase(i) => {
            if let Some(slot) = text.get_mut(i % n) {
                *slot = if slot.is_ascii_uppercase() {
                    slot.to_ascii_lowercase()
                } else {
                    slot.to_ascii_uppercase()
                };
            }
        }
    }
    text
}

fn case_input() -> impl Strategy<Value = (Vec<char>, Vec<char>, bool)> {
    (
        prop::collection::vec(prop::sample::select(PATTERN_CHARS), 0..10),
        prop::collection::vec(
            prop::collection::vec(prop::sample::select(TEXT_CHARS), 0..4),
            1..4,
        ),
        prop::collection::vec(prop::sample::select(TEXT_CHARS), 1..4),
        perturb(),
        any::<bool>(),
    )
        .prop_map(|(pattern, fills, one, p, insensitive)| {
            let text = make_text(&pattern, &fills, &one, &p);
            (pattern, text, insensitive)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn pattern_agrees_with_reference((pattern, text, insensitive) in case_input()) {
        let p: String = pattern.iter().collect();
        let t: String = text.iter().collect();
        let case = if insensitive { Case::Insensitive } else { Case::Sensitive };
        let expected = reference(&pattern, &text, insensitive);
        prop_assert_eq!(Pattern::new(&p, case).is_match(&t), expected, "{:?} vs {:?}", p, t);
    }

    #[test]
    fn template_without_variables_agrees_with_pattern((pattern, text, insensitive) in case_input()) {
        let p: String = pattern.iter().collect();
        let t: String = text.iter().collect();
        let case = if insensitive { Case::Insensitive } else { Case::Sensitive };
        let template = TemplatePattern::compile(&Template::parse(&p, false), case, true);
        prop_assert!(!template.has_variables());
        prop_assert_eq!(
            template.is_match(&t, &Context::new()),
            Some(Pattern::new(&p, case).is_match(&t)),
            "{:?} vs {:?}", p, t
        );
    }

    #[test]
    fn literal_matches_only_its_own_text((pattern, text, _i) in case_input()) {
        let p: String = pattern.iter().collect();
        let t: String = text.iter().collect();
        prop_assert_eq!(Pattern::literal(&p, Case::Sensitive).is_match(&t), p == t);
    }
}
