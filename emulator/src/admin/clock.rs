//! `/_emulator/clock`: read, freeze, set and advance the org's clock.
//!
//! `GET` answers `{"now", "frozen", "offsetSeconds"}`. `POST` takes any of
//! `{"reset": true, "set": "2026-01-01T00:00:00Z", "advance": "PT1H" | 3600, "freeze": true|false}`,
//! applied in that order, and answers the new state. `DELETE` puts the clock back on its
//! source (the system clock, not frozen).

use bytes::Bytes;
use http::{Request, StatusCode};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::wire;
use crate::error::Result;
use crate::org::{Clock, Org};
use crate::wire::response::Reply;

/// The clock's state as JSON.
fn state(org: &Org) -> Reply {
    let s = org.clock.state();
    wire::json(
        StatusCode::OK,
        &json!({ "org": org.settings.name, "now": s.now.format(&Rfc3339).unwrap_or_default(), "frozen": s.frozen, "offsetSeconds": s.offset_seconds }),
    )
}

/// `GET /_emulator/clock`.
pub fn get(org: &Org) -> Result<Reply> {
    Ok(state(org))
}

/// `DELETE /_emulator/clock`.
pub fn reset(org: &Org) -> Result<Reply> {
    org.clock.reset();
    Ok(state(org))
}

/// `POST /_emulator/clock`. Everything is checked before anything changes.
pub fn change(org: &Org, req: &Request<Bytes>) -> Result<Reply> {
    let body = wire::object(req)?;
    if let Some(other) = body.keys().find(|k| !matches!(k.as_str(), "reset" | "set" | "advance" | "freeze")) {
        return Err(wire::bad_request(format!("Unknown clock setting '{other}'. Use reset, set, advance or freeze.")));
    }
    let reset = match body.get("reset") {
        None | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(v) => return Err(wire::bad_request(format!("'reset' must be true or false, not {v}."))),
    };
    let set = match body.get("set") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            OffsetDateTime::parse(s, &Rfc3339).map_err(|_| wire::bad_request(format!("'set' must be an RFC 3339 date-time like 2026-01-01T00:00:00Z, not '{s}'.")))?,
        ),
        Some(v) => return Err(wire::bad_request(format!("'set' must be an RFC 3339 date-time string, not {v}."))),
    };
    let advance = match body.get("advance") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_f64().filter(|f| f.is_finite() && f.abs() < 1e12).map(Duration::seconds_f64).ok_or_else(|| wire::bad_request(format!("'advance' seconds out of range: {n}.")))?,
        ),
        Some(Value::String(s)) => Some(parse_duration(s)?),
        Some(v) => return Err(wire::bad_request(format!("'advance' must be seconds or an ISO 8601 duration like PT1H, not {v}."))),
    };
    let freeze = match body.get("freeze") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => return Err(wire::bad_request(format!("'freeze' must be true or false, not {v}."))),
    };
    apply(&org.clock, reset, set, advance, freeze);
    Ok(state(org))
}

fn apply(clock: &Clock, reset: bool, set: Option<OffsetDateTime>, advance: Option<Duration>, freeze: Option<bool>) {
    if reset {
        clock.reset();
    }
    if let Some(t) = set {
        clock.set(t);
    }
    if let Some(d) = advance {
        clock.advance(d);
    }
    match freeze {
        Some(true) => clock.freeze(),
        Some(false) => clock.unfreeze(),
        None => {}
    }
}

/// An ISO 8601 duration: `P1D`, `PT1H30M`, `P1W`, `-PT5M`, `PT0.5S`. Years and months
/// are refused: their length depends on the date.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || wire::bad_request(format!("'{text}' is not an ISO 8601 duration like PT1H, P1D or P1DT2H30M (years and months are not accepted)."));
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let rest = rest.strip_prefix(['P', 'p']).ok_or_else(bad)?;
    let (mut total, mut in_time, mut number, mut any) = (0f64, false, String::new(), false);
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            'T' if !in_time && number.is_empty() => in_time = true,
            '0'..='9' | '.' | ',' => number.push(if c == ',' { '.' } else { c }),
            unit => {
                let n: f64 = number.parse().map_err(|_| bad())?;
                number.clear();
                any = true;
                total += n * match (unit, in_time) {
                    ('W', false) => 604_800.0,
                    ('D', false) => 86_400.0,
                    ('H', true) => 3_600.0,
                    ('M', true) => 60.0,
                    ('S', true) => 1.0,
                    _ => return Err(bad()),
                };
            }
        }
    }
    if !number.is_empty() || !any || !total.is_finite() || total > 1e12 {
        return Err(bad());
    }
    Ok(Duration::seconds_f64(if negative { -total } else { total }))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use time::Duration;

    #[test]
    fn parses_iso_durations() {
        assert_eq!(parse_duration("PT1H").unwrap(), Duration::hours(1));
        assert_eq!(parse_duration("P1D").unwrap(), Duration::days(1));
        assert_eq!(parse_duration("P1DT2H30M").unwrap(), Duration::minutes(24 * 60 + 150));
        assert_eq!(parse_duration("P2W").unwrap(), Duration::weeks(2));
        assert_eq!(parse_duration("-PT90S").unwrap(), Duration::seconds(-90));
        assert_eq!(parse_duration("PT0.5S").unwrap(), Duration::milliseconds(500));
        for bad in ["", "P", "PT", "1H", "P1H", "PT1D", "P1Y", "P1M", "PT1", "PTXH"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
