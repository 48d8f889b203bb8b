//! The crate's one error type: a [`ParseError`] carries an [`ErrorKind`] to branch on, a
//! byte offset, and the text the offset points into. Its `Display` reads like the
//! OData error Dataverse would send, so the emulator can put it into the error body
//! unchanged.

use std::fmt;

/// What went wrong. Callers branch on this, never on the message text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A `'` string literal without its closing quote.
    UnterminatedString,
    /// Something shaped like a GUID (8 hex digits and `-`, or `{`) that is not a valid one.
    InvalidGuid,
    /// A literal of the named Edm type that is malformed (`2024-13-01`, `1.`, `12abc`).
    InvalidLiteral {
        /// The Edm type the literal looked like, e.g. `Edm.Date`.
        edm_type: &'static str,
    },
    /// A character that cannot start or continue anything here (e.g. a mismatched
    /// bracket in a JSON literal).
    UnexpectedCharacter(char),
    /// Syntax error: the parser needed the named thing (e.g. `"')'"`, `"a literal"`).
    Expected(&'static str),
    /// `accounts//name`, or a path starting with `/`.
    EmptySegment,
    /// A `%` not followed by two hex digits, or percent-decoded bytes that are not UTF-8.
    InvalidPercentEncoding,
    /// A `$`-option Dataverse does not know, as written (`$SELECT`, `$xyz`), in the
    /// query string or inside an `$expand` item; option names are case-sensitive.
    UnknownOption(String),
    /// A system query option given twice, e.g. `$top` (name with its `$`), in the query
    /// string or inside one `$expand` item.
    DuplicateOption(String),
    /// `$top` (also inside `$expand`) is not a non-negative integer; the span covers
    /// the value.
    InvalidTop,
    /// `$count` is neither `true` nor `false`.
    InvalidCount,
    /// `$select` (also inside `$expand`) is not a comma list of property names or `*`.
    InvalidSelect,
    /// Nesting (parentheses, JSON brackets) deeper than the parser allows.
    DepthLimit,
    /// A parser bug: a low-level parser failed without the error being given a meaning.
    /// Never produced for any input; the proptest and fuzz targets check this.
    Internal,
}

/// Which grammar produced an error; it only changes the wording of some messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// A resource path (ODL's key-literal wording for bad literals).
    Path,
    /// The raw query string (offsets into the still-encoded text).
    QueryString,
    /// A decoded option value or expression (ODL's lexer wording).
    Expression,
}

/// A syntax error, located in the text that was parsed.
///
/// `offset` and `span()` are byte positions in [`ParseError::input`], which is the text
/// the failing rule was reading: the resource path for [`crate::parse_resource_path`];
/// for [`crate::parse_query`], the raw query string for errors about the query string
/// itself (percent-encoding, unknown or duplicated options) and the decoded option value
/// for errors inside a value (`$select`, `$top`, `$count`); for [`crate::parse_filter`],
/// [`crate::parse_orderby`], [`crate::parse_expand`] and [`crate::parse_apply`], the
/// decoded value they were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    kind: ErrorKind,
    offset: usize,
    len: usize,
    input: String,
    context: Context,
}

impl ParseError {
    pub(crate) fn new(
        kind: ErrorKind,
        offset: usize,
        len: usize,
        input: &str,
        context: Context,
    ) -> Self {
        ParseError {
            kind,
            offset,
            len,
            input: input.to_owned(),
            context,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Byte offset of the offending token in [`ParseError::input`].
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Byte range of the offending token in [`ParseError::input`] (may be empty).
    pub fn span(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len
    }

    /// The text the offsets point into (see the type docs for which text that is).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The offending token's text, or `""` for an empty span.
    fn token(&self) -> &str {
        self.input.get(self.span()).unwrap_or("")
    }

    /// "found …" for syntax errors: the token, else the next word or character, else the end.
    fn found(&self) -> String {
        let rest = self.input.get(self.offset..).unwrap_or("");
        match self.token() {
            "" if rest.is_empty() => "the end of the input".to_owned(),
            "" => format!("'{}'", &rest[..crate::parser::lexical::token_len(rest)]),
            token => format!("'{token}'"),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (at, input) = (self.offset, &self.input);
        match &self.kind {
            // ODL reports where its lexer ran out of input; key literals are reported whole.
            ErrorKind::UnterminatedString if self.context == Context::Path => write!(
                f,
                "Unrecognized 'Edm.String' literal '{}' at '{at}' in '{input}'.",
                self.token()
            ),
            ErrorKind::UnterminatedString => write!(
                f,
                "There is an unterminated literal at position {} in '{input}'.",
                self.offset + self.len
            ),
            ErrorKind::InvalidGuid => write!(
                f,
                "Unrecognized 'Edm.Guid' literal '{}' at '{at}' in '{input}'.",
                self.token()
            ),
            ErrorKind::InvalidLiteral { edm_type } => write!(
                f,
                "Unrecognized '{edm_type}' literal '{}' at '{at}' in '{input}'.",
                self.token()
            ),
            ErrorKind::UnexpectedCharacter(c) => write!(
                f,
                "Syntax error: character '{c}' is not valid at position {at} in '{input}'."
            ),
            // ODL's own wording for the common $filter cases.
            ErrorKind::Expected("an expression") => {
                write!(f, "Expression expected at position {at} in '{input}'.")
            }
            ErrorKind::Expected("')' or an operator") => {
                write!(f, "')' or operator expected at position {at} in '{input}'.")
            }
            ErrorKind::Expected("')' or ','") => {
                write!(f, "')' or ',' expected at position {at} in '{input}'.")
            }
            ErrorKind::Expected(what) => write!(
                f,
                "Syntax error at position {at} in '{input}': expected {what}, found {}.",
                self.found()
            ),
            ErrorKind::EmptySegment => write!(
                f,
                "Syntax error at position {at} in '{input}': empty path segment."
            ),
            ErrorKind::InvalidPercentEncoding => write!(
                f,
                "Syntax error at position {at} in '{input}': invalid percent-encoding {}.",
                self.found()
            ),
            ErrorKind::UnknownOption(name) => {
                write!(f, "The query parameter {name} is not supported.")
            }
            ErrorKind::DuplicateOption(name) => write!(
                f,
                "Query option '{name}' was specified more than once, but it must be specified at most once."
            ),
            ErrorKind::InvalidTop => write!(
                f,
                "Invalid value '{}' for $top query option found. The $top query option requires a non-negative integer value.",
                self.token()
            ),
            ErrorKind::InvalidCount => write!(f, "'{input}' is not a valid count option."),
            ErrorKind::InvalidSelect => write!(
                f,
                "Syntax error at position {at} in '{input}': expected a property name or '*', found {}.",
                self.found()
            ),
            ErrorKind::DepthLimit => write!(
                f,
                "Recursion depth exceeded allowed limit at position {at} in '{input}'."
            ),
            ErrorKind::Internal => write!(
                f,
                "Internal parser error at position {at} in '{input}' (a bug in odata-parser)."
            ),
        }
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unterminated_in_expression_reports_where_input_ran_out() {
        let input = "lastname eq 'O'Bryan'";
        let e = ParseError::new(
            ErrorKind::UnterminatedString,
            20,
            1,
            input,
            Context::Expression,
        );
        assert_eq!(
            e.to_string(),
            "There is an unterminated literal at position 21 in 'lastname eq 'O'Bryan''."
        );
    }

    #[test]
    fn unterminated_in_path_quotes_the_key_literal() {
        let e = ParseError::new(
            ErrorKind::UnterminatedString,
            9,
            4,
            "accounts('abc)",
            Context::Path,
        );
        assert_eq!(
            e.to_string(),
            "Unrecognized 'Edm.String' literal ''abc' at '9' in 'accounts('abc)'."
        );
    }

    #[test]
    fn expected_names_the_found_token_or_end() {
        let e = ParseError::new(
            ErrorKind::Expected("')'"),
            10,
            0,
            "accounts(1",
            Context::Path,
        );
        assert_eq!(
            e.to_string(),
            "Syntax error at position 10 in 'accounts(1': expected ')', found the end of the input."
        );
        assert_eq!(e.span(), 10..10);
    }
}
