//! The `RemoteExecutionContext` body, in the shape .NET's DataContractJsonSerializer gives
//! it (wire reference §9.2): PascalCase members in alphabetical order, collections as
//! `[{"key":…,"value":…}]` pairs, typed values with a leading `__type` marker, dates as
//! `\/Date(ms)\/`, and every `/` escaped as `\/`.

use serde_json::{json, Map, Value as Json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::{Attributes, Record, Value};

/// The namespace every typed value's `__type` names.
const CONTRACTS: &str = "http://schemas.microsoft.com/xrm/2011/Contracts";

/// Over this many bytes the context is sent without its large members (§9.2).
pub(super) const SIZE_LIMIT: usize = 256 * 1024;

/// Everything one context says besides its images and parameters.
pub(super) struct Context<'a> {
    pub(super) message: &'a str,
    pub(super) entity: &'a str,
    /// `SecondaryEntityName`: "none" except for associations.
    pub(super) secondary: &'a str,
    pub(super) id: Uuid,
    pub(super) stage: i32,
    pub(super) mode: i32,
    pub(super) depth: i32,
    pub(super) user: Uuid,
    pub(super) business_unit: Uuid,
    pub(super) organization_id: Uuid,
    pub(super) organization_name: String,
    pub(super) correlation_id: Uuid,
    pub(super) operation_id: Uuid,
    pub(super) step_id: Uuid,
    pub(super) created_on: OffsetDateTime,
    pub(super) input: Vec<(String, Json)>,
    pub(super) output: Vec<(String, Json)>,
    pub(super) pre_images: Vec<(String, Json)>,
    pub(super) post_images: Vec<(String, Json)>,
    /// The context of the operation this one runs inside (Assign inside an Update).
    pub(super) parent: Option<Box<Context<'a>>>,
}

/// `{"__type":"<Type>:http://schemas…/Contracts", …}` with the marker first.
pub(super) fn typed(kind: &str, members: Vec<(&str, Json)>) -> Json {
    let mut m = Map::new();
    m.insert("__type".into(), Json::String(format!("{kind}:{CONTRACTS}")));
    for (k, v) in members {
        m.insert(k.into(), v);
    }
    Json::Object(m)
}

/// A key/value pair collection.
fn pairs(items: Vec<(String, Json)>) -> Json {
    Json::Array(items.into_iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
}

/// `/Date(ms)/` (the slashes are escaped when the whole body is).
pub(super) fn date(t: OffsetDateTime) -> Json {
    Json::String(format!("/Date({})/", t.unix_timestamp() * 1000 + i64::from(t.millisecond())))
}

/// An `OptionSetValue`.
pub(super) fn option(value: i32) -> Json {
    typed("OptionSetValue", vec![("Value", json!(value))])
}

/// A `Relationship` (Associate and Disassociate's parameter).
pub(super) fn relationship(schema_name: &str) -> Json {
    typed("Relationship", vec![("PrimaryEntityRole", Json::Null), ("SchemaName", json!(schema_name))])
}

/// An `EntityReference`.
pub(super) fn reference(logical_name: &str, id: Uuid) -> Json {
    typed(
        "EntityReference",
        vec![("Id", json!(id)), ("KeyAttributes", json!([])), ("LogicalName", json!(logical_name)), ("Name", Json::Null), ("RowVersion", Json::Null)],
    )
}

/// The DataContract form of one column value.
fn value(v: &Value) -> Json {
    let number = |d: &rust_decimal::Decimal| d.to_string().parse::<serde_json::Number>().map_or(Json::Null, Json::Number);
    match v {
        Value::Null => Json::Null,
        Value::String(s) => json!(s),
        Value::Int(i) => json!(i),
        Value::BigInt(i) => json!(i),
        Value::Decimal(d) => number(d),
        Value::Double(f) => json!(f),
        Value::Money(d) => typed("Money", vec![("Value", number(d))]),
        Value::Boolean(b) => json!(b),
        Value::DateTime(t) => date(*t),
        Value::Date(d) => date(d.midnight().assume_utc()),
        Value::Guid(g) => json!(g),
        Value::Choice(c) => typed("OptionSetValue", vec![("Value", json!(c))]),
        Value::Choices(cs) => Json::Array(cs.iter().map(|c| typed("OptionSetValue", vec![("Value", json!(c))])).collect()),
        Value::Lookup(r) => reference(&r.logical_name, r.id),
    }
}

/// An `Entity` with the given columns (`None`: all of them).
pub(super) fn entity(logical_name: &str, id: Uuid, attributes: &Attributes, only: Option<&[String]>) -> Json {
    let attrs = attributes
        .iter()
        .filter(|(k, _)| only.is_none_or(|o| o.iter().any(|c| c.as_str() == k.as_str())))
        .map(|(k, v)| (k.to_string(), value(v)))
        .collect();
    typed(
        "Entity",
        vec![
            ("Attributes", pairs(attrs)),
            ("EntityState", Json::Null),
            ("FormattedValues", json!([])),
            ("Id", json!(id)),
            ("KeyAttributes", json!([])),
            ("LogicalName", json!(logical_name)),
            ("RelatedEntities", json!([])),
            ("RowVersion", Json::Null),
        ],
    )
}

/// An image of `record` restricted to a step image's column list (empty: every column).
pub(super) fn image(logical_name: &str, record: &Record, columns: &[String]) -> Json {
    entity(logical_name, record.id, &record.attributes, (!columns.is_empty()).then_some(columns))
}

impl Context<'_> {
    /// The JSON text to POST, and whether it was cut down for size.
    pub(super) fn render(self) -> (String, bool) {
        let full = self.to_json(true);
        let text = escape(&full);
        if text.len() <= SIZE_LIMIT {
            return (text, false);
        }
        (escape(&self.to_json(false)), true)
    }

    fn to_json(&self, full: bool) -> String {
        self.members(full).to_string()
    }

    /// The members; over the size limit (`full` false) the large ones are emptied.
    fn members(&self, full: bool) -> Json {
        let big = |items: &Vec<(String, Json)>| if full { pairs(items.clone()) } else { json!([]) };
        let mut m = Map::new();
        let mut put = |k: &str, v: Json| {
            m.insert(k.to_string(), v);
        };
        put("BusinessUnitId", json!(self.business_unit));
        put("CorrelationId", json!(self.correlation_id));
        put("Depth", json!(self.depth));
        put("InitiatingUserId", json!(self.user));
        put("InputParameters", big(&self.input));
        put("IsExecutingOffline", json!(false));
        // Pre-validation runs before the transaction opens; the later synchronous stages
        // (and the main operation a parent context describes) run inside it.
        put("IsInTransaction", json!(self.mode == 0 && self.stage != 10));
        put("IsOfflinePlayback", json!(false));
        put("IsolationMode", json!(1));
        put("MessageName", json!(self.message));
        put("Mode", json!(self.mode));
        put("OperationCreatedOn", date(self.created_on));
        put("OperationId", json!(self.operation_id));
        put("OrganizationId", json!(self.organization_id));
        put("OrganizationName", json!(self.organization_name));
        put("OutputParameters", pairs(self.output.clone()));
        let owning = reference("sdkmessageprocessingstep", self.step_id);
        put("OwningExtension", strip_type(owning));
        put("ParentContext", match &self.parent {
            Some(p) if full => p.members(true),
            _ => Json::Null,
        });
        put("PostEntityImages", big(&self.post_images));
        put("PreEntityImages", big(&self.pre_images));
        put("PrimaryEntityId", json!(self.id));
        put("PrimaryEntityName", json!(self.entity));
        put("RequestId", Json::Null);
        put("SecondaryEntityName", json!(self.secondary));
        put("SharedVariables", json!([]));
        put("Stage", json!(self.stage));
        put("UserId", json!(self.user));
        Json::Object(m)
    }
}

/// The context's own `OwningExtension` carries no `__type` (its declared type is exact).
fn strip_type(mut v: Json) -> Json {
    if let Some(m) = v.as_object_mut() {
        m.shift_remove("__type");
    }
    v
}

/// DataContractJsonSerializer escapes every forward slash. In JSON text a `/` can only be
/// inside a string, so a plain replacement is exact.
fn escape(text: &str) -> String {
    text.replace('/', "\\/")
}
