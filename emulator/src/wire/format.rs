//! `OData.Community.Display.V1.FormattedValue` strings, as the real service renders them
//! for a user with the default English (United States) settings and UTC time zone.

use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};

use crate::metadata::{AttributeDef, AttributeType, DateTimeKind};
use crate::store::Value;

/// Groups the integer part with commas: `1234567` → `1,234,567`.
fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats a decimal with `scale` places and thousands separators.
pub fn number(value: Decimal, scale: u32) -> String {
    let rounded = value.round_dp(scale);
    let text = format!("{:.*}", scale as usize, rounded.abs());
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{}.{f}", group_thousands(int)),
        None => format!("{sign}{}", group_thousands(int)),
    }
}

/// `$1,500,000.00`
pub fn money(value: Decimal, symbol: &str, precision: u32) -> String {
    let n = number(value.abs(), precision);
    if value.is_sign_negative() && !value.is_zero() {
        format!("-{symbol}{n}")
    } else {
        format!("{symbol}{n}")
    }
}

/// `4/18/2023 1:00 PM`
pub fn date_time(t: OffsetDateTime) -> String {
    let (h, ampm) = match t.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!("{} {}:{:02} {ampm}", date(t.date()), h, t.minute())
}

/// `4/18/2023`
pub fn date(d: Date) -> String {
    format!("{}/{}/{}", u8::from(d.month()), d.day(), d.year())
}

/// The formatted value of a column, when Dataverse gives one. Lookups are formatted by
/// the caller (they need the referenced record's primary name).
pub fn formatted(attr: &AttributeDef, value: &Value, currency_symbol: &str) -> Option<String> {
    Some(match value {
        Value::Choice(v) => attr.option(*v)?.label.clone(),
        Value::Choices(vs) => vs.iter().map(|v| attr.option(*v).map_or_else(|| v.to_string(), |o| o.label.clone())).collect::<Vec<_>>().join("; "),
        Value::Boolean(b) => {
            let wanted = i32::from(*b);
            attr.option(wanted).map(|o| o.label.clone()).unwrap_or_else(|| if *b { "Yes".into() } else { "No".into() })
        }
        Value::Money(m) => money(*m, currency_symbol, attr.precision.unwrap_or(2)),
        Value::DateTime(t) => match attr.date_kind {
            Some(DateTimeKind::DateOnlyUserLocal) => date(t.date()),
            _ => date_time(*t),
        },
        Value::Date(d) => date(*d),
        Value::Int(i) if attr.kind == AttributeType::Integer => number(Decimal::from(*i), 0),
        Value::Decimal(d) => number(*d, attr.precision.unwrap_or(2)),
        Value::Double(d) => {
            let dec = Decimal::from_f64_retain(*d)?;
            number(dec, attr.precision.unwrap_or(2))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn numbers_and_money() {
        assert_eq!(number(Decimal::new(1234567, 0), 0), "1,234,567");
        assert_eq!(number(Decimal::new(-12345, 1), 2), "-1,234.50");
        assert_eq!(money(Decimal::new(80000, 0), "$", 2), "$80,000.00");
        assert_eq!(money(Decimal::new(-5, 1), "$", 2), "-$0.50");
        assert_eq!(number(Decimal::new(999, 0), 0), "999");
    }

    #[test]
    fn dates_like_the_generated_trace() {
        assert_eq!(date_time(datetime!(2023-04-18 13:00 UTC)), "4/18/2023 1:00 PM");
        assert_eq!(date_time(datetime!(2023-04-07 00:05 UTC)), "4/7/2023 12:05 AM");
        assert_eq!(date_time(datetime!(2023-04-07 12:59 UTC)), "4/7/2023 12:59 PM");
    }
}
