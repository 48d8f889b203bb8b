//! How Dataverse compares and sorts values: strings case-insensitively (SQL collation),
//! SQL `LIKE` wildcards in string functions, nulls first in ascending order.

use std::cmp::Ordering;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::Value;

/// A value reduced to what ordering and equality look at.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    /// Null sorts before everything (SQL Server's ascending order).
    Null,
    /// Booleans, false first.
    Bool(bool),
    /// Every number, compared exactly.
    Number(Decimal),
    /// Doubles outside Decimal's range.
    Float(f64),
    /// Instants (Unix seconds) and dates (Julian day).
    Time(i64),
    /// Text, lower-cased for a case-insensitive comparison.
    Text(String),
    /// GUIDs.
    Guid(uuid::Uuid),
}

impl SortKey {
    /// The key of a stored value. Lookups compare by id here; ordering by a lookup's name
    /// is decided by the query planner.
    pub fn of(value: &Value) -> SortKey {
        match value {
            Value::Null => SortKey::Null,
            Value::String(s) => SortKey::Text(s.to_lowercase()),
            Value::Int(i) | Value::Choice(i) => SortKey::Number(Decimal::from(*i)),
            Value::BigInt(i) => SortKey::Number(Decimal::from(*i)),
            Value::Decimal(d) | Value::Money(d) => SortKey::Number(*d),
            Value::Double(f) => Decimal::from_f64_retain(*f).map_or(SortKey::Float(*f), SortKey::Number),
            Value::Boolean(b) => SortKey::Bool(*b),
            Value::DateTime(t) => SortKey::Time(t.unix_timestamp()),
            Value::Date(d) => SortKey::Time(i64::from(d.to_julian_day()) * 86_400 - 210_866_803_200),
            Value::Guid(g) => SortKey::Guid(*g),
            Value::Lookup(r) => SortKey::Guid(r.id),
            Value::Choices(cs) => SortKey::Text(super::value::choices_text(cs)),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            SortKey::Null => 0,
            SortKey::Bool(_) => 1,
            SortKey::Number(_) | SortKey::Float(_) => 2,
            SortKey::Time(_) => 3,
            SortKey::Text(_) => 4,
            SortKey::Guid(_) => 5,
        }
    }

    /// Total order used for `$orderby` and for comparisons of same-typed values.
    pub fn cmp_key(&self, other: &SortKey) -> Ordering {
        use SortKey::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Bool(a), Bool(b)) => a.cmp(b),
            (Number(a), Number(b)) => a.cmp(b),
            (Float(a), Float(b)) => a.total_cmp(b),
            (Number(a), Float(b)) => a.to_f64().unwrap_or(0.0).total_cmp(b),
            (Float(a), Number(b)) => a.total_cmp(&b.to_f64().unwrap_or(0.0)),
            (Time(a), Time(b)) => a.cmp(b),
            (Text(a), Text(b)) => a.cmp(b),
            (Guid(a), Guid(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

/// SQL `LIKE` over lower-cased text: `%` any run, `_` one character, `[abc]`, `[a-z]`
/// and `[^abc]` one character from (or not from) a set. Dataverse passes the values of
/// `contains`/`startswith`/`endswith` to SQL this way.
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    like_at(&t, &p)
}

fn like_at(t: &[char], p: &[char]) -> bool {
    // Iterative matcher with backtracking to the last `%` (linear in practice).
    let (mut ti, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '%' {
            star = Some((pi, ti));
            pi += 1;
            continue;
        }
        if pi < p.len() {
            if let Some((matched, width)) = one_char(&p[pi..], t[ti]) {
                if matched {
                    ti += 1;
                    pi += width;
                    continue;
                }
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '%')
}

/// Whether the pattern element at the start of `p` matches `c`, and its width.
fn one_char(p: &[char], c: char) -> Option<(bool, usize)> {
    match p.first()? {
        '_' => Some((true, 1)),
        '[' => {
            let end = p.iter().position(|x| *x == ']')?;
            let set = &p[1..end];
            let (negate, set) = match set.first() {
                Some('^') => (true, &set[1..]),
                _ => (false, set),
            };
            let mut found = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == '-' {
                    found |= set[i] <= c && c <= set[i + 2];
                    i += 3;
                } else {
                    found |= set[i] == c;
                    i += 1;
                }
            }
            Some((found != negate, end + 1))
        }
        x => Some((*x == c, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        for (text, pattern, expected) in [
            ("Contoso Ltd", "%contoso%", true),
            ("Contoso Ltd", "contoso%", true),
            ("Contoso Ltd", "%ltd", true),
            ("Contoso Ltd", "%fabrikam%", false),
            ("Contoso", "c_ntoso", true),
            ("Contoso", "[abc]ontoso", true),
            ("Contoso", "[^c]ontoso", false),
            ("Contoso", "[a-d]%", true),
            ("", "%", true),
            ("abc", "", false),
        ] {
            assert_eq!(like(text, pattern), expected, "{text} LIKE {pattern}");
        }
    }

    #[test]
    fn nulls_first_and_case_insensitive_text() {
        let mut keys = vec![SortKey::of(&Value::String("b".into())), SortKey::Null, SortKey::of(&Value::String("A".into()))];
        keys.sort_by(|a, b| a.cmp_key(b));
        assert_eq!(keys, vec![SortKey::Null, SortKey::Text("a".into()), SortKey::Text("b".into())]);
    }
}
