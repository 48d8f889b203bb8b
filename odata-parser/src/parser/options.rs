//! The query string: splits it into options, percent-decodes them, rejects unknown and
//! duplicated system options, and parses the values this crate interprets
//! (`$select`, `$top`, `$count`). Produces [`QueryOptions`].

use nom::bytes::complete::take_while1;

use super::lexical::{parse_identifier, token_len};
use super::percent::parse_pct_encoded;
use super::{advance, failure, parse_bws, run, sym, IResult};
use crate::ast::{QueryOptions, SelectItem};
use crate::error::{Context, ErrorKind, ParseError};
use crate::span::Span;

/// System query options Dataverse accepts (names are case-sensitive, lowercase).
const SUPPORTED: [&str; 10] = [
    "$id",
    "$select",
    "$filter",
    "$orderby",
    "$expand",
    "$top",
    "$count",
    "$skiptoken",
    "$deltatoken",
    "$apply",
];

/// System query options OData defines but Dataverse refuses; recorded in
/// [`QueryOptions::unsupported`] so the emulator can answer with Dataverse's error.
const REFUSED: [&str; 5] = ["$skip", "$search", "$format", "$levels", "$compute"];

/// One `name=value` pair, decoded, with the raw position of its name.
#[derive(Debug)]
struct RawOption {
    name: String,
    value: String,
    /// Byte offset and length of the raw (still encoded) name in the query string.
    at: usize,
    raw_name_len: usize,
}

/// Parses a raw query string; see [`crate::parse_query`].
pub(crate) fn query_options(raw: &str) -> Result<QueryOptions, ParseError> {
    let mut options = QueryOptions::default();
    let mut seen: Vec<&'static str> = Vec::new();
    for option in parse_query_string(raw)? {
        let RawOption {
            name,
            value,
            at,
            raw_name_len,
        } = option;
        let query_error = |kind| ParseError::new(kind, at, raw_name_len, raw, Context::QueryString);
        if name.starts_with('$') {
            let Some(known) = SUPPORTED.iter().chain(&REFUSED).find(|&&o| o == name) else {
                return Err(query_error(ErrorKind::UnknownOption(name)));
            };
            if seen.contains(known) {
                return Err(query_error(ErrorKind::DuplicateOption(name)));
            }
            seen.push(known);
            apply_system_option(&mut options, known, value)?;
        } else if let Some(alias) = name.strip_prefix('@') {
            options.aliases.push((alias.to_owned(), value));
        } else {
            options.custom.push((name, value));
        }
    }
    Ok(options)
}

/// query  = [ option *( "&" option ) ]
/// option = name [ "=" value ]   ; both percent-decoded; empty options are skipped
fn parse_query_string(raw: &str) -> Result<Vec<RawOption>, ParseError> {
    let mut options = Vec::new();
    let mut at = 0;
    for piece in raw.split('&') {
        let start = at;
        at += piece.len() + 1;
        if piece.is_empty() {
            continue;
        }
        let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
        let decode = |text: &str, base: usize| {
            parse_pct_encoded(text, base).map_err(|bad| {
                ParseError::new(
                    ErrorKind::InvalidPercentEncoding,
                    bad.offset,
                    bad.len,
                    raw,
                    Context::QueryString,
                )
            })
        };
        options.push(RawOption {
            name: decode(raw_name, start)?,
            value: decode(raw_value, start + raw_name.len() + 1)?,
            at: start,
            raw_name_len: raw_name.len(),
        });
    }
    Ok(options)
}

/// Stores one system option's value; errors point into the decoded value.
fn apply_system_option(
    options: &mut QueryOptions,
    name: &str,
    value: String,
) -> Result<(), ParseError> {
    match name {
        "$select" => options.select = Some(run(&value, Context::Expression, "','", parse_select)?),
        "$top" => options.top = Some(run(&value, Context::Expression, "a digit", parse_top)?),
        "$count" => {
            options.count = Some(run(
                &value,
                Context::Expression,
                "'true' or 'false'",
                parse_count,
            )?)
        }
        "$filter" => options.filter = Some(value),
        "$orderby" => options.orderby = Some(value),
        "$expand" => options.expand = Some(value),
        "$skiptoken" => options.skiptoken = Some(value),
        "$deltatoken" => options.deltatoken = Some(value),
        "$id" => options.id = Some(value),
        "$apply" => options.apply = Some(value),
        refused => options.unsupported.push(refused[1..].to_owned()),
    }
    Ok(())
}

/// select = BWS selectItem *( BWS "," BWS selectItem ) BWS
fn parse_select(input: Span<'_>) -> IResult<'_, Vec<SelectItem>> {
    parse_select_until(input, &[])
}

/// select = BWS selectItem *( BWS "," BWS selectItem ) BWS
///   ; ending at the end of the input or before one of `until` (`;` `)` in `$expand`)
pub(crate) fn parse_select_until<'a>(
    input: Span<'a>,
    until: &[char],
) -> IResult<'a, Vec<SelectItem>> {
    let mut items = Vec::new();
    let mut rest = parse_bws(input)?.0;
    loop {
        let (after, item) = parse_select_item(rest)?;
        items.push(item);
        rest = parse_bws(after)?.0;
        if rest.is_empty() || rest.starts_with(until) {
            return Ok((rest, items));
        }
        let Ok((after, _)) = sym(',')(rest) else {
            return failure(rest, token_len(&rest), ErrorKind::InvalidSelect);
        };
        rest = parse_bws(after)?.0;
    }
}

/// selectItem = STAR / odataIdentifier   ; the subset Dataverse accepts
fn parse_select_item(input: Span<'_>) -> IResult<'_, SelectItem> {
    if let Ok((rest, _)) = sym('*')(input) {
        return Ok((rest, SelectItem::Star));
    }
    match parse_identifier(input) {
        Ok((rest, name)) => Ok((rest, SelectItem::Property(name.fragment().to_string()))),
        Err(_) => failure(input, token_len(&input), ErrorKind::InvalidSelect),
    }
}

/// top = 1*DIGIT   ; must fit in 64 bits
fn parse_top(input: Span<'_>) -> IResult<'_, u64> {
    let parsed = take_while1::<_, _, super::PError<'_>>(|c: char| c.is_ascii_digit())(input);
    match parsed {
        Ok((rest, digits)) if rest.is_empty() => match digits.parse() {
            Ok(top) => Ok((rest, top)),
            Err(_) => failure(input, input.len(), ErrorKind::InvalidTop),
        },
        _ => failure(input, input.len(), ErrorKind::InvalidTop),
    }
}

/// count = "true" / "false"   ; case-sensitive
fn parse_count(input: Span<'_>) -> IResult<'_, bool> {
    match *input.fragment() {
        "true" => Ok((advance(input, 4).0, true)),
        "false" => Ok((advance(input, 5).0, false)),
        _ => failure(input, input.len(), ErrorKind::InvalidCount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select(s: &str) -> Result<Vec<SelectItem>, (ErrorKind, usize)> {
        run(s, Context::Expression, "','", parse_select).map_err(|e| (e.kind().clone(), e.offset()))
    }

    fn prop(name: &str) -> SelectItem {
        SelectItem::Property(name.into())
    }

    #[test]
    fn select_items() {
        assert_eq!(select("name"), Ok(vec![prop("name")]));
        assert_eq!(select("*"), Ok(vec![SelectItem::Star]));
        assert_eq!(
            select(" a , _b_value ,*"),
            Ok(vec![prop("a"), prop("_b_value"), SelectItem::Star])
        );
        assert_eq!(select(""), Err((ErrorKind::InvalidSelect, 0)));
        assert_eq!(select("a,,b"), Err((ErrorKind::InvalidSelect, 2)));
        assert_eq!(select("a,"), Err((ErrorKind::InvalidSelect, 2)));
        assert_eq!(select("a b"), Err((ErrorKind::InvalidSelect, 2)));
        assert_eq!(select("a/b"), Err((ErrorKind::InvalidSelect, 1)));
        assert_eq!(select("1a"), Err((ErrorKind::InvalidSelect, 0)));
    }

    #[test]
    fn top_and_count() {
        let top = |s| run(s, Context::Expression, "", parse_top).map_err(|e| e.kind().clone());
        assert_eq!(top("0"), Ok(0));
        assert_eq!(top("5000"), Ok(5000));
        for bad in ["", "-1", "+1", "1.0", " 1", "99999999999999999999", "1x"] {
            assert_eq!(top(bad), Err(ErrorKind::InvalidTop), "{bad:?}");
        }
        let count = |s| run(s, Context::Expression, "", parse_count).map_err(|e| e.kind().clone());
        assert_eq!(count("true"), Ok(true));
        assert_eq!(count("false"), Ok(false));
        for bad in ["", "True", "1", "true "] {
            assert_eq!(count(bad), Err(ErrorKind::InvalidCount), "{bad:?}");
        }
    }

    #[test]
    fn query_string_split() {
        let options = parse_query_string("a=1&&b&=x&c=1=2&").unwrap();
        let pairs: Vec<_> = options
            .iter()
            .map(|o| (o.name.as_str(), o.value.as_str(), o.at))
            .collect();
        assert_eq!(
            pairs,
            vec![("a", "1", 0), ("b", "", 5), ("", "x", 7), ("c", "1=2", 10)]
        );
        let e = parse_query_string("a=1&b=%zz").unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (&ErrorKind::InvalidPercentEncoding, 6)
        );
    }
}
