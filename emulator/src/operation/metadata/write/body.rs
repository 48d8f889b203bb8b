//! Reading metadata request bodies: the JSON object, `Label`s and managed properties.

use serde_json::{Map, Value as Json};

use crate::error::{Code, Error, Result};

/// The request body as a JSON object, or Dataverse's payload error.
pub(super) fn object(body: &[u8], type_name: &str) -> Result<Map<String, Json>> {
    match serde_json::from_slice::<Json>(body) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(_) => Err(Error::payload(type_name, "The request body must be a JSON object.")),
        Err(e) => Err(Error::payload(type_name, e)),
    }
}

/// A string property.
pub(super) fn string<'a>(map: &'a Map<String, Json>, name: &str) -> Option<&'a str> {
    map.get(name).and_then(Json::as_str)
}

/// A required string property.
pub(super) fn required<'a>(map: &'a Map<String, Json>, name: &str, type_name: &str) -> Result<&'a str> {
    string(map, name).filter(|s| !s.is_empty()).ok_or_else(|| {
        Error::new(Code::InvalidArgument, format!("The {name} of the {type_name} is required."))
    })
}

/// The derived type a body names in `@odata.type`, without `#` or namespace:
/// `StringAttributeMetadata`. The `Complex…` shapes of `CreateEntities` map to the plain ones.
pub(super) fn odata_type(map: &Map<String, Json>) -> Option<String> {
    let t = string(map, "@odata.type")?;
    let t = t.trim_start_matches('#');
    let t = t.strip_prefix("Microsoft.Dynamics.CRM.").unwrap_or(t);
    Some(t.strip_prefix("Complex").unwrap_or(t).to_string())
}

/// What a `Label` property says: `Some(Some(text))` for a label with text (the English one,
/// else the first), `Some(None)` for an empty label, `None` when the property is absent.
pub(super) fn label(map: &Map<String, Json>, name: &str) -> Option<Option<String>> {
    let label = map.get(name)?;
    let localized = label.get("LocalizedLabels").and_then(Json::as_array);
    let text = |l: &Json| l.get("Label").and_then(Json::as_str).map(str::to_string);
    let english = localized.and_then(|ls| ls.iter().find(|l| l.get("LanguageCode").and_then(Json::as_i64) == Some(1033)));
    Some(
        english
            .or_else(|| localized.and_then(|ls| ls.first()))
            .and_then(text)
            .or_else(|| label.get("UserLocalizedLabel").and_then(text))
            .filter(|t| !t.is_empty()),
    )
}

/// A label to store on update: the body's text; with `MSCRM.MergeLabels: true` a label the
/// body leaves empty keeps the current text (Dataverse merges by language), without it the
/// label is replaced by what was sent.
pub(super) fn merged_label(map: &Map<String, Json>, name: &str, current: Option<String>, merge: bool) -> Option<String> {
    match label(map, name) {
        None => current,
        Some(Some(text)) => Some(text),
        Some(None) if merge => current,
        Some(None) => None,
    }
}

/// The value of a managed or enum-valued property: `{"Value": x}` or a bare `x`.
pub(super) fn value<'a>(map: &'a Map<String, Json>, name: &str) -> Option<&'a Json> {
    let v = map.get(name)?;
    match v {
        Json::Object(o) => o.get("Value"),
        other => Some(other),
    }
}
