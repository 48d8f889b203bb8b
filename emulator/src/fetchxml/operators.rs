//! `<condition operator="…">` → [`Predicate`], over one table's record.
//!
//! The comparison and text operators map onto the predicate forms `$filter` uses; every
//! other operator is the FetchXML spelling of a `Microsoft.Dynamics.CRM.*` query function
//! (`last-x-days` is `LastXDays`), so it is compiled by the same code as the OData
//! function and the two languages cannot drift apart.

use odata_parser::ast::expr::{Args, Expr};
use odata_parser::ast::Literal;

use super::ast::Condition;
use crate::error::{Code, Error, Result};
use crate::metadata::{AttributeDef, AttributeType, EntityDef};
use crate::query::filter::{text_literal, typed_literal};
use crate::query::functions;
use crate::query::predicate::{CmpOp, ColumnRef, Operand, Predicate};
use crate::query::Scope;
use crate::store::{SortKey, Value};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidArgument, message)
}

/// `'account' entity doesn't contain attribute with Name = 'x' and NameMapping = 'Logical'.`
pub fn no_attribute(entity: &str, attribute: &str) -> Error {
    Error::new(Code::QueryBuilderNoAttribute, format!("'{entity}' entity doesn't contain attribute with Name = '{attribute}' and NameMapping = 'Logical'."))
}

/// A column of `entity` by logical name.
pub fn attribute<'m>(entity: &'m EntityDef, name: &str) -> Result<&'m AttributeDef> {
    entity.attribute(name).ok_or_else(|| no_attribute(&entity.logical_name, name))
}

/// The FetchXML operators that are query functions, with the function's name.
fn function_name(operator: &str) -> Option<&'static str> {
    Some(match operator {
        "yesterday" => "Yesterday",
        "today" => "Today",
        "tomorrow" => "Tomorrow",
        "last-seven-days" => "Last7Days",
        "next-seven-days" => "Next7Days",
        "last-week" => "LastWeek",
        "this-week" => "ThisWeek",
        "next-week" => "NextWeek",
        "last-month" => "LastMonth",
        "this-month" => "ThisMonth",
        "next-month" => "NextMonth",
        "last-year" => "LastYear",
        "this-year" => "ThisYear",
        "next-year" => "NextYear",
        "on" => "On",
        "on-or-before" => "OnOrBefore",
        "on-or-after" => "OnOrAfter",
        "last-x-hours" => "LastXHours",
        "next-x-hours" => "NextXHours",
        "last-x-days" => "LastXDays",
        "next-x-days" => "NextXDays",
        "last-x-weeks" => "LastXWeeks",
        "next-x-weeks" => "NextXWeeks",
        "last-x-months" => "LastXMonths",
        "next-x-months" => "NextXMonths",
        "last-x-years" => "LastXYears",
        "next-x-years" => "NextXYears",
        "olderthan-x-minutes" => "OlderThanXMinutes",
        "olderthan-x-hours" => "OlderThanXHours",
        "olderthan-x-days" => "OlderThanXDays",
        "olderthan-x-weeks" => "OlderThanXWeeks",
        "olderthan-x-months" => "OlderThanXMonths",
        "olderthan-x-years" => "OlderThanXYears",
        "eq-userid" => "EqualUserId",
        "ne-userid" => "NotEqualUserId",
        "eq-userteams" => "EqualUserTeams",
        "eq-useroruserteams" => "EqualUserOrUserTeams",
        "eq-useroruserhierarchy" => "EqualUserOrUserHierarchy",
        "eq-useroruserhierarchyandteams" => "EqualUserOrUserHierarchyAndTeams",
        "eq-businessid" => "EqualBusinessId",
        "ne-businessid" => "NotEqualBusinessId",
        "eq-userlanguage" => "EqualUserLanguage",
        "this-fiscal-year" => "ThisFiscalYear",
        "this-fiscal-period" => "ThisFiscalPeriod",
        "next-fiscal-year" => "NextFiscalYear",
        "next-fiscal-period" => "NextFiscalPeriod",
        "last-fiscal-year" => "LastFiscalYear",
        "last-fiscal-period" => "LastFiscalPeriod",
        "last-x-fiscal-years" => "LastXFiscalYears",
        "last-x-fiscal-periods" => "LastXFiscalPeriods",
        "next-x-fiscal-years" => "NextXFiscalYears",
        "next-x-fiscal-periods" => "NextXFiscalPeriods",
        "in-fiscal-year" => "InFiscalYear",
        "in-fiscal-period" => "InFiscalPeriod",
        "in-fiscal-period-and-year" => "InFiscalPeriodAndYear",
        "in-or-before-fiscal-period-and-year" => "InOrBeforeFiscalPeriodAndYear",
        "in-or-after-fiscal-period-and-year" => "InOrAfterFiscalPeriodAndYear",
        "above" => "Above",
        "eq-or-above" => "AboveOrEqual",
        "under" => "Under",
        "eq-or-under" => "UnderOrEqual",
        "not-under" => "NotUnder",
        "contain-values" => "ContainValues",
        "not-contain-values" => "DoesNotContainValues",
        _ => return None,
    })
}

/// Functions that take no value.
fn valueless(function: &str) -> bool {
    !matches!(
        function,
        "On" | "OnOrBefore" | "OnOrAfter" | "InFiscalYear" | "InFiscalPeriod" | "InFiscalPeriodAndYear" | "InOrBeforeFiscalPeriodAndYear" | "InOrAfterFiscalPeriodAndYear"
            | "Above" | "AboveOrEqual" | "Under" | "UnderOrEqual" | "NotUnder" | "ContainValues" | "DoesNotContainValues"
    ) && !function.contains('X')
}

/// The condition's values: the `value` attribute, else the `<value>` children.
fn values(c: &Condition) -> Vec<&str> {
    match &c.value {
        Some(v) if c.values.is_empty() => vec![v.as_str()],
        _ => c.values.iter().map(String::as_str).collect(),
    }
}

fn one_value(c: &Condition) -> Result<&str> {
    match values(c).as_slice() {
        [v] => Ok(v),
        [] => Err(invalid(format!("The condition operator '{}' on '{}' requires a value.", c.operator, c.attribute))),
        _ => Err(invalid(format!("The condition operator '{}' on '{}' takes one value.", c.operator, c.attribute))),
    }
}

/// Types the text of a FetchXML value for `attr`.
pub fn typed(attr: &AttributeDef, text: &str) -> Result<Value> {
    let text = text.trim_matches(|c: char| c.is_whitespace() && attr.kind != AttributeType::String);
    if attr.kind == AttributeType::Boolean {
        return match text {
            "1" | "true" | "True" => Ok(Value::Boolean(true)),
            "0" | "false" | "False" => Ok(Value::Boolean(false)),
            other => Err(invalid(format!("'{other}' is not a valid value for the Boolean column '{}'.", attr.logical_name))),
        };
    }
    typed_literal(attr, &text_literal(attr, text)).map_err(|_| invalid(format!("'{text}' is not a valid value for the column '{}' of type {:?}.", attr.logical_name, attr.kind)))
}

/// Escapes LIKE wildcards in literal text.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '%' | '_' | '[' => {
                out.push('[');
                out.push(ch);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// Compiles one condition over `entity`'s own columns. `value_of` columns of other
/// link-entities are resolved by `other` (alias → column reference).
pub fn condition(scope: &Scope<'_>, entity: &EntityDef, c: &Condition, other: &dyn Fn(&str, &str) -> Result<ColumnRef>) -> Result<Predicate> {
    let attr = attribute(entity, &c.attribute)?;
    let column = ColumnRef::direct(&attr.logical_name);
    let compare = |op: CmpOp, value: Value| Predicate::Compare { left: Operand::Column(column.clone()), op, right: Operand::Value(value) };
    let op = c.operator.as_str();
    let cmp = match op {
        "eq" => Some(CmpOp::Eq),
        "ne" | "neq" => Some(CmpOp::Ne),
        "gt" => Some(CmpOp::Gt),
        "ge" => Some(CmpOp::Ge),
        "lt" => Some(CmpOp::Lt),
        "le" => Some(CmpOp::Le),
        _ => None,
    };
    if let Some(cmp) = cmp {
        if let Some(target) = &c.value_of {
            let right = match target.split_once('.') {
                Some((alias, col)) => other(alias, col)?,
                None => ColumnRef::direct(&attribute(entity, target)?.logical_name),
            };
            return Ok(Predicate::Compare { left: Operand::Column(column), op: cmp, right: Operand::Column(right) });
        }
        let value = typed(attr, one_value(c)?)?;
        if value.is_null() {
            return Err(invalid(format!("The condition operator '{op}' needs a value; use 'null' or 'not-null' to test for no value.")));
        }
        // `ne` keeps SQL semantics: a null column is neither equal nor unequal.
        return Ok(compare(cmp, value));
    }
    let text_column = || {
        if matches!(attr.kind, AttributeType::String | AttributeType::Memo | AttributeType::EntityName) {
            Ok(())
        } else {
            Err(invalid(format!("The condition operator '{op}' applies to text columns; '{}' is not one.", attr.logical_name)))
        }
    };
    let like = |pattern: String| Predicate::Like { column: column.clone(), pattern };
    Ok(match op {
        "like" => {
            text_column()?;
            like(one_value(c)?.to_string())
        }
        "not-like" => {
            text_column()?;
            Predicate::Not(Box::new(like(one_value(c)?.to_string())))
        }
        "begins-with" | "not-begin-with" | "ends-with" | "not-end-with" => {
            text_column()?;
            let text = like_literal(one_value(c)?);
            let p = if op.contains("begin") { like(format!("{text}%")) } else { like(format!("%{text}")) };
            if op.starts_with("not-") { Predicate::Not(Box::new(p)) } else { p }
        }
        "in" | "not-in" => {
            let vs = values(c);
            if vs.is_empty() {
                return Err(invalid(format!("The condition operator '{op}' on '{}' requires at least one value.", c.attribute)));
            }
            let keys = vs.iter().map(|v| typed(attr, v).map(|v| SortKey::of(&v))).collect::<Result<Vec<_>>>()?;
            let p = Predicate::In { column: column.clone(), values: keys };
            if op == "in" { p } else { Predicate::Not(Box::new(p)) }
        }
        "between" | "not-between" => {
            let vs = values(c);
            let [low, high] = vs.as_slice() else {
                return Err(invalid(format!("The condition operator '{op}' on '{}' requires exactly two values.", c.attribute)));
            };
            let (low, high) = (typed(attr, low)?, typed(attr, high)?);
            if op == "between" {
                Predicate::And(vec![compare(CmpOp::Ge, low), compare(CmpOp::Le, high)])
            } else {
                Predicate::Or(vec![compare(CmpOp::Lt, low), compare(CmpOp::Gt, high)])
            }
        }
        "null" => compare(CmpOp::Eq, Value::Null),
        "not-null" => compare(CmpOp::Ne, Value::Null),
        _ => {
            let function = function_name(op).ok_or_else(|| invalid(format!("The condition operator '{op}' is not valid.")))?;
            function_condition(scope, entity, attr, c, function)?
        }
    })
}

/// A query-function operator, through [`functions::resolve`].
fn function_condition(scope: &Scope<'_>, entity: &EntityDef, attr: &AttributeDef, c: &Condition, function: &str) -> Result<Predicate> {
    let text = |s: &str| Expr::Literal(Literal::String(s.to_string()));
    let mut args = vec![("PropertyName".to_string(), text(&attr.logical_name))];
    let vs = values(c);
    match function {
        f if valueless(f) => {
            if !vs.is_empty() && vs.iter().any(|v| !v.is_empty()) {
                return Err(invalid(format!("The condition operator '{}' doesn't take a value.", c.operator)));
            }
        }
        "InFiscalPeriodAndYear" | "InOrBeforeFiscalPeriodAndYear" | "InOrAfterFiscalPeriodAndYear" => {
            let [period, year] = vs.as_slice() else {
                return Err(invalid(format!("The condition operator '{}' requires two values: the period and the year.", c.operator)));
            };
            args.push(("PropertyValue1".to_string(), text(period)));
            args.push(("PropertyValue2".to_string(), text(year)));
        }
        "ContainValues" | "DoesNotContainValues" => {
            let json = serde_json::to_string(&vs).unwrap_or_default();
            args.push(("PropertyValues".to_string(), Expr::Literal(Literal::Json(json))));
        }
        _ => args.push(("PropertyValue".to_string(), text(one_value(c)?))),
    }
    functions::resolve(scope, entity, function, &Args::Named(args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_xsd_operator_is_known() {
        let xsd = "eq neq ne gt ge le lt like not-like in not-in between not-between null not-null yesterday today tomorrow last-seven-days next-seven-days last-week this-week next-week last-month this-month next-month on on-or-before on-or-after last-year this-year next-year last-x-hours next-x-hours last-x-days next-x-days last-x-weeks next-x-weeks last-x-months next-x-months olderthan-x-months olderthan-x-years olderthan-x-weeks olderthan-x-days olderthan-x-hours olderthan-x-minutes last-x-years next-x-years eq-userid ne-userid eq-userteams eq-useroruserteams eq-useroruserhierarchy eq-useroruserhierarchyandteams eq-businessid ne-businessid eq-userlanguage this-fiscal-year this-fiscal-period next-fiscal-year next-fiscal-period last-fiscal-year last-fiscal-period last-x-fiscal-years last-x-fiscal-periods next-x-fiscal-years next-x-fiscal-periods in-fiscal-year in-fiscal-period in-fiscal-period-and-year in-or-before-fiscal-period-and-year in-or-after-fiscal-period-and-year begins-with not-begin-with ends-with not-end-with under eq-or-under not-under above eq-or-above contain-values not-contain-values";
        let direct = ["eq", "neq", "ne", "gt", "ge", "le", "lt", "like", "not-like", "in", "not-in", "between", "not-between", "null", "not-null", "begins-with", "not-begin-with", "ends-with", "not-end-with"];
        for op in xsd.split_whitespace() {
            assert!(direct.contains(&op) || function_name(op).is_some(), "{op}");
        }
    }

    #[test]
    fn like_literal_escapes_wildcards() {
        assert_eq!(like_literal("50%_[x"), "50[%][_][[]x");
        assert!(crate::store::like("50%_[x", &format!("{}%", like_literal("50%_["))));
        assert!(!crate::store::like("50a_[x", &format!("{}%", like_literal("50%"))));
    }
}
