//! Paging: `$skiptoken` paging cookies in Dataverse's exact format, and the cursor they
//! carry.
//!
//! Decoded once, a token reads
//! `<cookie pagenumber="2" pagingcookie="<inner>" istracking="False" />`, where `<inner>`
//! is `<cookie page="1"><name last="…" first="…" /><accountid last="{GUID}" first="{GUID}" /></cookie>`
//! percent-encoded in lowercase hex. In the URL the outer layer is encoded once more
//! (`<`, `>`, `"`, space and `%`; `=` and `/` stay literal), so the inner cookie appears
//! encoded twice. Sort columns come first, then the primary key; GUIDs are upper case in
//! braces. The cursor is the last row's sort keys and id: the next page starts strictly
//! after it, so rows inserted or deleted between pages never repeat or vanish.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use quick_xml::events::Event;
use uuid::Uuid;

use super::order::{SortBy, SortSpec};
use crate::error::{Code, Error, Result};
use crate::metadata::AttributeType;
use crate::store::SortKey;

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    /// The page number the token asks for.
    pub page: u32,
    /// The previous page's last row: its sort keys (one per spec) and id.
    pub keys: Vec<SortKey>,
    /// The previous page's last row id.
    pub id: Uuid,
}

/// Like JavaScript's encodeURIComponent: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'!').remove(b'~').remove(b'*').remove(b'\'').remove(b'(').remove(b')');

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn guid_text(g: Uuid) -> String {
    format!("{{{}}}", g.to_string().to_uppercase())
}

/// The cookie text of a sort key.
fn key_text(k: &SortKey) -> String {
    match k {
        SortKey::Null => String::new(),
        SortKey::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        SortKey::Number(d) => d.normalize().to_string(),
        SortKey::Float(f) => f.to_string(),
        SortKey::Time(t) => time::OffsetDateTime::from_unix_timestamp(*t)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default(),
        SortKey::Text(s) => s.clone(),
        SortKey::Guid(g) => guid_text(*g),
    }
}

/// Reads a sort key back from cookie text, by how the spec sorts.
fn parse_key(spec: &SortSpec, text: &str) -> Option<SortKey> {
    if text.is_empty() {
        return Some(SortKey::Null);
    }
    if spec.by != SortBy::Value {
        return Some(SortKey::Text(text.to_string()));
    }
    use AttributeType as T;
    Some(match spec.kind {
        T::Integer | T::BigInt | T::Decimal | T::Money | T::Double | T::Picklist | T::State | T::Status => {
            match rust_decimal::Decimal::from_str_exact(text) {
                Ok(d) => SortKey::Number(d),
                Err(_) => SortKey::Float(text.parse().ok()?),
            }
        }
        T::Boolean => SortKey::Bool(text == "1" || text.eq_ignore_ascii_case("true")),
        T::DateTime => SortKey::Time(time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?.unix_timestamp()),
        T::Uniqueidentifier | T::Lookup | T::Customer | T::Owner => SortKey::Guid(Uuid::parse_str(text.trim_matches(|c| c == '{' || c == '}')).ok()?),
        _ => SortKey::Text(text.to_string()),
    })
}

/// A row's place in the order: its sort keys and id.
pub type Position<'a> = (&'a [SortKey], Uuid);

/// The inner cookie, `<cookie page="N"><col last=… first=… />…<id last=… first=… /></cookie>`.
fn inner_cookie(specs: &[SortSpec], primary_id: &str, page: u32, first: (&[SortKey], Uuid), last: (&[SortKey], Uuid)) -> String {
    let mut inner = format!("<cookie page=\"{page}\">");
    for (i, spec) in specs.iter().enumerate() {
        inner.push_str(&format!(
            "<{} last=\"{}\" first=\"{}\" />",
            spec.column.attribute,
            xml_escape(&key_text(&last.0[i])),
            xml_escape(&key_text(&first.0[i]))
        ));
    }
    inner.push_str(&format!("<{primary_id} last=\"{}\" first=\"{}\" /></cookie>", guid_text(last.1), guid_text(first.1)));
    inner
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string().to_lowercase_hex()
}

/// The `$skiptoken` value (URL-encoded) for the page after `page`, given the first and
/// last rows of `page`.
pub fn skiptoken(specs: &[SortSpec], primary_id: &str, page: u32, first: (&[SortKey], Uuid), last: (&[SortKey], Uuid)) -> String {
    let inner = encode(&inner_cookie(specs, primary_id, page, first, last));
    let outer = format!("<cookie pagenumber=\"{}\" pagingcookie=\"{inner}\" istracking=\"False\" />", page + 1);
    outer.replace('%', "%25").replace('<', "%3C").replace('>', "%3E").replace('"', "%22").replace(' ', "%20")
}

/// The `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie` value after FetchXML page `page`:
/// the outer cookie as XML, its `pagingcookie` the inner cookie percent-encoded twice.
/// With no bounds (a query whose position a cookie can't carry), the inner cookie is
/// empty, as Dataverse sends it for such queries.
pub fn fetch_cookie(specs: &[SortSpec], primary_id: &str, page: u32, bounds: Option<(Position<'_>, Position<'_>)>) -> String {
    let inner = match bounds {
        Some((first, last)) => encode(&encode(&inner_cookie(specs, primary_id, page, first, last))),
        None => String::new(),
    };
    format!("<cookie pagenumber=\"{}\" pagingcookie=\"{inner}\" istracking=\"False\" />", page + 1)
}

/// Lower-cases the hex digits of percent escapes (Dataverse writes `%3c`, not `%3C`).
trait LowercaseHex {
    fn to_lowercase_hex(&self) -> String;
}

impl LowercaseHex for String {
    fn to_lowercase_hex(&self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut chars = self.chars();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '%' {
                for _ in 0..2 {
                    if let Some(h) = chars.next() {
                        out.push(h.to_ascii_lowercase());
                    }
                }
            }
        }
        out
    }
}

fn invalid() -> Error {
    Error::new(Code::InvalidPagingCookie, "The paging cookie ($skiptoken) is not valid for this query.")
}

/// An element name with its attributes.
type Element = (String, Vec<(String, String)>);

/// The elements of an XML fragment with their attributes, in document order.
fn attributes(xml: &str) -> Result<Vec<Element>> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().map_err(|_| invalid())? {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|_| invalid())?;
                    let value = a.unescape_value().map_err(|_| invalid())?.into_owned();
                    attrs.push((String::from_utf8_lossy(a.key.as_ref()).into_owned(), value));
                }
                out.push((name, attrs));
            }
            Event::Eof => break,
            Event::DocType(_) => return Err(invalid()),
            _ => {}
        }
    }
    Ok(out)
}

/// Reads a `$skiptoken` (already URL-decoded once by the query parser) into a cursor for
/// these sort specs. A token from a different query is refused.
pub fn parse(token: &str, specs: &[SortSpec], primary_id: &str) -> Result<Cursor> {
    let (page, inner) = outer_cookie(token)?;
    let mut cursor = parse_inner(&inner, specs, primary_id)?;
    cursor.page = page;
    Ok(cursor)
}

/// The page number and the decoded inner cookie of an outer cookie
/// (`<cookie pagenumber="2" pagingcookie="%3ccookie…" istracking="False" />`).
fn outer_cookie(token: &str) -> Result<(u32, String)> {
    let outer = attributes(token)?;
    let (name, attrs) = outer.first().ok_or_else(invalid)?;
    if name != "cookie" {
        return Err(invalid());
    }
    let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let page: u32 = get("pagenumber").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).ok_or_else(invalid)?;
    let cookie = get("pagingcookie").ok_or_else(invalid)?;
    let inner = percent_decode_str(cookie).decode_utf8().map_err(|_| invalid())?.into_owned();
    Ok((page, inner))
}

/// The `$skiptoken` (URL-encoded) of an `@odata.nextLink` that continues a query answered
/// through FetchXML (the `sql` option), from the cookie [`fetch_cookie`] wrote for its next
/// page: the same outer cookie as OData's, its inner cookie encoded once.
pub fn skiptoken_for_fetch(cookie: &str) -> String {
    let (page, inner) = outer_cookie(cookie).unwrap_or((2, String::new()));
    let outer = format!("<cookie pagenumber=\"{page}\" pagingcookie=\"{inner}\" istracking=\"False\" />");
    outer.replace('%', "%25").replace('<', "%3C").replace('>', "%3E").replace('"', "%22").replace(' ', "%20")
}

/// A `$skiptoken` [`skiptoken_for_fetch`] wrote (URL-decoded once), as FetchXML's `page`
/// and `paging-cookie` (none when the query's position can't be carried by a cookie).
pub fn fetch_paging(token: &str) -> Result<(u32, Option<String>)> {
    let (page, inner) = outer_cookie(token)?;
    let inner = percent_decode_str(&inner).decode_utf8().map_err(|_| invalid())?.into_owned();
    Ok((page, Some(inner).filter(|c| !c.is_empty())))
}

/// Reads an inner cookie (`<cookie page="1"><name last=… /><accountid last=… /></cookie>`,
/// as FetchXML's `paging-cookie` carries it) into a cursor; `page` is the cookie's page.
pub fn parse_inner(inner: &str, specs: &[SortSpec], primary_id: &str) -> Result<Cursor> {
    let elements = attributes(inner)?;
    let (root, root_attrs) = elements.first().ok_or_else(invalid)?;
    if root != "cookie" {
        return Err(invalid());
    }
    let page = root_attrs.iter().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse().ok()).unwrap_or(1);
    let last_of = |element: &str| elements.iter().skip(1).find(|(n, _)| n == element).and_then(|(_, a)| a.iter().find(|(k, _)| k == "last")).map(|(_, v)| v.clone());
    let mut keys = Vec::with_capacity(specs.len());
    for spec in specs {
        let text = last_of(&spec.column.attribute).ok_or_else(invalid)?;
        keys.push(parse_key(spec, &text).ok_or_else(invalid)?);
    }
    let id_text = last_of(primary_id).ok_or_else(invalid)?;
    let id = Uuid::parse_str(id_text.trim_matches(|c| c == '{' || c == '}')).map_err(|_| invalid())?;
    Ok(Cursor { page, keys, id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::predicate::ColumnRef;

    #[test]
    fn matches_the_documented_cookie_and_reads_back() {
        let first = Uuid::parse_str("49b0be2e-d01c-ed11-b83e-000d3a572421").unwrap();
        let last = Uuid::parse_str("d5026a4d-d01c-ed11-b83e-000d3a572421").unwrap();
        let token = skiptoken(&[], "contactid", 1, (&[], first), (&[], last));
        assert_eq!(
            token,
            "%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%253ccontactid%2520last%253d%2522%257bD5026A4D-D01C-ED11-B83E-000D3A572421%257d%2522%2520first%253d%2522%257b49B0BE2E-D01C-ED11-B83E-000D3A572421%257d%2522%2520%252f%253e%253c%252fcookie%253e%22%20istracking=%22False%22%20/%3E"
        );
        let decoded = percent_decode_str(&token).decode_utf8().unwrap();
        let cursor = parse(&decoded, &[], "contactid").unwrap();
        assert_eq!(cursor, Cursor { page: 2, keys: vec![], id: last });
    }

    #[test]
    fn sort_columns_round_trip() {
        let spec = SortSpec { column: ColumnRef::direct("name"), descending: false, by: SortBy::Value, kind: AttributeType::String, table: None };
        let id = Uuid::new_v4();
        let keys = [SortKey::Text("o'brien & \"co\"".into())];
        let token = skiptoken(std::slice::from_ref(&spec), "accountid", 3, (&keys, id), (&keys, id));
        let decoded = percent_decode_str(&token).decode_utf8().unwrap();
        let cursor = parse(&decoded, &[spec], "accountid").unwrap();
        assert_eq!(cursor.keys, keys.to_vec());
        assert_eq!(cursor.page, 4);
        assert!(parse("<cookie/>", &[], "accountid").is_err());
        assert!(parse("not xml <<", &[], "accountid").is_err());
    }
}
