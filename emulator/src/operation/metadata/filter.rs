//! `$filter` over metadata definitions. Definitions are JSON objects, not store records, so
//! this is a small evaluator over `serde_json` values rather than the query engine: member
//! paths walk into the object (`RequiredLevel/Value`, `DisplayName/UserLocalizedLabel/Label`),
//! literals become JSON, and `eq ne gt ge lt le and or not`, `contains`, `startswith`,
//! `endswith`, `tolower` and `toupper` work on strings, numbers, booleans and null.
//!
//! String comparisons ignore case, as Dataverse's metadata queries do for names
//! (`SchemaName eq 'account'` finds `Account`). Enum literals
//! (`Microsoft.Dynamics.CRM.OwnershipTypes'UserOwned'`) compare as their member name.
//! Property names are checked against the type's list ([`check`]) before any item is
//! evaluated, so an unknown name is a 400 even when the collection is empty.

use std::cmp::Ordering;

use odata_parser::ast::expr::{Args, BinaryOp, Expr, FunctionCall};
use odata_parser::ast::Literal;
use serde_json::{Map, Value as Json};

use super::query::MetaType;
use crate::error::{Code, Error, Result};

fn bad(message: impl Into<String>) -> Error {
    Error::new(Code::BadRequest, message)
}

/// Checks that every property path starts with a structural property of `ty`.
pub(super) fn check(expr: &Expr, ty: &MetaType) -> Result<()> {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Member(m) => {
                let first = &m.segments[0];
                if !ty.has_property(first) {
                    return Err(Error::property_not_found(ty.name, first));
                }
            }
            Expr::Binary { left, right, .. } => stack.extend([left.as_ref(), right.as_ref()]),
            Expr::Not(inner) => stack.push(inner),
            Expr::Call(FunctionCall { args: Args::Positional(args), .. }) => stack.extend(args),
            Expr::Call(FunctionCall { args: Args::Named(args), .. }) => stack.extend(args.iter().map(|(_, e)| e)),
            Expr::Lambda(l) => return Err(bad(format!("Lambda operators ('{}/any', '/all') are not supported in metadata queries.", l.collection.segments.join("/")))),
            Expr::Literal(_) => {}
        }
    }
    Ok(())
}

/// Whether `item` satisfies `expr`.
pub(super) fn matches(expr: &Expr, item: &Map<String, Json>) -> Result<bool> {
    match value(expr, item)? {
        Json::Bool(b) => Ok(b),
        Json::Null => Ok(false),
        _ => Err(bad("The $filter expression must evaluate to a Boolean.")),
    }
}

/// Evaluates an operand or condition to a JSON value.
fn value(expr: &Expr, item: &Map<String, Json>) -> Result<Json> {
    match expr {
        Expr::Literal(l) => literal(l),
        Expr::Member(m) => {
            let mut current = item;
            let (last, init) = m.segments.split_last().ok_or_else(|| Error::internal("empty member path"))?;
            for seg in init {
                match current.get(seg) {
                    Some(Json::Object(inner)) => current = inner,
                    Some(Json::Null) => return Ok(Json::Null),
                    Some(_) => return Err(bad(format!("The property '{seg}' has no properties of its own."))),
                    None => return Err(Error::property_not_found(type_of(current), seg)),
                }
            }
            current.get(last).cloned().ok_or_else(|| Error::property_not_found(type_of(current), last))
        }
        Expr::Binary { op: op @ (BinaryOp::And | BinaryOp::Or), .. } => {
            // Iterative, so that long `a or b or c …` chains don't recurse once per term.
            let mut stack = vec![expr];
            let mut leaves = Vec::new();
            while let Some(e) = stack.pop() {
                match e {
                    Expr::Binary { op: o, left, right } if o == op => stack.extend([right.as_ref(), left.as_ref()]),
                    other => leaves.push(other),
                }
            }
            for leaf in leaves {
                let hit = matches(leaf, item)?;
                if hit == (*op == BinaryOp::Or) {
                    return Ok(Json::Bool(hit));
                }
            }
            Ok(Json::Bool(*op == BinaryOp::And))
        }
        Expr::Binary { op, left, right } => Ok(Json::Bool(compare(*op, &value(left, item)?, &value(right, item)?)?)),
        Expr::Not(inner) => Ok(Json::Bool(!matches(inner, item)?)),
        Expr::Call(call) => function(call, item),
        Expr::Lambda(_) => Err(bad("Lambda operators are not supported in metadata queries.")),
    }
}

fn literal(l: &Literal) -> Result<Json> {
    Ok(match l {
        Literal::Null => Json::Null,
        Literal::Boolean(b) => Json::Bool(*b),
        Literal::Integer(i) => Json::from(*i),
        Literal::Decimal(text) => text.parse::<f64>().map(Json::from).map_err(|_| bad(format!("'{text}' is not a valid number.")))?,
        Literal::String(s) => Json::String(s.clone()),
        Literal::Guid(g) => Json::String(g.to_string()),
        Literal::Enum { value, .. } => Json::String(value.clone()),
        Literal::DateTimeOffset(s) | Literal::Date(s) => Json::String(s.clone()),
        Literal::Alias(_) | Literal::Json(_) => return Err(bad("Parameter aliases and JSON literals are not supported in metadata queries.")),
    })
}

/// The Edm type of a JSON value, for type-mismatch messages.
fn edm(v: &Json) -> &'static str {
    match v {
        Json::Bool(_) => "Edm.Boolean",
        Json::Number(n) if n.is_i64() => "Edm.Int32",
        Json::Number(_) => "Edm.Double",
        Json::String(_) => "Edm.String",
        Json::Null => "null",
        Json::Array(_) => "Collection",
        Json::Object(o) => type_of(o),
    }
}

/// The metadata complex type an object is, told apart by its properties (for messages).
fn type_of(o: &Map<String, Json>) -> &'static str {
    if o.contains_key("LocalizedLabels") {
        "Label"
    } else if o.contains_key("LanguageCode") {
        "LocalizedLabel"
    } else if o.contains_key("CanBeChanged") {
        match o.get("Value") {
            Some(Json::Bool(_)) => "BooleanManagedProperty",
            _ => "AttributeRequiredLevelManagedProperty",
        }
    } else {
        "ComplexType"
    }
}

fn kind_name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Eq => "Equal",
        BinaryOp::Ne => "NotEqual",
        BinaryOp::Gt => "GreaterThan",
        BinaryOp::Ge => "GreaterThanOrEqual",
        BinaryOp::Lt => "LessThan",
        BinaryOp::Le => "LessThanOrEqual",
        BinaryOp::And => "And",
        BinaryOp::Or => "Or",
    }
}

/// A comparison. Null equals only null and orders with nothing; other mixed types are
/// the client's mistake, reported as ODL reports it.
fn compare(op: BinaryOp, l: &Json, r: &Json) -> Result<bool> {
    let ordering = match (l, r) {
        (Json::Null, Json::Null) => Some(Ordering::Equal),
        (Json::Null, _) | (_, Json::Null) => None,
        (Json::Bool(a), Json::Bool(b)) => Some(a.cmp(b)),
        (Json::Number(a), Json::Number(b)) => a.as_f64().zip(b.as_f64()).and_then(|(a, b)| a.partial_cmp(&b)),
        (Json::String(a), Json::String(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        _ => {
            return Err(bad(format!(
                "A binary operator with incompatible types was detected. Found operand types '{}' and '{}' for operator kind '{}'.",
                edm(l),
                edm(r),
                kind_name(op)
            )))
        }
    };
    Ok(match op {
        BinaryOp::Eq => ordering == Some(Ordering::Equal),
        BinaryOp::Ne => ordering != Some(Ordering::Equal),
        BinaryOp::Gt => ordering == Some(Ordering::Greater),
        BinaryOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
        BinaryOp::Lt => ordering == Some(Ordering::Less),
        BinaryOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
        BinaryOp::And | BinaryOp::Or => return Err(Error::internal("logical operator reached comparison")),
    })
}

fn function(call: &FunctionCall, item: &Map<String, Json>) -> Result<Json> {
    let Args::Positional(args) = &call.args else {
        return Err(bad(format!("An unknown function with name '{}' was found.", call.name)));
    };
    let strings = |n: usize| -> Result<Vec<Option<String>>> {
        if args.len() != n {
            return Err(bad(format!("The function '{}' takes {n} argument(s).", call.name)));
        }
        args.iter()
            .map(|a| match value(a, item)? {
                Json::String(s) => Ok(Some(s.to_lowercase())),
                Json::Null => Ok(None),
                other => Err(bad(format!("No function signature for the function with name '{}' matches an argument of type '{}'.", call.name, edm(&other)))),
            })
            .collect()
    };
    let test = |f: fn(&str, &str) -> bool| -> Result<Json> {
        Ok(match strings(2)?.as_slice() {
            [Some(a), Some(b)] => Json::Bool(f(a, b)),
            _ => Json::Bool(false),
        })
    };
    match call.name.as_str() {
        "contains" => test(|a, b| a.contains(b)),
        "startswith" => test(|a, b| a.starts_with(b)),
        "endswith" => test(|a, b| a.ends_with(b)),
        // Comparisons ignore case already, so lowering and uppering only need to keep the text.
        "tolower" | "toupper" => Ok(strings(1)?.pop().flatten().map_or(Json::Null, Json::String)),
        other => Err(bad(format!("An unknown function with name '{other}' was found."))),
    }
}
