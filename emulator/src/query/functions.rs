//! The `Microsoft.Dynamics.CRM.*` query functions, each compiled to an ordinary
//! [`Predicate`] at plan time: relative dates become ranges from the emulator's clock,
//! user functions become the caller's ids, hierarchy functions follow the table's
//! hierarchical relationship.

use odata_parser::ast::expr::{Args, Expr};
use odata_parser::ast::Literal;
use uuid::Uuid;

use super::dates::{self, Range};
use super::filter::{column, text_literal, typed_literal, typed_values, Column};
use super::predicate::{CmpOp, Hierarchy, Operand, Predicate};
use super::Scope;
use crate::error::{Code, Error, Result};
use crate::metadata::EntityDef;
use crate::store::{SortKey, Value};

fn bad(message: impl Into<String>) -> Error {
    Error::new(Code::BadRequest, message)
}

/// The named parameters of a call, aliases resolved.
struct Params<'a> {
    function: &'a str,
    pairs: Vec<(String, Literal)>,
}

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&Literal> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, l)| l)
    }

    fn require(&self, name: &str) -> Result<&Literal> {
        self.get(name).ok_or_else(|| bad(format!("The function '{}' requires the parameter '{name}'.", self.function)))
    }

    fn integer(&self, name: &str) -> Result<i64> {
        match self.require(name)? {
            Literal::Integer(i) => Ok(*i),
            Literal::String(s) => s.trim().parse().map_err(|_| bad(format!("The parameter '{name}' of '{}' must be a whole number.", self.function))),
            _ => Err(bad(format!("The parameter '{name}' of '{}' must be a whole number.", self.function))),
        }
    }
}

fn range_predicate(c: &Column<'_>, r: Range) -> Predicate {
    let mut parts = Vec::new();
    if let Some(from) = r.from {
        parts.push(Predicate::Compare { left: Operand::Column(c.reference.clone()), op: CmpOp::Ge, right: Operand::Value(Value::DateTime(from)) });
    }
    if let Some(to) = r.to {
        parts.push(Predicate::Compare { left: Operand::Column(c.reference.clone()), op: CmpOp::Lt, right: Operand::Value(Value::DateTime(to)) });
    }
    Predicate::And(parts)
}

fn equals(c: &Column<'_>, v: Value) -> Predicate {
    Predicate::Compare { left: Operand::Column(c.reference.clone()), op: CmpOp::Eq, right: Operand::Value(v) }
}

fn one_of(c: &Column<'_>, ids: &[Uuid]) -> Predicate {
    Predicate::In { column: c.reference.clone(), values: ids.iter().map(|id| SortKey::Guid(*id)).collect() }
}

fn not_null(c: &Column<'_>) -> Predicate {
    Predicate::Compare { left: Operand::Column(c.reference.clone()), op: CmpOp::Ne, right: Operand::Value(Value::Null) }
}

/// Resolves `Microsoft.Dynamics.CRM.<name>(PropertyName='…', …)`.
pub fn resolve<'m>(scope: &Scope<'m>, entity: &'m EntityDef, name: &str, args: &Args) -> Result<Predicate> {
    let Args::Named(named) = args else {
        return Err(bad(format!("The function 'Microsoft.Dynamics.CRM.{name}' takes named parameters.")));
    };
    let mut pairs = Vec::with_capacity(named.len());
    for (n, e) in named {
        let literal = match e {
            Expr::Literal(Literal::Alias(a)) => match scope.alias(a)? {
                super::filter::AliasValue::Literal(l) => l,
                super::filter::AliasValue::Path(p) => Literal::String(p.join("/")),
            },
            Expr::Literal(l) => l.clone(),
            _ => return Err(bad(format!("The parameter '{n}' of 'Microsoft.Dynamics.CRM.{name}' must be a literal."))),
        };
        pairs.push((n.clone(), literal));
    }
    let p = Params { function: name, pairs };
    let Literal::String(property) = p.require("PropertyName")? else {
        return Err(bad("PropertyName must be a string literal."));
    };
    let mut path: Vec<String> = property.split('/').map(str::to_string).collect();
    // The documented form names a lookup by its logical name (PropertyName='ownerid').
    if let [name] = path.as_slice() {
        if entity.property(name).is_none() && entity.attribute(name).is_some_and(|a| a.kind.is_lookup()) {
            path = vec![format!("_{name}_value")];
        }
    }
    let c = column(scope, entity, &path)?;
    let now = scope.now;
    let fiscal = scope.fiscal_start_month;
    if let Some(r) = dates::named(name, now, fiscal) {
        return Ok(range_predicate(&c, r));
    }
    if dates::counted(name, 0, now, fiscal).is_some() {
        let x = p.integer("PropertyValue")?;
        if x < 0 {
            return Err(bad(format!("The parameter 'PropertyValue' of '{name}' must not be negative.")));
        }
        return Ok(range_predicate(&c, dates::counted(name, x, now, fiscal).unwrap_or(Range { from: None, to: None })));
    }
    let day = |l: &Literal| -> Result<time::Date> {
        let text = match l {
            Literal::Date(s) | Literal::DateTimeOffset(s) | Literal::String(s) => s.clone(),
            _ => return Err(bad(format!("The parameter 'PropertyValue' of '{name}' must be a date."))),
        };
        crate::wire::input::parse_date_time(&text).map(|t| t.date()).ok_or_else(|| bad(format!("'{text}' is not a valid date.")))
    };
    let at = |d: time::Date| d.midnight().assume_utc();
    let next = |d: time::Date| d.next_day().unwrap_or(d);
    Ok(match name {
        "On" => {
            let d = day(p.require("PropertyValue")?)?;
            range_predicate(&c, Range { from: Some(at(d)), to: Some(at(next(d))) })
        }
        "OnOrAfter" => range_predicate(&c, Range { from: Some(at(day(p.require("PropertyValue")?)?)), to: None }),
        "OnOrBefore" => range_predicate(&c, Range { from: None, to: Some(at(next(day(p.require("PropertyValue")?)?))) }),
        "InFiscalYear" => {
            let y = i32::try_from(p.integer("PropertyValue")?).map_err(|_| bad("The fiscal year is out of range."))?;
            let start = dates::fiscal_period_start(y, 1, fiscal);
            range_predicate(&c, Range { from: Some(at(start)), to: Some(at(dates::add_months(start, 12))) })
        }
        "InFiscalPeriod" | "InFiscalPeriodAndYear" | "InOrAfterFiscalPeriodAndYear" | "InOrBeforeFiscalPeriodAndYear" => {
            let (period, year) = if name == "InFiscalPeriod" {
                (p.integer("PropertyValue")?, i64::from(dates::fiscal_year(now.date(), fiscal).0))
            } else {
                (p.integer("PropertyValue1")?, p.integer("PropertyValue2")?)
            };
            if !(1..=4).contains(&period) {
                return Err(bad(format!("The fiscal period {period} is out of range (1-4).")));
            }
            let start = dates::fiscal_period_start(i32::try_from(year).map_err(|_| bad("The fiscal year is out of range."))?, period as i32, fiscal);
            let end = dates::add_months(start, 3);
            let r = match name {
                "InOrAfterFiscalPeriodAndYear" => Range { from: Some(at(start)), to: None },
                "InOrBeforeFiscalPeriodAndYear" => Range { from: None, to: Some(at(end)) },
                _ => Range { from: Some(at(start)), to: Some(at(end)) },
            };
            range_predicate(&c, r)
        }
        "In" | "NotIn" => {
            let values = property_values(&p, &c)?;
            let in_ = Predicate::In { column: c.reference.clone(), values };
            if name == "In" { in_ } else { Predicate::And(vec![Predicate::Not(Box::new(in_)), not_null(&c)]) }
        }
        "Between" | "NotBetween" => {
            let values = property_values(&p, &c)?;
            let [low, high] = values.as_slice() else {
                return Err(bad(format!("The function '{name}' requires exactly two PropertyValues.")));
            };
            let bound = |op, k: &SortKey| Predicate::Compare { left: Operand::Column(c.reference.clone()), op, right: Operand::Value(key_value(k)) };
            if name == "Between" {
                Predicate::And(vec![bound(CmpOp::Ge, low), bound(CmpOp::Le, high)])
            } else {
                Predicate::Or(vec![bound(CmpOp::Lt, low), bound(CmpOp::Gt, high)])
            }
        }
        "EqualUserId" => equals(&c, Value::Guid(scope.caller)),
        "NotEqualUserId" => Predicate::Not(Box::new(equals(&c, Value::Guid(scope.caller)))),
        "EqualBusinessId" => equals(&c, Value::Guid(scope.business_unit)),
        "NotEqualBusinessId" => Predicate::Not(Box::new(equals(&c, Value::Guid(scope.business_unit)))),
        "EqualUserLanguage" => equals(&c, Value::Int(scope.user_language)),
        "EqualUserTeams" => one_of(&c, &scope.caller_teams()),
        "EqualUserOrUserTeams" => one_of(&c, &[vec![scope.caller], scope.caller_teams()].concat()),
        "EqualUserOrUserHierarchy" => one_of(&c, &scope.caller_hierarchy()),
        "EqualUserOrUserHierarchyAndTeams" => one_of(&c, &[scope.caller_hierarchy(), scope.caller_teams()].concat()),
        "Above" | "AboveOrEqual" | "Under" | "UnderOrEqual" | "NotUnder" => {
            let parent_attribute = entity
                .many_to_one
                .iter()
                .find(|r| r.is_hierarchical && r.referenced_entity == entity.logical_name)
                .map(|r| r.referencing_attribute.clone())
                .ok_or_else(|| bad(format!("The table '{}' has no hierarchical relationship.", entity.logical_name)))?;
            let anchor = match typed_literal(c.attr, &text_or_literal(&c, p.require("PropertyValue")?))? {
                Value::Guid(g) => g,
                _ => return Err(bad(format!("The function '{name}' needs a record id as PropertyValue."))),
            };
            let h = |direction, or_equal| Predicate::Hierarchy { parent_attribute: parent_attribute.clone(), anchor, direction, or_equal };
            match name {
                "Above" => h(Hierarchy::Above, false),
                "AboveOrEqual" => h(Hierarchy::Above, true),
                "Under" => h(Hierarchy::Under, false),
                "UnderOrEqual" => h(Hierarchy::Under, true),
                _ => Predicate::Not(Box::new(h(Hierarchy::Under, true))),
            }
        }
        "ContainValues" | "DoesNotContainValues" => {
            if c.attr.kind != crate::metadata::AttributeType::MultiSelectPicklist {
                return Err(bad(format!("The function '{name}' applies to multi-select choice columns; '{}' is not one.", c.attr.logical_name)));
            }
            let contains = Predicate::ContainValues { column: c.reference.clone(), values: choice_values(&p, name)? };
            if name == "ContainValues" { contains } else { Predicate::Not(Box::new(contains)) }
        }
        other => return Err(bad(format!("An unknown function with name 'Microsoft.Dynamics.CRM.{other}' was found."))),
    })
}

fn text_or_literal(c: &Column<'_>, l: &Literal) -> Literal {
    match l {
        Literal::String(s) => text_literal(c.attr, s),
        other => other.clone(),
    }
}

/// The option values of `ContainValues(PropertyName='x',PropertyValues=['1','2'])`: JSON
/// numbers or strings holding numbers.
fn choice_values(p: &Params<'_>, name: &str) -> Result<Vec<i32>> {
    let json = match p.require("PropertyValues")? {
        Literal::Json(text) => text.clone(),
        _ => return Err(bad("PropertyValues must be a JSON array.")),
    };
    let parsed: serde_json::Value = serde_json::from_str(&json)
        .or_else(|_| serde_json::from_str(&json.replace('\'', "\"")))
        .map_err(|e| bad(format!("Invalid JSON. {e}")))?;
    let items = parsed.as_array().ok_or_else(|| bad("Invalid JSON. PropertyValues must be an array."))?;
    items
        .iter()
        .map(|v| {
            let n = v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            n.and_then(|n| i32::try_from(n).ok()).ok_or_else(|| bad(format!("The function '{name}' takes option values; '{v}' is not one.")))
        })
        .collect()
}

/// `PropertyValues=["a","b"]`, typed for the column.
fn property_values(p: &Params<'_>, c: &Column<'_>) -> Result<Vec<SortKey>> {
    let json = match p.require("PropertyValues")? {
        Literal::Json(text) => text.clone(),
        _ => return Err(bad("PropertyValues must be a JSON array.")),
    };
    // Dataverse accepts single-quoted strings in this array too.
    let parsed: serde_json::Value = serde_json::from_str(&json)
        .or_else(|_| serde_json::from_str(&json.replace('\'', "\"")))
        .map_err(|e| bad(format!("Invalid JSON. {e}")))?;
    let serde_json::Value::Array(items) = parsed else {
        return Err(bad("Invalid JSON. PropertyValues must be an array."));
    };
    typed_values(c.attr, &items)
}

/// The value a sort key came from, for bounds (only numbers, text, times and ids occur).
fn key_value(k: &SortKey) -> Value {
    match k {
        SortKey::Null => Value::Null,
        SortKey::Bool(b) => Value::Boolean(*b),
        SortKey::Number(d) => Value::Decimal(*d),
        SortKey::Float(f) => Value::Double(*f),
        SortKey::Time(t) => time::OffsetDateTime::from_unix_timestamp(*t).map_or(Value::Null, Value::DateTime),
        SortKey::Text(s) => Value::String(s.clone()),
        SortKey::Guid(g) => Value::Guid(*g),
    }
}
