//! Addressing records: key predicates (`(guid)`, `(accountnumber='A-1')`, compound keys,
//! `(_x_value=guid)`) and record URLs in `@odata.bind` / `@odata.id`.

use odata_parser::ast::{Literal, Parens, Segment};
use uuid::Uuid;

use crate::error::{Code, Error, Result};
use crate::metadata::{AttributeType, EntityDef, Metadata};
use crate::store::{EntityRef, State, Value};

/// How a record is addressed.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// By primary key.
    Id(Uuid),
    /// By an alternate key: the key's name and its values in key-column order.
    Alternate {
        /// Alternate key logical name.
        key: String,
        /// Values in the order of the key's columns.
        values: Vec<Value>,
        /// The columns and values as written, to fill them in on upsert-create.
        columns: Vec<(String, Value)>,
    },
}

/// A record of a given table, addressed by key.
#[derive(Debug, Clone, PartialEq)]
pub struct Locator {
    /// Table logical name.
    pub entity: String,
    /// The key.
    pub key: Key,
}

fn literal_display(l: &Literal) -> String {
    match l {
        Literal::String(s) => format!("'{}'", s.replace('\'', "''")),
        Literal::Guid(g) => g.to_string(),
        Literal::Integer(i) => i.to_string(),
        Literal::Decimal(d) => d.clone(),
        Literal::Boolean(b) => b.to_string(),
        Literal::Null => "null".into(),
        Literal::DateTimeOffset(s) | Literal::Date(s) | Literal::Json(s) => s.clone(),
        Literal::Alias(a) => format!("@{a}"),
        Literal::Enum { type_name, value } => format!("{type_name}'{value}'"),
    }
}

/// Converts a key literal to the typed value of `attr`'s column.
fn key_value(entity: &EntityDef, column: &str, literal: &Literal) -> Result<Value> {
    let attr = entity.attribute(column).ok_or_else(|| Error::invalid_key(&entity.logical_name))?;
    let mismatch = || {
        Error::new(
            Code::BadRequest,
            format!("Unrecognized '{}' literal '{}' for key property '{column}'.", attr.kind.edm_type(), literal_display(literal)),
        )
    };
    Ok(match (attr.kind, literal) {
        (_, Literal::Null) => Value::Null,
        (AttributeType::String | AttributeType::Memo | AttributeType::EntityName, Literal::String(s)) => Value::String(s.clone()),
        (AttributeType::Integer, Literal::Integer(i)) => Value::Int(i32::try_from(*i).map_err(|_| mismatch())?),
        (AttributeType::BigInt, Literal::Integer(i)) => Value::BigInt(*i),
        (AttributeType::Picklist | AttributeType::State | AttributeType::Status, Literal::Integer(i)) => {
            Value::Choice(i32::try_from(*i).map_err(|_| mismatch())?)
        }
        (AttributeType::Uniqueidentifier, Literal::Guid(g)) => Value::Guid(*g),
        (k, Literal::Guid(g)) if k.is_lookup() => Value::Lookup(EntityRef { logical_name: "".into(), id: *g }),
        (AttributeType::Boolean, Literal::Boolean(b)) => Value::Boolean(*b),
        _ => return Err(mismatch()),
    })
}

/// Turns the parenthesised key after an entity set into a [`Key`].
pub fn key_from_parens(entity: &EntityDef, parens: &Parens) -> Result<Key> {
    match parens {
        Parens::Single(Literal::Guid(g)) => Ok(Key::Id(*g)),
        Parens::Single(other) => Err(Error::new(
            Code::BadRequest,
            format!(
                "Unrecognized 'Edm.String' literal '{}' at '{}' in '{}'.",
                literal_display(other),
                entity.entity_set_name.len() + 1,
                format_args!("{}({})", entity.entity_set_name, literal_display(other))
            ),
        )),
        Parens::Empty => Err(Error::invalid_key(&entity.logical_name)),
        Parens::Named(pairs) => {
            // `accounts(accountid=<guid>)`: the named primary key. systemuser and team
            // don't accept this form (documented).
            if let [(name, Literal::Guid(g))] = pairs.as_slice() {
                if *name == entity.primary_id && !matches!(entity.logical_name.as_str(), "systemuser" | "team") {
                    return Ok(Key::Id(*g));
                }
            }
            let columns: Vec<(String, &Literal)> = pairs
                .iter()
                .map(|(n, l)| {
                    let col = n.strip_prefix('_').and_then(|s| s.strip_suffix("_value")).unwrap_or(n);
                    (col.to_string(), l)
                })
                .collect();
            let def = entity
                .keys
                .iter()
                .find(|k| k.attributes.len() == columns.len() && columns.iter().all(|(c, _)| k.attributes.contains(c)))
                .ok_or_else(|| Error::invalid_key(&entity.logical_name))?;
            let mut typed = Vec::with_capacity(columns.len());
            for (c, l) in &columns {
                typed.push((c.clone(), key_value(entity, c, l)?));
            }
            let values = def
                .attributes
                .iter()
                .map(|a| typed.iter().find(|(c, _)| c == a).map(|(_, v)| v.clone()).unwrap_or(Value::Null))
                .collect();
            Ok(Key::Alternate { key: def.logical_name.clone(), values, columns: typed })
        }
    }
}

/// The record id a locator points at, if the record exists.
pub fn resolve(state: &State, locator: &Locator) -> Option<Uuid> {
    match &locator.key {
        Key::Id(id) => state.get(&locator.entity, *id).map(|r| r.id),
        Key::Alternate { key, values, .. } => state.find_by_key(&locator.entity, key, values),
    }
}

/// The error for a locator that resolves to nothing.
pub fn not_found(locator: &Locator) -> Error {
    match &locator.key {
        Key::Id(id) => Error::not_found(&locator.entity, id),
        Key::Alternate { .. } => Error::new(
            Code::ObjectDoesNotExist,
            format!("A record with the specified key values does not exist in {} entity", locator.entity),
        ),
    }
}

/// Strips the service root from a record URL: absolute (`https://org/api/data/v9.2/x(…)`),
/// server-relative (`/api/data/v9.2/x(…)`), or relative with or without a leading `/`.
pub fn relative_path(url: &str) -> &str {
    let path = match url.find("://") {
        Some(i) => url[i + 3..].find('/').map_or("", |j| &url[i + 3 + j..]),
        None => url,
    };
    if let Some(i) = path.find("/api/data/v") {
        let rest = &path[i + "/api/data/v".len()..];
        return rest.find('/').map_or("", |j| &rest[j + 1..]);
    }
    path.trim_start_matches('/')
}

/// Parses a record URL into a locator (`/contacts(<id>)`, `accounts(accountnumber='A-1')`).
pub fn locator_from_url(metadata: &Metadata, url: &str) -> Result<Locator> {
    let path = relative_path(url.trim());
    if path.starts_with('$') {
        return Err(Error::new(Code::BadRequest, format!("Content-ID Reference: '{path}' does not exist in the batch context.")));
    }
    match by_id(metadata, path) {
        Some(locator) => Ok(locator),
        None => parse_locator(metadata, url, path),
    }
}

/// [`locator_from_url`] through the resource-path parser (`url` is quoted in errors).
fn parse_locator(metadata: &Metadata, url: &str, path: &str) -> Result<Locator> {
    let bad = || Error::new(Code::BadRequest, format!("The URI '{url}' is not a valid reference to a single record."));
    let parsed = odata_parser::parse_resource_path(path).map_err(|_| bad())?;
    let [Segment::Identifier { name, parens: Some(parens) }] = parsed.segments.as_slice() else {
        return Err(bad());
    };
    let entity = metadata.entity_by_set(name).ok_or_else(|| Error::segment_not_found(name))?;
    Ok(Locator { entity: entity.logical_name.clone(), key: key_from_parens(entity, parens)? })
}

/// The common form, `contacts(<hyphenated id>)` of a known set, without the full parser:
/// every bind of a fixture load or a deep insert goes through here. Anything else (keys,
/// braces, unknown sets, stray characters) returns `None` and takes the parser's path,
/// errors included.
fn by_id(metadata: &Metadata, path: &str) -> Option<Locator> {
    let (set, rest) = path.split_once('(')?;
    let id = rest.strip_suffix(')')?;
    let hyphens = id.len() == 36 && id.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() });
    if !hyphens {
        return None;
    }
    let entity = metadata.entity_by_set(set)?;
    Some(Locator { entity: entity.logical_name.clone(), key: Key::Id(Uuid::parse_str(id).ok()?) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut for `set(<id>)` answers exactly what the parser does, and leaves
    /// everything else to it.
    #[test]
    fn by_id_agrees_with_the_parser() {
        let tables = fixtures::DEFAULT_ORG.iter().filter(|(p, _)| p.starts_with("tables/")).map(|(p, t)| (*p, *t));
        let metadata = Metadata::new(crate::metadata::load_tables(tables).unwrap());
        let id = "a0000000-0000-4000-8000-00000000000A";
        for path in [format!("contacts({id})"), format!("accounts({})", id.to_lowercase())] {
            let fast = by_id(&metadata, &path).expect("shortcut");
            let parsed = parse_locator(&metadata, &path, &path).expect("parser");
            assert_eq!((fast.entity, format!("{:?}", fast.key)), (parsed.entity, format!("{:?}", parsed.key)), "{path}");
        }
        for path in [
            format!("contacts({{{id}}})"),
            format!("nosuchset({id})"),
            format!("contacts({id}x)"),
            format!("contacts({})", &id[1..]),
            format!("contacts({})", id.replace('-', "_")),
            "accounts(accountnumber='A-1')".to_string(),
            format!("contacts({id})/parentcustomerid_account"),
        ] {
            assert!(by_id(&metadata, &path).is_none(), "{path}");
        }
    }

    #[test]
    fn record_urls_in_every_form() {
        assert_eq!(relative_path("/contacts(1)"), "contacts(1)");
        assert_eq!(relative_path("contacts(1)"), "contacts(1)");
        assert_eq!(relative_path("http://127.0.0.1:5555/api/data/v9.2/contacts(1)"), "contacts(1)");
        assert_eq!(relative_path("https://org.crm.dynamics.com/api/data/v9.0/contacts(1)"), "contacts(1)");
        assert_eq!(relative_path("/api/data/v9.1/contacts(1)"), "contacts(1)");
    }
}
