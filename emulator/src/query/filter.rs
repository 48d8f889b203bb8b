//! `$filter` → [`Predicate`]: names resolved against metadata, literals typed by the
//! column they meet, and Dataverse's refusals raised before anything runs.

use odata_parser::ast::expr::{Args, BinaryOp, Expr, FunctionCall, Lambda, MemberPath, Quantifier};
use odata_parser::ast::Literal;

use super::functions;
use super::predicate::{CmpOp, ColumnRef, Operand, Predicate, Related};
use super::Scope;
use crate::error::{Code, Error, Result};
use crate::metadata::{AttributeDef, AttributeType, DateTimeKind, EntityDef, Navigation};
use crate::store::{SortKey, Value};
use crate::wire::input::{parse_date, parse_date_time};

/// A resolved column with its definition (for typing literals).
#[derive(Debug, Clone)]
pub struct Column<'a> {
    /// How to read it.
    pub reference: ColumnRef,
    /// Its definition.
    pub attr: &'a AttributeDef,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(Code::BadRequest, message)
}

/// Resolves a member path to a column of `entity` (through single-valued navigation).
pub fn column<'m>(scope: &Scope<'m>, entity: &'m EntityDef, path: &[String]) -> Result<Column<'m>> {
    let (last, hops) = path.split_last().ok_or_else(|| bad("An empty property path is not valid."))?;
    let mut current = entity;
    let mut hop_attrs = Vec::new();
    for nav in hops {
        match current.navigation(scope.metadata, nav) {
            Some(Navigation::Single(single)) => {
                let target = single
                    .target
                    .as_deref()
                    .and_then(|t| scope.metadata.entity(t))
                    .ok_or_else(|| bad(format!("The navigation property '{nav}' can't be followed in a filter; it has no single target table.")))?;
                hop_attrs.push(single.attribute.clone());
                current = target;
            }
            Some(_) => return Err(bad(format!("The navigation property '{nav}' is collection-valued; use any() or all()."))),
            None => return Err(Error::property_not_found(&current.logical_name, nav)),
        }
    }
    let attr = current.property(last).ok_or_else(|| Error::property_not_found(&current.logical_name, last))?;
    Ok(Column { reference: ColumnRef { link: None, hops: hop_attrs, attribute: attr.logical_name.clone() }, attr })
}

/// Types a literal for comparison with `attr`.
pub fn typed_literal(attr: &AttributeDef, literal: &Literal) -> Result<Value> {
    typed_literal_for(attr, literal, CmpOp::Eq)
}

/// The OData library's name for an operator, as its type-mismatch message spells it.
fn operator_kind(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "Equal",
        CmpOp::Ne => "NotEqual",
        CmpOp::Gt => "GreaterThan",
        CmpOp::Ge => "GreaterThanOrEqual",
        CmpOp::Lt => "LessThan",
        CmpOp::Le => "LessThanOrEqual",
    }
}

/// Types a literal compared with `attr` by `op`.
fn typed_literal_for(attr: &AttributeDef, literal: &Literal, op: CmpOp) -> Result<Value> {
    let mismatch = || {
        bad(format!(
            "A binary operator with incompatible types was detected. Found operand types '{}' and '{}' for operator kind '{}'.",
            attr.kind.edm_type(),
            literal_edm(literal),
            operator_kind(op)
        ))
    };
    use AttributeType as T;
    Ok(match (attr.kind, literal) {
        (_, Literal::Null) => Value::Null,
        (T::String | T::Memo | T::EntityName | T::Virtual, Literal::String(s)) => Value::String(s.clone()),
        // `choices eq '1,2'` compares the whole selection, in its stored text form.
        (T::MultiSelectPicklist, Literal::String(s)) => Value::Choices(crate::wire::input::parse_choices(s).ok_or_else(mismatch)?),
        (T::Integer | T::Picklist | T::State | T::Status | T::BigInt | T::Decimal | T::Money | T::Double, Literal::Integer(i)) => {
            Value::Decimal(rust_decimal::Decimal::from(*i))
        }
        (T::Integer | T::Picklist | T::State | T::Status | T::BigInt | T::Decimal | T::Money | T::Double, Literal::Decimal(d)) => Value::Decimal(
            rust_decimal::Decimal::from_str_exact(d).or_else(|_| rust_decimal::Decimal::from_scientific(d)).map_err(|_| mismatch())?,
        ),
        (T::Boolean, Literal::Boolean(b)) => Value::Boolean(*b),
        (T::DateTime, Literal::DateTimeOffset(s) | Literal::Date(s)) => match attr.date_kind {
            Some(DateTimeKind::DateOnly) => Value::Date(parse_date(&s[..s.len().min(10)]).ok_or_else(mismatch)?),
            _ => Value::DateTime(parse_date_time(s).ok_or_else(mismatch)?),
        },
        (T::Uniqueidentifier | T::Lookup | T::Customer | T::Owner, Literal::Guid(g)) => Value::Guid(*g),
        _ => return Err(mismatch()),
    })
}

fn literal_edm(l: &Literal) -> &'static str {
    match l {
        Literal::Null => "null",
        Literal::Boolean(_) => "Edm.Boolean",
        Literal::Integer(_) => "Edm.Int32",
        Literal::Decimal(_) => "Edm.Decimal",
        Literal::String(_) => "Edm.String",
        Literal::Guid(_) => "Edm.Guid",
        Literal::DateTimeOffset(_) => "Edm.DateTimeOffset",
        Literal::Date(_) => "Edm.Date",
        Literal::Alias(_) | Literal::Enum { .. } | Literal::Json(_) => "Edm.Untyped",
    }
}

/// An operand before typing: a column, or a literal still waiting for the column it meets.
enum Raw<'m> {
    Column(Column<'m>),
    Literal(Literal),
}

fn raw<'m>(scope: &Scope<'m>, entity: &'m EntityDef, expr: &Expr) -> Result<Raw<'m>> {
    match expr {
        Expr::Member(m) => member(scope, entity, m).map(Raw::Column),
        Expr::Literal(Literal::Alias(name)) => match scope.alias(name)? {
            AliasValue::Literal(l) => Ok(Raw::Literal(l)),
            AliasValue::Path(p) => column(scope, entity, &p).map(Raw::Column),
        },
        Expr::Literal(l) => Ok(Raw::Literal(l.clone())),
        _ => Err(bad("A comparison operand must be a property or a literal.")),
    }
}

fn member<'m>(scope: &Scope<'m>, entity: &'m EntityDef, m: &MemberPath) -> Result<Column<'m>> {
    match (&scope.lambda, m.segments.split_first()) {
        (Some((var, lambda_entity)), Some((first, rest))) if first == var => column(scope, lambda_entity, rest),
        _ => column(scope, entity, &m.segments),
    }
}

/// What a parameter alias stands for.
pub enum AliasValue {
    /// A literal value.
    Literal(Literal),
    /// A property path (`@p1=name`).
    Path(Vec<String>),
}

fn cmp_op(op: BinaryOp) -> Option<CmpOp> {
    Some(match op {
        BinaryOp::Eq => CmpOp::Eq,
        BinaryOp::Ne => CmpOp::Ne,
        BinaryOp::Gt => CmpOp::Gt,
        BinaryOp::Ge => CmpOp::Ge,
        BinaryOp::Lt => CmpOp::Lt,
        BinaryOp::Le => CmpOp::Le,
        BinaryOp::And | BinaryOp::Or => return None,
    })
}

/// Resolves a `$filter` expression over `entity`.
pub fn resolve<'m>(scope: &Scope<'m>, entity: &'m EntityDef, expr: &Expr) -> Result<Predicate> {
    match expr {
        Expr::Binary { op: op @ (BinaryOp::And | BinaryOp::Or), .. } => {
            // Flatten `a or b or c …` iteratively: clients send filters with thousands of
            // terms (64 KB URLs in a batch), and recursing once per term overflows the stack.
            let mut leaves = Vec::new();
            let mut stack = vec![expr];
            while let Some(e) = stack.pop() {
                match e {
                    Expr::Binary { op: o, left, right } if o == op => {
                        stack.push(right);
                        stack.push(left);
                    }
                    other => leaves.push(resolve(scope, entity, other)?),
                }
            }
            Ok(if *op == BinaryOp::And { Predicate::And(leaves) } else { Predicate::Or(leaves) })
        }
        Expr::Binary { op, left, right } => {
            let op = cmp_op(*op).ok_or_else(|| Error::internal("logical operator reached comparison"))?;
            let (l, r) = (raw(scope, entity, left)?, raw(scope, entity, right)?);
            let (left, right) = match (l, r) {
                (Raw::Column(a), Raw::Column(b)) => (Operand::Column(a.reference), Operand::Column(b.reference)),
                (Raw::Column(c), Raw::Literal(lit)) => (Operand::Column(c.reference), Operand::Value(typed_literal_for(c.attr, &lit, op)?)),
                (Raw::Literal(lit), Raw::Column(c)) => (Operand::Value(typed_literal_for(c.attr, &lit, op)?), Operand::Column(c.reference)),
                (Raw::Literal(_), Raw::Literal(_)) => return Err(bad("A comparison needs at least one property.")),
            };
            Ok(Predicate::Compare { left, op, right })
        }
        Expr::Not(inner) => {
            if let Expr::Call(c) = inner.as_ref() {
                if c.name.starts_with("Microsoft.Dynamics.CRM.") {
                    return Err(bad("Not operator along with the Custom Named Condition operators is not allowed"));
                }
            }
            Ok(Predicate::Not(Box::new(resolve(scope, entity, inner)?)))
        }
        Expr::Call(call) => resolve_call(scope, entity, call),
        Expr::Lambda(lambda) => resolve_lambda(scope, entity, lambda),
        Expr::Member(m) => {
            // A bare boolean column: `$filter=donotemail`.
            let c = member(scope, entity, m)?;
            if c.attr.kind != AttributeType::Boolean {
                return Err(bad(format!("The property '{}' is not a Boolean and can't be used as a condition.", c.attr.logical_name)));
            }
            Ok(Predicate::Compare { left: Operand::Column(c.reference), op: CmpOp::Eq, right: Operand::Value(Value::Boolean(true)) })
        }
        Expr::Literal(Literal::Boolean(b)) => Ok(Predicate::Const(*b)),
        Expr::Literal(_) => Err(bad("The $filter expression must evaluate to a Boolean.")),
    }
}

fn resolve_call<'m>(scope: &Scope<'m>, entity: &'m EntityDef, call: &FunctionCall) -> Result<Predicate> {
    if let Some(name) = call.name.strip_prefix("Microsoft.Dynamics.CRM.") {
        return functions::resolve(scope, entity, name, &call.args);
    }
    let (wrap_start, wrap_end) = match call.name.as_str() {
        "contains" => ("%", "%"),
        "startswith" => ("", "%"),
        "endswith" => ("%", ""),
        other => return Err(bad(format!("An unknown function with name '{other}' was found."))),
    };
    let Args::Positional(args) = &call.args else {
        return Err(bad(format!("The function '{}' takes two positional arguments.", call.name)));
    };
    let [target, value] = args.as_slice() else {
        return Err(bad(format!("The function '{}' takes two arguments.", call.name)));
    };
    let Raw::Column(c) = raw(scope, entity, target)? else {
        return Err(bad(format!("The first argument of '{}' must be a property.", call.name)));
    };
    if !matches!(c.attr.kind, AttributeType::String | AttributeType::Memo | AttributeType::EntityName) {
        return Err(bad(format!("No function signature for the function with name '{}' matches the specified arguments.", call.name)));
    }
    let text = match raw(scope, entity, value)? {
        Raw::Literal(Literal::String(s)) => s,
        _ => return Err(bad(format!("The second argument of '{}' must be a string literal.", call.name))),
    };
    Ok(Predicate::Like { column: c.reference, pattern: format!("{wrap_start}{text}{wrap_end}") })
}

fn resolve_lambda<'m>(scope: &Scope<'m>, entity: &'m EntityDef, lambda: &Lambda) -> Result<Predicate> {
    let [nav] = lambda.collection.segments.as_slice() else {
        return Err(bad("any() and all() are only supported on a collection-valued navigation property of the queried table."));
    };
    let (related, other) = match entity.navigation(scope.metadata, nav) {
        Some(Navigation::OneToMany(rel)) => (
            Related::OneToMany { entity: rel.referencing_entity.clone(), attribute: rel.referencing_attribute.clone() },
            rel.referencing_entity.clone(),
        ),
        Some(Navigation::ManyToMany { rel, other }) => (
            Related::ManyToMany { relationship: rel.schema_name.clone(), other: other.to_string(), this_is_entity1: rel.entity1 == entity.logical_name },
            other.to_string(),
        ),
        Some(Navigation::Single(_)) => return Err(bad(format!("The navigation property '{nav}' is single-valued; any() and all() need a collection."))),
        None => return Err(Error::property_not_found(&entity.logical_name, nav)),
    };
    let other_def = scope.metadata.entity(&other).ok_or_else(|| Error::internal("lambda table"))?;
    let predicate = match &lambda.predicate {
        None => None,
        Some(p) => {
            let inner = Scope { lambda: Some((p.variable.clone(), other_def)), ..scope.clone() };
            Some(Box::new(resolve(&inner, other_def, &p.body)?))
        }
    };
    Ok(Predicate::Lambda { related, all: lambda.quantifier == Quantifier::All, predicate })
}

/// Types a list of values (from `PropertyValues=[…]`) for a column; Dataverse sends them
/// as JSON strings even for numbers.
pub fn typed_values(attr: &AttributeDef, values: &[serde_json::Value]) -> Result<Vec<SortKey>> {
    values
        .iter()
        .map(|v| {
            let literal = match v {
                serde_json::Value::String(s) => text_literal(attr, s),
                serde_json::Value::Number(n) => odata_parser::parse_literal(&n.to_string()).map_err(Error::from)?,
                serde_json::Value::Bool(b) => Literal::Boolean(*b),
                serde_json::Value::Null => Literal::Null,
                _ => return Err(bad("Invalid JSON. A value in PropertyValues must be a string or a number.")),
            };
            typed_literal(attr, &literal).map(|v| SortKey::of(&v))
        })
        .collect()
}

/// A text value given for a column, read as the column's literal type.
pub fn text_literal(attr: &AttributeDef, s: &str) -> Literal {
    use AttributeType as T;
    match attr.kind {
        T::String | T::Memo | T::EntityName | T::Virtual => Literal::String(s.to_string()),
        _ => odata_parser::parse_literal(s).unwrap_or_else(|_| Literal::String(s.to_string())),
    }
}
