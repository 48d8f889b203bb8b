//! Typed column values. Every value in the store is one of these, checked against the
//! column's type on write; nothing is kept as an untyped string.

use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::LogicalName;

/// A reference to a record of some table (the value of a lookup column).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityRef {
    /// The target table's logical name (interned: a row holds several lookups).
    pub logical_name: LogicalName,
    /// The target record's id.
    pub id: Uuid,
}

/// A column value, by Edm type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// String, Memo, EntityName.
    String(String),
    /// Integer (Edm.Int32).
    Int(i32),
    /// BigInt (Edm.Int64).
    BigInt(i64),
    /// Decimal (Edm.Decimal), rounded to the column's precision.
    Decimal(Decimal),
    /// Double (Edm.Double).
    Double(f64),
    /// Money (Edm.Decimal), rounded to the column's precision.
    Money(Decimal),
    /// Two options.
    Boolean(bool),
    /// DateTime as a UTC instant, whole seconds.
    DateTime(OffsetDateTime),
    /// DateOnly-behaviour date.
    Date(Date),
    /// Uniqueidentifier.
    Guid(Uuid),
    /// Picklist, State or Status option value.
    Choice(i32),
    /// MultiSelectPicklist option values, in the order they were given, each once.
    Choices(Vec<i32>),
    /// Lookup, Customer or Owner.
    Lookup(EntityRef),
}

/// The wire form of multi-select choices: `727000000,727000002`.
pub fn choices_text(values: &[i32]) -> String {
    values.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

impl Value {
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A canonical text form used by the alternate-key index. Dataverse compares keys with
    /// a case-insensitive SQL collation, so strings are lower-cased.
    pub fn key_text(&self) -> Option<String> {
        let mut text = String::new();
        self.write_key_text(&mut text).then_some(text)
    }

    /// [`Value::key_text`] appended to `out` (false, nothing written, for null), so a
    /// caller keying many values can reuse one buffer.
    pub fn write_key_text(&self, out: &mut String) -> bool {
        use std::fmt::Write;
        let _ = match self {
            Value::Null => return false,
            Value::String(s) => {
                out.push_str(&s.to_lowercase());
                Ok(())
            }
            Value::Int(i) | Value::Choice(i) => write!(out, "{i}"),
            Value::BigInt(i) => write!(out, "{i}"),
            Value::Decimal(d) | Value::Money(d) => write!(out, "{}", d.normalize()),
            Value::Double(d) => write!(out, "{d}"),
            Value::Boolean(b) => write!(out, "{b}"),
            Value::DateTime(t) => write!(out, "{}", t.unix_timestamp()),
            Value::Date(d) => write!(out, "{d}"),
            Value::Guid(g) => write!(out, "{g}"),
            Value::Choices(cs) => write!(out, "{}", choices_text(cs)),
            Value::Lookup(r) => write!(out, "{}", r.id),
        };
        true
    }

    /// The referenced record, for lookup values.
    pub fn as_ref(&self) -> Option<&EntityRef> {
        match self {
            Value::Lookup(r) => Some(r),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Value;

    /// Every stored column holds one of these, so its size is most of a row's: a lookup is
    /// an interned table name and an id, and nothing larger may sneak in unboxed.
    #[test]
    fn a_value_is_four_words() {
        assert!(std::mem::size_of::<Value>() <= 32, "Value is {} bytes", std::mem::size_of::<Value>());
    }
}
