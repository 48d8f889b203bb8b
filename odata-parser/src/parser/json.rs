//! JSON array and object literals (`arrayOrObject`), used as function parameters:
//! `Arr=["contact"]`, `@tid={'@odata.id':'contacts(…)'}`. They are kept as source text;
//! the emulator parses them with a JSON parser once it knows the parameter's type.

use super::{advance, failure, IResult, MAX_DEPTH};
use crate::ast::Literal;
use crate::error::ErrorKind;
use crate::span::Span;

/// arrayOrObject = begin-array … end-array / begin-object … end-object
///   ; kept as source text: brackets balanced, '…' and "…" strings skipped
///   ; (backslash escapes), nesting limited to MAX_DEPTH
pub(crate) fn parse_array_or_object(input: Span<'_>) -> IResult<'_, Literal> {
    let text = *input.fragment();
    let at = |i: usize| advance(input, i).0;
    let mut closers = Vec::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '[' | '{' => {
                closers.push(if c == '[' { ']' } else { '}' });
                if closers.len() > MAX_DEPTH {
                    return failure(at(i), 1, ErrorKind::DepthLimit);
                }
            }
            ']' | '}' => {
                if closers.pop() != Some(c) {
                    return failure(at(i), 1, ErrorKind::UnexpectedCharacter(c));
                }
                if closers.is_empty() {
                    return Ok((at(i + 1), Literal::Json(text[..=i].to_owned())));
                }
            }
            '"' | '\'' => {
                let mut closed = false;
                while let Some((_, d)) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return failure(at(i), text.len() - i, ErrorKind::UnterminatedString);
                }
            }
            _ => {}
        }
    }
    let expected = if closers.last() == Some(&']') {
        "']'"
    } else {
        "'}'"
    };
    failure(at(text.len()), 0, ErrorKind::Expected(expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_render;
    use crate::span::new_span;

    /// `json | rest` or `Kind@offset`.
    #[track_caller]
    fn r(s: &str) -> String {
        test_render(parse_array_or_object(new_span(s)), Literal::to_sexpr)
    }

    #[test]
    fn array_or_object() {
        assert_eq!(r(r#"["contact"]"#), r#"(json ["contact"])"#);
        assert_eq!(r("{'@odata.id':'accounts(1)'}"), "(json {'@odata.id':'accounts(1)'})");
        assert_eq!(r(r#"["a]",{"b":[1]}])"#), r#"(json ["a]",{"b":[1]}]) | )"#);
        assert_eq!(r(r#"["a\"]"]"#), r#"(json ["a\"]"])"#);
        assert_eq!(r("{}"), "(json {})");
        assert_eq!(r("[1,2"), "Expected(\"']'\")@4");
        assert_eq!(r("{'a':1"), "Expected(\"'}'\")@6");
        assert_eq!(r("[1}"), "UnexpectedCharacter('}')@2");
        assert_eq!(r("[\"a]"), "UnterminatedString@1");
        assert!(r(&"[".repeat(MAX_DEPTH + 1)).starts_with("DepthLimit@"));
        assert!(r(&"[".repeat(MAX_DEPTH)).starts_with("Expected"));
    }
}
