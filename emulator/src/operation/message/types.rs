//! The complex and enum types message parameters and responses use, declared once for
//! both parameter checks and `$metadata`.

use serde_json::Value as Json;

/// Complex types: name and `(property, type)` pairs.
pub static COMPLEX_TYPES: &[(&str, &[(&str, &str)])] = &[
    ("WhoAmIResponse", &[("BusinessUnitId", "Edm.Guid"), ("UserId", "Edm.Guid"), ("OrganizationId", "Edm.Guid")]),
    ("RetrieveVersionResponse", &[("Version", "Edm.String")]),
    ("BooleanManagedProperty", &[("Value", "Edm.Boolean"), ("CanBeChanged", "Edm.Boolean"), ("ManagedPropertyLogicalName", "Edm.String")]),
    ("CreateMultipleResponse", &[("Ids", "Collection(Edm.Guid)")]),
    ("BulkDeleteResponse", &[("JobId", "Edm.Guid")]),
    (
        "EntityRecordCountCollection",
        &[("Count", "Edm.Int32"), ("IsReadOnly", "Edm.Boolean"), ("Keys", "Collection(Edm.String)"), ("Values", "Collection(Edm.Int64)")],
    ),
    ("RetrieveTotalRecordCountResponse", &[("EntityRecordCountCollection", "mscrm.EntityRecordCountCollection")]),
    (
        "EndpointCollection",
        &[("Count", "Edm.Int32"), ("IsReadOnly", "Edm.Boolean"), ("Keys", "Collection(mscrm.EndpointType)"), ("Values", "Collection(Edm.String)")],
    ),
    (
        "OrganizationDetail",
        &[
            ("OrganizationId", "Edm.Guid"),
            ("FriendlyName", "Edm.String"),
            ("OrganizationVersion", "Edm.String"),
            ("EnvironmentId", "Edm.String"),
            ("DatacenterId", "Edm.Guid"),
            ("Geo", "Edm.String"),
            ("TenantId", "Edm.String"),
            ("UrlName", "Edm.String"),
            ("UniqueName", "Edm.String"),
            ("Endpoints", "mscrm.EndpointCollection"),
            ("State", "mscrm.OrganizationState"),
        ],
    ),
    ("RetrieveCurrentOrganizationResponse", &[("Detail", "mscrm.OrganizationDetail")]),
    // The query types BulkDelete takes, reduced to the members the emulator reads.
    ("QueryExpression", &[("EntityName", "Edm.String"), ("ColumnSet", "mscrm.ColumnSet"), ("Criteria", "mscrm.FilterExpression")]),
    ("ColumnSet", &[("AllColumns", "Edm.Boolean"), ("Columns", "Collection(Edm.String)")]),
    (
        "FilterExpression",
        &[("FilterOperator", "mscrm.LogicalOperator"), ("Conditions", "Collection(mscrm.ConditionExpression)"), ("Filters", "Collection(mscrm.FilterExpression)")],
    ),
    ("ConditionExpression", &[("AttributeName", "Edm.String"), ("Operator", "Edm.String"), ("Values", "Collection(Edm.String)")]),
    // Record sharing.
    ("PrincipalAccess", &[("AccessMask", "mscrm.AccessRights"), ("Principal", "mscrm.principal")]),
    ("RetrievePrincipalAccessResponse", &[("AccessRights", "mscrm.AccessRights")]),
    ("RetrieveSharedPrincipalsAndAccessResponse", &[("PrincipalAccesses", "Collection(mscrm.PrincipalAccess)")]),
    ("SendEmailResponse", &[("Subject", "Edm.String")]),
    // Labels, as the option-value messages take them.
    ("Label", &[("LocalizedLabels", "Collection(mscrm.LocalizedLabel)"), ("UserLocalizedLabel", "mscrm.LocalizedLabel")]),
    (
        "LocalizedLabel",
        &[("Label", "Edm.String"), ("LanguageCode", "Edm.Int32"), ("IsManaged", "Edm.Boolean"), ("MetadataId", "Edm.Guid"), ("HasChanged", "Edm.Boolean")],
    ),
    ("InsertOptionValueResponse", &[("NewOptionValue", "Edm.Int32")]),
    // RetrieveMetadataChanges' query and response, reduced to the members the emulator reads and writes.
    (
        "EntityQueryExpression",
        &[
            ("Criteria", "mscrm.MetadataFilterExpression"),
            ("Properties", "mscrm.MetadataPropertiesExpression"),
            ("AttributeQuery", "mscrm.AttributeQueryExpression"),
            ("LabelQuery", "mscrm.LabelQueryExpression"),
        ],
    ),
    ("AttributeQueryExpression", &[("Criteria", "mscrm.MetadataFilterExpression"), ("Properties", "mscrm.MetadataPropertiesExpression")]),
    ("MetadataPropertiesExpression", &[("AllProperties", "Edm.Boolean"), ("PropertyNames", "Collection(Edm.String)")]),
    (
        "MetadataFilterExpression",
        &[
            ("FilterOperator", "mscrm.LogicalOperator"),
            ("Conditions", "Collection(mscrm.MetadataConditionExpression)"),
            ("Filters", "Collection(mscrm.MetadataFilterExpression)"),
        ],
    ),
    ("MetadataConditionExpression", &[("PropertyName", "Edm.String"), ("ConditionOperator", "mscrm.MetadataConditionOperator"), ("Value", "mscrm.Object")]),
    ("Object", &[("Type", "Edm.String"), ("Value", "Edm.String")]),
    ("LabelQueryExpression", &[("FilterLanguages", "Collection(Edm.Int32)"), ("MissingLabelBehavior", "Edm.Int32")]),
    ("ComplexAttributeMetadata", &[("MetadataId", "Edm.Guid"), ("LogicalName", "Edm.String"), ("SchemaName", "Edm.String"), ("AttributeType", "Edm.String")]),
    (
        "ComplexEntityMetadata",
        &[("MetadataId", "Edm.Guid"), ("LogicalName", "Edm.String"), ("SchemaName", "Edm.String"), ("Attributes", "Collection(mscrm.ComplexAttributeMetadata)")],
    ),
    ("DeletedMetadataCollection", &[("Count", "Edm.Int32"), ("IsReadOnly", "Edm.Boolean"), ("Keys", "Collection(mscrm.DeletedMetadataFilters)"), ("Values", "Collection(Edm.String)")]),
    (
        "RetrieveMetadataChangesResponse",
        &[("EntityMetadata", "Collection(mscrm.ComplexEntityMetadata)"), ("ServerVersionStamp", "Edm.String"), ("DeletedMetadata", "mscrm.DeletedMetadataCollection")],
    ),
];

/// Enum types: name and `(member, value)` pairs.
pub static ENUM_TYPES: &[(&str, &[(&str, i32)])] = &[
    ("EndpointAccessType", &[("Default", 0), ("Internet", 1), ("Intranet", 2)]),
    ("EndpointType", &[("OrganizationService", 0), ("OrganizationDataService", 1), ("WebApplication", 2)]),
    ("OrganizationState", &[("Enabled", 0), ("Disabled", 1)]),
    ("LogicalOperator", &[("And", 0), ("Or", 1)]),
    ("TargetFieldType", &[("All", 0), ("ValidForCreate", 1), ("ValidForUpdate", 2), ("ValidForRead", 3)]),
    (
        "AccessRights",
        &[
            ("None", 0),
            ("ReadAccess", 1),
            ("WriteAccess", 2),
            ("AppendAccess", 4),
            ("AppendToAccess", 16),
            ("CreateAccess", 32),
            ("DeleteAccess", 65536),
            ("ShareAccess", 262144),
            ("AssignAccess", 524288),
        ],
    ),
    ("MetadataConditionOperator", &[("Equals", 0), ("NotEquals", 1), ("In", 2), ("NotIn", 3), ("GreaterThan", 4), ("LessThan", 5)]),
    (
        "DeletedMetadataFilters",
        &[("Entity", 1), ("Default", 1), ("Attribute", 2), ("Relationship", 4), ("Label", 8), ("OptionSet", 16), ("All", 31)],
    ),
];

/// Enum types whose values combine members (`IsFlags="true"`): sent as `"ReadAccess, WriteAccess"`
/// or as the number.
pub static FLAG_TYPES: &[&str] = &["AccessRights"];

/// The value of a flags-enum parameter (`"ReadAccess, WriteAccess"`, or a number), if every
/// member it names exists.
pub fn flags_value(ty: &str, value: &Json) -> Option<i64> {
    let members = enum_members(ty)?;
    match value {
        Json::Number(n) => n.as_i64().filter(|v| *v >= 0),
        Json::String(s) => s.split(',').map(str::trim).try_fold(0i64, |acc, name| {
            members.iter().find(|(m, _)| *m == name).map(|(_, v)| acc | i64::from(*v))
        }),
        _ => None,
    }
}

/// A flags value written the way the service writes it: member names joined by `", "`, in
/// declaration order (`"None"` for zero).
pub fn flags_text(ty: &str, value: i64) -> String {
    let members = enum_members(ty).unwrap_or_default();
    let names: Vec<&str> = members.iter().filter(|(_, v)| *v != 0 && value & i64::from(*v) == i64::from(*v)).map(|(m, _)| *m).collect();
    if names.is_empty() {
        "None".to_string()
    } else {
        names.join(", ")
    }
}

fn is_flags(ty: &str) -> bool {
    ty.strip_prefix("mscrm.").is_some_and(|n| FLAG_TYPES.contains(&n))
}

/// `mscrm.X` spelled out as `Microsoft.Dynamics.CRM.X` (how error messages name types).
pub fn full_name(ty: &str) -> String {
    ty.replace("mscrm.", "Microsoft.Dynamics.CRM.")
}

fn enum_members(ty: &str) -> Option<&'static [(&'static str, i32)]> {
    let name = ty.strip_prefix("mscrm.")?;
    ENUM_TYPES.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

/// The member name of an enum value given as its name or its number.
pub fn enum_member(ty: &str, value: &Json) -> Option<&'static str> {
    let members = enum_members(ty)?;
    match value {
        Json::String(s) => members.iter().find(|(m, _)| m == s).map(|(m, _)| *m),
        Json::Number(n) => members.iter().find(|(_, v)| Some(i64::from(*v)) == n.as_i64()).map(|(m, _)| *m),
        _ => None,
    }
}

/// Whether a JSON value can be read as a parameter of type `ty`.
pub fn fits(ty: &str, value: &Json) -> bool {
    if let Some(inner) = ty.strip_prefix("Collection(").and_then(|t| t.strip_suffix(')')) {
        return value.as_array().is_some_and(|items| items.iter().all(|i| fits(inner, i)));
    }
    match ty {
        "Edm.String" | "Edm.DateTimeOffset" => value.is_string(),
        "Edm.Guid" => value.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok()),
        "Edm.Int32" | "Edm.Int64" => value.is_i64(),
        "Edm.Boolean" => value.is_boolean(),
        "Edm.Decimal" | "Edm.Double" => value.is_number(),
        t if is_flags(t) => flags_value(t, value).is_some(),
        t if enum_members(t).is_some() => enum_member(t, value).is_some(),
        _ => value.is_object(),
    }
}
