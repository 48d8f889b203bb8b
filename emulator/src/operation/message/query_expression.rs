//! A `QueryExpression` as the Web API carries it (BulkDelete's `QuerySet`) → the query
//! engine's [`Predicate`], typed by the columns it names with the `$filter` typing rules.
//!
//! ```json
//! {"@odata.type":"Microsoft.Dynamics.CRM.QueryExpression","EntityName":"account",
//!  "Criteria":{"FilterOperator":"And","Conditions":[{"AttributeName":"accountid",
//!   "Operator":"In","Values":[{"Value":"<guid>","Type":"System.Guid"}]}],"Filters":[]}}
//! ```

use std::sync::Arc;

use odata_parser::ast::Literal;
use serde_json::Value as Json;

use crate::error::{Code, Error, Result};
use crate::metadata::{AttributeDef, AttributeType, EntityDef, Metadata};
use crate::query::filter::typed_literal;
use crate::query::predicate::{CmpOp, ColumnRef, Operand, Predicate};
use crate::store::SortKey;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidArgument, message)
}

/// The table a query expression reads and the rows it selects.
pub(super) fn resolve(metadata: &Metadata, query: &Json) -> Result<(Arc<EntityDef>, Predicate)> {
    let name = query.get("EntityName").and_then(Json::as_str).ok_or_else(|| invalid("The query expression has no EntityName."))?;
    let entity = metadata
        .entity(name)
        .cloned()
        .ok_or_else(|| invalid(format!("The entity with a name = '{name}' with namemapping = 'Logical' was not found in the MetadataCache.")))?;
    let predicate = match query.get("Criteria").filter(|c| !c.is_null()) {
        Some(criteria) => filter(&entity, criteria)?,
        None => Predicate::Const(true),
    };
    Ok((entity, predicate))
}

fn filter(entity: &EntityDef, json: &Json) -> Result<Predicate> {
    let or = match json.get("FilterOperator") {
        None | Some(Json::Null) => false,
        Some(Json::String(s)) if s == "And" => false,
        Some(Json::String(s)) if s == "Or" => true,
        Some(Json::Number(n)) => n.as_i64() == Some(1),
        Some(other) => return Err(invalid(format!("'{other}' is not a valid FilterOperator."))),
    };
    let mut parts = Vec::new();
    for c in json.get("Conditions").and_then(Json::as_array).into_iter().flatten() {
        parts.push(condition(entity, c)?);
    }
    for f in json.get("Filters").and_then(Json::as_array).into_iter().flatten() {
        parts.push(filter(entity, f)?);
    }
    Ok(match (parts.len(), or) {
        (0, _) => Predicate::Const(true),
        (1, _) => parts.remove(0),
        (_, false) => Predicate::And(parts),
        (_, true) => Predicate::Or(parts),
    })
}

/// A condition value: `{"Value": …, "Type": "System.Guid"}` or the bare value.
fn literal(attr: &AttributeDef, json: &Json) -> Literal {
    let raw = match json {
        Json::Object(m) => m.get("Value").unwrap_or(&Json::Null),
        other => other,
    };
    match raw {
        Json::Null => Literal::Null,
        Json::Bool(b) => Literal::Boolean(*b),
        Json::Number(n) => n.as_i64().map_or_else(|| Literal::Decimal(n.to_string()), Literal::Integer),
        Json::String(s) => match attr.kind {
            k if k == AttributeType::Uniqueidentifier || k.is_lookup() => uuid::Uuid::parse_str(s).map_or_else(|_| Literal::String(s.clone()), Literal::Guid),
            AttributeType::DateTime => Literal::DateTimeOffset(s.clone()),
            AttributeType::Boolean => Literal::Boolean(s == "true" || s == "1"),
            AttributeType::Integer | AttributeType::Picklist | AttributeType::State | AttributeType::Status | AttributeType::BigInt => {
                s.parse().map_or_else(|_| Literal::String(s.clone()), Literal::Integer)
            }
            AttributeType::Decimal | AttributeType::Money | AttributeType::Double => Literal::Decimal(s.clone()),
            _ => Literal::String(s.clone()),
        },
        other => Literal::String(other.to_string()),
    }
}

fn condition(entity: &EntityDef, json: &Json) -> Result<Predicate> {
    let name = json.get("AttributeName").and_then(Json::as_str).ok_or_else(|| invalid("A condition has no AttributeName."))?;
    let attr = entity.attribute(name).ok_or_else(|| {
        Error::new(Code::BadRequest, format!("'{}' entity doesn't contain attribute with Name = '{name}'.", entity.logical_name))
    })?;
    let operator = match json.get("Operator") {
        Some(Json::String(s)) => s.as_str(),
        _ => "Equal",
    };
    let values: Vec<_> = json
        .get("Values")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|v| typed_literal(attr, &literal(attr, v)))
        .collect::<Result<_>>()?;
    let column = ColumnRef::direct(&attr.logical_name);
    let one = |op: CmpOp| -> Result<Predicate> {
        match values.as_slice() {
            [v] => Ok(Predicate::Compare { left: Operand::Column(column.clone()), op, right: Operand::Value(v.clone()) }),
            _ => Err(invalid(format!("The ConditionOperator.{operator} requires 1 value, not {}.", values.len()))),
        }
    };
    let like = |pattern: String, negate: bool| {
        let p = Predicate::Like { column: column.clone(), pattern };
        if negate { Predicate::Not(Box::new(p)) } else { p }
    };
    let text = || match values.as_slice() {
        [crate::store::Value::String(s)] => Ok(s.clone()),
        _ => Err(invalid(format!("The ConditionOperator.{operator} requires 1 text value."))),
    };
    let null = |is_null: bool| Predicate::Compare {
        left: Operand::Column(column.clone()),
        op: if is_null { CmpOp::Eq } else { CmpOp::Ne },
        right: Operand::Value(crate::store::Value::Null),
    };
    Ok(match operator {
        "Equal" => one(CmpOp::Eq)?,
        "NotEqual" => one(CmpOp::Ne)?,
        "GreaterThan" => one(CmpOp::Gt)?,
        "GreaterEqual" => one(CmpOp::Ge)?,
        "LessThan" => one(CmpOp::Lt)?,
        "LessEqual" => one(CmpOp::Le)?,
        "Null" => null(true),
        "NotNull" => null(false),
        "In" | "NotIn" => {
            let p = Predicate::In { column: column.clone(), values: values.iter().map(SortKey::of).collect() };
            if operator == "In" { p } else { Predicate::Not(Box::new(p)) }
        }
        "Like" => like(text()?, false),
        "NotLike" => like(text()?, true),
        "BeginsWith" => like(format!("{}%", text()?), false),
        "DoesNotBeginWith" => like(format!("{}%", text()?), true),
        "EndsWith" => like(format!("%{}", text()?), false),
        "DoesNotEndWith" => like(format!("%{}", text()?), true),
        "Between" | "NotBetween" => {
            let [low, high] = values.as_slice() else {
                return Err(invalid(format!("The ConditionOperator.{operator} requires 2 values, not {}.", values.len())));
            };
            let col = || Operand::Column(column.clone());
            let p = Predicate::And(vec![
                Predicate::Compare { left: col(), op: CmpOp::Ge, right: Operand::Value(low.clone()) },
                Predicate::Compare { left: col(), op: CmpOp::Le, right: Operand::Value(high.clone()) },
            ]);
            if operator == "Between" { p } else { Predicate::Not(Box::new(p)) }
        }
        other => return Err(Error::new(Code::NotSupported, format!("The condition operator '{other}' is not emulated yet."))),
    })
}
