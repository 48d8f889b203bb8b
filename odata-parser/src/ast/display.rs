//! Canonical OData printing (`Display`, which round-trips: parsing the output gives the
//! same tree) and a compact, typed S-expression rendering for tests (`to_sexpr`).
//!
//! The `$orderby`, `$expand` and `$apply` trees print in their own files
//! (`orderby.rs`, `expand.rs`, `apply.rs`), next to their types.

use std::fmt::{self, Display, Formatter, Write as _};

use super::expr::{Args, Expr, FunctionCall, Lambda, MemberPath, Quantifier};
use super::{Literal, Parens, QueryOptions, ResourcePath, Segment, SelectItem};

/// The items' `Display`, separated by `separator` (`a,b desc`).
pub(super) fn joined<T: Display>(items: &[T], separator: &str) -> String {
    let items: Vec<String> = items.iter().map(ToString::to_string).collect();
    items.join(separator)
}

/// Writes `'text'` with `'` doubled.
fn quoted(f: &mut impl fmt::Write, text: &str) -> fmt::Result {
    write!(f, "'{}'", text.replace('\'', "''"))
}

impl Display for Literal {
    /// Canonical literal text. GUIDs print lowercase without braces; a `Decimal` whose
    /// text has neither `.` nor an exponent gets an `M` suffix so it stays a decimal.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Boolean(b) => write!(f, "{b}"),
            Literal::Integer(n) => write!(f, "{n}"),
            Literal::Decimal(text) if text.contains(['.', 'e', 'E']) => f.write_str(text),
            Literal::Decimal(text) => write!(f, "{text}M"),
            Literal::String(s) => quoted(f, s),
            Literal::Guid(id) => write!(f, "{}", id.hyphenated()),
            Literal::DateTimeOffset(text) | Literal::Date(text) | Literal::Json(text) => {
                f.write_str(text)
            }
            Literal::Alias(name) => write!(f, "@{name}"),
            Literal::Enum { type_name, value } => {
                f.write_str(type_name)?;
                quoted(f, value)
            }
        }
    }
}

impl Display for Parens {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Parens::Empty => f.write_str("()"),
            Parens::Single(value) => write!(f, "({value})"),
            Parens::Named(pairs) => {
                f.write_char('(')?;
                for (i, (name, value)) in pairs.iter().enumerate() {
                    let comma = if i == 0 { "" } else { "," };
                    write!(f, "{comma}{name}={value}")?;
                }
                f.write_char(')')
            }
        }
    }
}

impl Display for Segment {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Identifier { name, parens: None } => f.write_str(name),
            Segment::Identifier {
                name,
                parens: Some(parens),
            } => write!(f, "{name}{parens}"),
            Segment::Ref => f.write_str("$ref"),
            Segment::Value => f.write_str("$value"),
            Segment::Count => f.write_str("$count"),
            Segment::Metadata => f.write_str("$metadata"),
            Segment::Batch => f.write_str("$batch"),
        }
    }
}

impl Display for ResourcePath {
    /// Segments joined by `/`, no leading or trailing slash; the service document is `""`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_char('/')?;
            }
            write!(f, "{segment}")?;
        }
        Ok(())
    }
}

impl Display for SelectItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Property(name) => f.write_str(name),
            SelectItem::Star => f.write_char('*'),
        }
    }
}

/// Percent-encodes everything but unreserved characters and a few OData delimiters
/// that are safe inside a query value (`$'(),/:@*!;`). `+` is encoded so that
/// parsers that read it as a space agree with this crate.
fn encode(f: &mut Formatter<'_>, text: &str) -> fmt::Result {
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                f.write_char(byte as char)?
            }
            b'$' | b'\'' | b'(' | b')' | b',' | b'/' | b':' | b'@' | b'*' | b'!' | b';' => {
                f.write_char(byte as char)?
            }
            _ => write!(f, "%{byte:02X}")?,
        }
    }
    Ok(())
}

impl Display for QueryOptions {
    /// A raw (percent-encoded) query string without the leading `?`, in a fixed order:
    /// system options, then aliases, then custom options. Refused options print with
    /// an empty value, since their values are not kept.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(items) = &self.select {
            let items: Vec<String> = items.iter().map(ToString::to_string).collect();
            pairs.push(("$select".into(), items.join(",")));
        }
        let text_options = [
            ("$filter", &self.filter),
            ("$orderby", &self.orderby),
            ("$expand", &self.expand),
        ];
        pairs.extend(
            text_options
                .iter()
                .filter_map(|(n, v)| Some((n.to_string(), (*v).clone()?))),
        );
        pairs.extend(self.top.map(|top| ("$top".into(), top.to_string())));
        pairs.extend(self.count.map(|count| ("$count".into(), count.to_string())));
        let text_options = [("$skiptoken", &self.skiptoken), ("$deltatoken", &self.deltatoken), ("$apply", &self.apply), ("$id", &self.id)];
        pairs.extend(
            text_options
                .iter()
                .filter_map(|(n, v)| Some((n.to_string(), (*v).clone()?))),
        );
        pairs.extend(
            self.unsupported
                .iter()
                .map(|name| (format!("${name}"), String::new())),
        );
        pairs.extend(
            self.aliases
                .iter()
                .map(|(name, value)| (format!("@{name}"), value.clone())),
        );
        pairs.extend(self.custom.iter().cloned());
        for (i, (name, value)) in pairs.iter().enumerate() {
            if i > 0 {
                f.write_char('&')?;
            }
            encode(f, name)?;
            f.write_char('=')?;
            encode(f, value)?;
        }
        Ok(())
    }
}

impl Literal {
    /// Compact typed rendering for tests: `42`, `'text'`, `(decimal 1.5)`, `(guid …)`,
    /// `(date …)`, `(datetimeoffset …)`, `@p1`, `(enum Type Member)`, `(json […])`.
    pub fn to_sexpr(&self) -> String {
        match self {
            Literal::Decimal(text) => format!("(decimal {text})"),
            Literal::Guid(id) => format!("(guid {})", id.hyphenated()),
            Literal::Date(text) => format!("(date {text})"),
            Literal::DateTimeOffset(text) => format!("(datetimeoffset {text})"),
            Literal::Enum { type_name, value } => format!("(enum {type_name} {value})"),
            Literal::Json(text) => format!("(json {text})"),
            other => other.to_string(),
        }
    }
}

impl ResourcePath {
    /// Compact rendering for tests: `(path (accounts (guid …)) name $value)`; an
    /// identifier with parentheses is `(name)`, `(name value)` or `(name (k v) …)`.
    pub fn to_sexpr(&self) -> String {
        let mut out = String::from("(path");
        for segment in &self.segments {
            out.push(' ');
            match segment {
                Segment::Identifier {
                    name,
                    parens: Some(parens),
                } => {
                    out.push('(');
                    out.push_str(name);
                    match parens {
                        Parens::Empty => {}
                        Parens::Single(value) => {
                            out.push(' ');
                            out.push_str(&value.to_sexpr());
                        }
                        Parens::Named(pairs) => {
                            for (name, value) in pairs {
                                let _ = write!(out, " ({name} {})", value.to_sexpr());
                            }
                        }
                    }
                    out.push(')');
                }
                other => {
                    let _ = write!(out, "{other}");
                }
            }
        }
        out.push(')');
        out
    }
}

impl Display for MemberPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.segments.join("/"))
    }
}

impl Display for Quantifier {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Quantifier::Any => "any",
            Quantifier::All => "all",
        })
    }
}

impl Display for FunctionCall {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        match &self.args {
            Args::Positional(args) => {
                for (i, arg) in args.iter().enumerate() {
                    write!(f, "{}{arg}", if i == 0 { "" } else { "," })?;
                }
            }
            Args::Named(args) => {
                for (i, (name, arg)) in args.iter().enumerate() {
                    write!(f, "{}{name}={arg}", if i == 0 { "" } else { "," })?;
                }
            }
        }
        f.write_char(')')
    }
}

impl Display for Lambda {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}(", self.collection, self.quantifier)?;
        if let Some(p) = &self.predicate {
            write!(f, "{}:{}", p.variable, p.body)?;
        }
        f.write_char(')')
    }
}

/// Writes `expr`, parenthesised if it binds looser than `min` requires.
fn operand(f: &mut Formatter<'_>, expr: &Expr, min: u8) -> fmt::Result {
    if expr.precedence() < min {
        write!(f, "({expr})")
    } else {
        write!(f, "{expr}")
    }
}

impl Display for Expr {
    /// Canonical `$filter` text with the fewest parentheses that keep the tree
    /// (binary operators are left-associative).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(literal) => write!(f, "{literal}"),
            Expr::Member(path) => write!(f, "{path}"),
            Expr::Binary { op, left, right } => {
                operand(f, left, op.precedence())?;
                write!(f, " {} ", op.keyword())?;
                operand(f, right, op.precedence() + 1)
            }
            Expr::Not(inner) => {
                f.write_str("not ")?;
                operand(f, inner, 5)
            }
            Expr::Call(call) => write!(f, "{call}"),
            Expr::Lambda(lambda) => write!(f, "{lambda}"),
        }
    }
}

impl Expr {
    /// Compact rendering for tests: `(and (eq name 'x') (gt revenue 10))`,
    /// `(contains name 'x')`, `(Microsoft.Dynamics.CRM.LastXDays PropertyName='createdon' PropertyValue=3)`,
    /// `(any contact_customer_accounts c (eq c/name 'x'))`.
    pub fn to_sexpr(&self) -> String {
        match self {
            Expr::Literal(literal) => literal.to_sexpr(),
            Expr::Member(path) => path.to_string(),
            Expr::Binary { op, left, right } => {
                format!(
                    "({} {} {})",
                    op.keyword(),
                    left.to_sexpr(),
                    right.to_sexpr()
                )
            }
            Expr::Not(inner) => format!("(not {})", inner.to_sexpr()),
            Expr::Call(call) => {
                let mut out = format!("({}", call.name);
                match &call.args {
                    Args::Positional(args) => args.iter().for_each(|a| {
                        let _ = write!(out, " {}", a.to_sexpr());
                    }),
                    Args::Named(args) => args.iter().for_each(|(name, a)| {
                        let _ = write!(out, " {name}={}", a.to_sexpr());
                    }),
                }
                out + ")"
            }
            Expr::Lambda(Lambda {
                collection,
                quantifier,
                predicate,
            }) => match predicate {
                Some(p) => format!(
                    "({quantifier} {collection} {} {})",
                    p.variable,
                    p.body.to_sexpr()
                ),
                None => format!("({quantifier} {collection})"),
            },
        }
    }
}
