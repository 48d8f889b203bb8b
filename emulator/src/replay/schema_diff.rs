//! `diff-schema A B`: the tables, columns and option values that differ between two
//! schemas, e.g. an org's before and after a solution deployment.
//!
//! Each side is read into fixture-shaped tables whatever it was saved as (a fixture
//! directory's `tables/`, a `$metadata` CSDL document, or an EntityDefinitions dump), through
//! the same import as `import-schema`, so the two sides are compared in one vocabulary.
//! A column property is compared only when both sides can state it: a CSDL says nothing
//! about required levels or value ranges, and that silence is not a difference.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as Json;

use super::csdl_import::read_csdl;
use super::schema_import::{import, import_with_csdl, tables_in};

/// Column properties compared between the two sides.
const COMPARED: [&str; 7] = ["AttributeType", "MaxLength", "Precision", "RequiredLevel", "Targets", "MinValue", "MaxValue"];
/// The ones a CSDL document states.
const IN_CSDL: [&str; 4] = ["AttributeType", "MaxLength", "Precision", "Targets"];

/// One difference, from A to B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// A table only B has.
    TableAdded(String),
    /// A table only A has.
    TableRemoved(String),
    /// `(table, column, type)`: a column only B has.
    ColumnAdded(String, String, String),
    /// `(table, column, type)`: a column only A has.
    ColumnRemoved(String, String, String),
    /// `(table, column, property, A's value, B's value)`.
    ColumnChanged(String, String, String, String, String),
    /// `(table.column, value, label)`: an option only B has.
    OptionAdded(String, i64, String),
    /// `(table.column, value, label)`: an option only A has.
    OptionRemoved(String, i64, String),
    /// `(table.column, value, A's label, B's label)`.
    OptionRelabelled(String, i64, String, String),
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::TableAdded(t) => write!(f, "+ table {t}"),
            Difference::TableRemoved(t) => write!(f, "- table {t}"),
            Difference::ColumnAdded(t, c, ty) => write!(f, "+ column {t}.{c} ({ty})"),
            Difference::ColumnRemoved(t, c, ty) => write!(f, "- column {t}.{c} ({ty})"),
            Difference::ColumnChanged(t, c, p, a, b) => write!(f, "~ column {t}.{c}: {p} {a} -> {b}"),
            Difference::OptionAdded(c, v, l) => write!(f, "+ option {c} {v} {l:?}"),
            Difference::OptionRemoved(c, v, l) => write!(f, "- option {c} {v} {l:?}"),
            Difference::OptionRelabelled(c, v, a, b) => write!(f, "~ option {c} {v}: {a:?} -> {b:?}"),
        }
    }
}

/// One side: fixture tables by logical name, and whether they came from a CSDL document.
#[derive(Debug, Default)]
pub struct Schema {
    pub tables: BTreeMap<String, Json>,
    pub from_csdl: bool,
}

/// Reads one side: a fixture directory (its `tables/`), a CSDL document or an
/// EntityDefinitions dump (told apart by their first character).
pub fn load_schema(path: &Path) -> Result<Schema, String> {
    let shown = path.display();
    if path.is_dir() {
        let files = crate::org::read_fixture_dir(path).map_err(|e| format!("{shown}: {e}"))?;
        let tables: Vec<Json> = files
            .iter()
            .filter(|(p, _)| p.starts_with("tables/"))
            .map(|(p, t)| serde_json::from_str(t).map_err(|e| format!("{shown}/{p}: {e}")))
            .collect::<Result<_, _>>()?;
        if tables.is_empty() {
            return Err(format!("{shown}: a fixture directory with no tables/"));
        }
        return Ok(Schema { tables: import(tables, None).tables, from_csdl: false });
    }
    let text = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    let first = text.iter().find(|b| !b.is_ascii_whitespace() && !matches!(b, 0xEF | 0xBB | 0xBF));
    match first {
        Some(b'<') => {
            let csdl = read_csdl(&text[..], |_, _| {}).map_err(|e| format!("{shown}: {e}"))?;
            Ok(Schema { tables: import_with_csdl(Some(csdl), Vec::new(), None).tables, from_csdl: true })
        }
        Some(b'{' | b'[') => {
            let dump = serde_json::from_slice(&text).map_err(|e| format!("{shown}: {e}"))?;
            Ok(Schema { tables: import(tables_in(dump), None).tables, from_csdl: false })
        }
        _ => Err(format!("{shown}: neither a fixture directory, a $metadata document nor an EntityDefinitions export")),
    }
}

fn columns(table: &Json) -> BTreeMap<&str, &Json> {
    table.get("Attributes").and_then(Json::as_array).into_iter().flatten().filter_map(|a| Some((a.get("LogicalName")?.as_str()?, a))).collect()
}

fn options(column: &Json) -> BTreeMap<i64, String> {
    let list = column.pointer("/OptionSet/Options").and_then(Json::as_array);
    list.into_iter().flatten().filter_map(|o| Some((o.get("Value")?.as_i64()?, o.get("Label").and_then(Json::as_str).unwrap_or_default().to_string()))).collect()
}

fn shown(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every difference from `a` to `b`, table by table in name order.
pub fn diff(a: &Schema, b: &Schema) -> Vec<Difference> {
    let mut out = Vec::new();
    let compared: &[&str] = if a.from_csdl || b.from_csdl { &IN_CSDL } else { &COMPARED };
    let names: std::collections::BTreeSet<&String> = a.tables.keys().chain(b.tables.keys()).collect();
    for name in names {
        let (ta, tb) = match (a.tables.get(name), b.tables.get(name)) {
            (Some(ta), Some(tb)) => (ta, tb),
            (Some(_), None) => {
                out.push(Difference::TableRemoved(name.clone()));
                continue;
            }
            _ => {
                out.push(Difference::TableAdded(name.clone()));
                continue;
            }
        };
        let (ca, cb) = (columns(ta), columns(tb));
        let column_names: std::collections::BTreeSet<&str> = ca.keys().chain(cb.keys()).copied().collect();
        for c in column_names {
            let type_of = |col: &Json| col.get("AttributeType").map(shown).unwrap_or_default();
            let (x, y) = match (ca.get(c), cb.get(c)) {
                (Some(x), Some(y)) => (*x, *y),
                (Some(x), None) => {
                    out.push(Difference::ColumnRemoved(name.clone(), c.to_string(), type_of(x)));
                    continue;
                }
                (None, Some(y)) => {
                    out.push(Difference::ColumnAdded(name.clone(), c.to_string(), type_of(y)));
                    continue;
                }
                (None, None) => continue,
            };
            for property in compared {
                if let (Some(va), Some(vb)) = (x.get(property), y.get(property)) {
                    if va != vb {
                        out.push(Difference::ColumnChanged(name.clone(), c.to_string(), property.to_string(), shown(va), shown(vb)));
                    }
                }
            }
            // Options are compared only when both sides list them (a CSDL lists none for
            // choices that are plain `Edm.Int32` properties).
            if x.get("OptionSet").is_none() || y.get("OptionSet").is_none() {
                continue;
            }
            let (oa, ob) = (options(x), options(y));
            let qualified = format!("{name}.{c}");
            let values: std::collections::BTreeSet<&i64> = oa.keys().chain(ob.keys()).collect();
            for v in values {
                match (oa.get(v), ob.get(v)) {
                    (Some(la), Some(lb)) if la != lb => out.push(Difference::OptionRelabelled(qualified.clone(), *v, la.clone(), lb.clone())),
                    (Some(la), None) => out.push(Difference::OptionRemoved(qualified.clone(), *v, la.clone())),
                    (None, Some(lb)) => out.push(Difference::OptionAdded(qualified.clone(), *v, lb.clone())),
                    _ => {}
                }
            }
        }
    }
    out
}
