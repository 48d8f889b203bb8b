//! `AttributeMetadata` and its derived types (`StringAttributeMetadata`, …), and the option
//! sets of choice and yes/no columns.
//!
//! Every column is reported as the derived type its `@odata.type` names; a cast path segment
//! (`Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata`) selects the columns of one
//! [`AttributeClass`] and makes that class's properties addressable.

use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::{into_map, label, managed, metadata_id};
use crate::metadata::{AttributeDef, AttributeType, EntityDef, OptionSetDef};

/// The derived `AttributeMetadata` types the emulator reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeClass {
    /// `AttributeMetadata` itself: columns with no more specific type.
    Base,
    /// `StringAttributeMetadata`
    String,
    /// `MemoAttributeMetadata`
    Memo,
    /// `IntegerAttributeMetadata`
    Integer,
    /// `BigIntAttributeMetadata`
    BigInt,
    /// `DecimalAttributeMetadata`
    Decimal,
    /// `DoubleAttributeMetadata`
    Double,
    /// `MoneyAttributeMetadata`
    Money,
    /// `BooleanAttributeMetadata`
    Boolean,
    /// `DateTimeAttributeMetadata`
    DateTime,
    /// `PicklistAttributeMetadata`
    Picklist,
    /// `StateAttributeMetadata`
    State,
    /// `StatusAttributeMetadata`
    Status,
    /// `LookupAttributeMetadata` (lookup, customer, owner and party-list columns)
    Lookup,
    /// `UniqueIdentifierAttributeMetadata`
    UniqueIdentifier,
    /// `EntityNameAttributeMetadata`
    EntityName,
    /// `ImageAttributeMetadata`
    Image,
    /// `FileAttributeMetadata`
    File,
    /// `ManagedPropertyAttributeMetadata`
    ManagedProperty,
    /// `MultiSelectPicklistAttributeMetadata`
    MultiSelectPicklist,
}

/// Every class, for name lookups.
const ALL: [AttributeClass; 20] = {
    use AttributeClass::*;
    [Base, String, Memo, Integer, BigInt, Decimal, Double, Money, Boolean, DateTime, Picklist, State, Status, Lookup, UniqueIdentifier, EntityName, Image, File, ManagedProperty, MultiSelectPicklist]
};

impl AttributeClass {
    /// The class a column type is reported as.
    pub fn of(kind: AttributeType) -> Self {
        use AttributeType as T;
        match kind {
            T::String => Self::String,
            T::Memo => Self::Memo,
            T::Integer => Self::Integer,
            T::BigInt => Self::BigInt,
            T::Decimal => Self::Decimal,
            T::Double => Self::Double,
            T::Money => Self::Money,
            T::Boolean => Self::Boolean,
            T::DateTime => Self::DateTime,
            T::Picklist => Self::Picklist,
            T::State => Self::State,
            T::Status => Self::Status,
            T::Lookup | T::Customer | T::Owner | T::PartyList => Self::Lookup,
            T::Uniqueidentifier => Self::UniqueIdentifier,
            T::EntityName => Self::EntityName,
            T::Image => Self::Image,
            T::File => Self::File,
            T::ManagedProperty => Self::ManagedProperty,
            T::MultiSelectPicklist => Self::MultiSelectPicklist,
            T::Virtual => Self::Base,
        }
    }

    /// The unqualified type name, `StringAttributeMetadata`.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Base => "AttributeMetadata",
            Self::String => "StringAttributeMetadata",
            Self::Memo => "MemoAttributeMetadata",
            Self::Integer => "IntegerAttributeMetadata",
            Self::BigInt => "BigIntAttributeMetadata",
            Self::Decimal => "DecimalAttributeMetadata",
            Self::Double => "DoubleAttributeMetadata",
            Self::Money => "MoneyAttributeMetadata",
            Self::Boolean => "BooleanAttributeMetadata",
            Self::DateTime => "DateTimeAttributeMetadata",
            Self::Picklist => "PicklistAttributeMetadata",
            Self::State => "StateAttributeMetadata",
            Self::Status => "StatusAttributeMetadata",
            Self::Lookup => "LookupAttributeMetadata",
            Self::UniqueIdentifier => "UniqueIdentifierAttributeMetadata",
            Self::EntityName => "EntityNameAttributeMetadata",
            Self::Image => "ImageAttributeMetadata",
            Self::File => "FileAttributeMetadata",
            Self::ManagedProperty => "ManagedPropertyAttributeMetadata",
            Self::MultiSelectPicklist => "MultiSelectPicklistAttributeMetadata",
        }
    }

    /// The class a cast segment (`Microsoft.Dynamics.CRM.PicklistAttributeMetadata`) names.
    pub fn from_type_name(qualified: &str) -> Option<Self> {
        let name = qualified.strip_prefix("Microsoft.Dynamics.CRM.")?;
        ALL.into_iter().find(|c| c.type_name() == name)
    }

    /// Whether a column of this class is also of type `cast` (every column is an `AttributeMetadata`).
    pub fn is_a(self, cast: AttributeClass) -> bool {
        cast == Self::Base || cast == self
    }

    /// The properties this class adds to [`ATTRIBUTE_PROPERTIES`], in the order [`attribute`] writes them.
    pub fn properties(self) -> &'static [&'static str] {
        match self {
            Self::Base | Self::UniqueIdentifier | Self::EntityName | Self::ManagedProperty => &[],
            Self::String => &["Format", "FormatName", "MaxLength", "DatabaseLength", "ImeMode", "IsLocalizable", "YomiOf"],
            Self::Memo => &["Format", "FormatName", "MaxLength", "ImeMode", "IsLocalizable"],
            Self::Integer => &["Format", "MaxValue", "MinValue"],
            Self::BigInt => &["MaxValue", "MinValue"],
            Self::Decimal | Self::Double => &["MaxValue", "MinValue", "Precision", "ImeMode"],
            Self::Money => &["MaxValue", "MinValue", "Precision", "PrecisionSource", "ImeMode", "IsBaseCurrency", "CalculationOf"],
            Self::Boolean => &["DefaultValue"],
            Self::DateTime => &["Format", "DateTimeBehavior", "CanChangeDateTimeBehavior", "ImeMode", "MinSupportedValue", "MaxSupportedValue"],
            Self::Picklist | Self::MultiSelectPicklist => &["DefaultFormValue", "ParentPicklistLogicalName", "ChildPicklistLogicalNames"],
            Self::State | Self::Status => &["DefaultFormValue"],
            Self::Lookup => &["Targets", "Format"],
            Self::Image => &["IsPrimaryImage", "MaxHeight", "MaxWidth", "MaxSizeInKB", "CanStoreFullImage"],
            Self::File => &["MaxSizeInKB"],
        }
    }

    /// The navigation properties of this class: the option sets of choice and yes/no columns.
    pub fn navigations(self) -> &'static [&'static str] {
        match self {
            Self::Picklist | Self::MultiSelectPicklist | Self::State | Self::Status | Self::Boolean => &["OptionSet", "GlobalOptionSet"],
            _ => &[],
        }
    }
}

/// The structural properties of `AttributeMetadata`, common to every column.
pub const ATTRIBUTE_PROPERTIES: &[&str] = &[
    "MetadataId", "HasChanged", "AttributeOf", "AttributeType", "AttributeTypeName", "ColumnNumber",
    "CanBeSecuredForCreate", "CanBeSecuredForRead", "CanBeSecuredForUpdate", "CanModifyAdditionalSettings",
    "DeprecatedVersion", "Description", "DisplayName", "EntityLogicalName", "ExternalName", "InheritsFrom",
    "IntroducedVersion", "IsAuditEnabled", "IsCustomAttribute", "IsCustomizable", "IsDataSourceSecret",
    "IsFilterable", "IsGlobalFilterEnabled", "IsLogical", "IsManaged", "IsPrimaryId", "IsPrimaryName",
    "IsRenameable", "IsRequiredForForm", "IsRetrievable", "IsSearchable", "IsSecured", "IsSortableEnabled",
    "IsValidForAdvancedFind", "IsValidForCreate", "IsValidForForm", "IsValidForGrid", "IsValidForRead",
    "IsValidForUpdate", "IsValidODataAttribute", "LinkedAttributeId", "LogicalName", "RequiredLevel",
    "SchemaName", "SourceType", "AutoNumberFormat",
];

/// Every property any column type has: the common ones, then each class's (each once).
/// What `RetrieveMetadataChanges` accepts in an `AttributeQuery`'s `PropertyNames`.
pub fn all_attribute_properties() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = ATTRIBUTE_PROPERTIES.to_vec();
    for class in ALL {
        for p in class.properties().iter().chain(class.navigations()) {
            if !out.contains(p) {
                out.push(p);
            }
        }
    }
    out
}

/// The MetadataId of a column.
pub fn attribute_id(e: &EntityDef, a: &AttributeDef) -> Uuid {
    metadata_id("attribute", &format!("{}.{}", e.logical_name, a.logical_name))
}

/// `AttributeType` and `AttributeTypeName` as metadata spells them. Image, file and
/// multi-select choice columns are `Virtual` columns of `ImageType`, `FileType` and
/// `MultiSelectPicklistType`, as in a real org.
fn type_code(kind: AttributeType) -> (&'static str, &'static str) {
    use AttributeType as T;
    match kind {
        T::String => ("String", "StringType"),
        T::Memo => ("Memo", "MemoType"),
        T::Integer => ("Integer", "IntegerType"),
        T::BigInt => ("BigInt", "BigIntType"),
        T::Decimal => ("Decimal", "DecimalType"),
        T::Double => ("Double", "DoubleType"),
        T::Money => ("Money", "MoneyType"),
        T::Boolean => ("Boolean", "BooleanType"),
        T::DateTime => ("DateTime", "DateTimeType"),
        T::Picklist => ("Picklist", "PicklistType"),
        T::State => ("State", "StateType"),
        T::Status => ("Status", "StatusType"),
        T::Lookup => ("Lookup", "LookupType"),
        T::Customer => ("Customer", "CustomerType"),
        T::Owner => ("Owner", "OwnerType"),
        T::Uniqueidentifier => ("Uniqueidentifier", "UniqueidentifierType"),
        T::PartyList => ("PartyList", "PartyListType"),
        T::EntityName => ("EntityName", "EntityNameType"),
        T::Image => ("Virtual", "ImageType"),
        T::MultiSelectPicklist => ("Virtual", "MultiSelectPicklistType"),
        T::File => ("Virtual", "FileType"),
        T::ManagedProperty => ("ManagedProperty", "ManagedPropertyType"),
        T::Virtual => ("Virtual", "VirtualType"),
    }
}

/// A bound as JSON: whole numbers as integers (`"MaxValue":1000000`), others as doubles.
fn bound(v: Option<f64>) -> Json {
    match v {
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => json!(v as i64),
        Some(v) => json!(v),
        None => Json::Null,
    }
}

/// The column's `AttributeMetadata`, `@odata.type` first, then the common properties, then its class's.
pub fn attribute(e: &EntityDef, a: &AttributeDef) -> Map<String, Json> {
    let class = AttributeClass::of(a.kind);
    let (code, type_name) = type_code(a.kind);
    let seed = format!("{}.{}", e.logical_name, a.logical_name);
    let column = e.attributes.iter().position(|x| x.logical_name == a.logical_name).map_or(0, |i| i + 1);
    let mut out = into_map(json!({
        "@odata.type": format!("#Microsoft.Dynamics.CRM.{}", class.type_name()),
        "MetadataId": attribute_id(e, a), "HasChanged": null, "AttributeOf": a.attribute_of,
        "AttributeType": code, "AttributeTypeName": { "Value": type_name }, "ColumnNumber": column,
        "CanBeSecuredForCreate": false, "CanBeSecuredForRead": false, "CanBeSecuredForUpdate": false,
        "CanModifyAdditionalSettings": managed(true, false, "canmodifyadditionalsettings"),
        "DeprecatedVersion": null,
        "Description": label(a.description.as_deref(), &format!("{seed}/Description")),
        "DisplayName": label(a.display_name.as_deref(), &format!("{seed}/DisplayName")),
        "EntityLogicalName": e.logical_name, "ExternalName": null, "InheritsFrom": null,
    }));
    // Two literals: one would pass `json!`'s macro recursion limit.
    out.append(&mut into_map(json!({
        "IntroducedVersion": "5.0.0.0",
        "IsAuditEnabled": managed(false, true, "canmodifyauditsettings"),
        "IsCustomAttribute": a.is_custom,
        "IsCustomizable": managed(true, false, "iscustomizable"),
        "IsDataSourceSecret": false, "IsFilterable": a.valid_for_read,
        "IsGlobalFilterEnabled": managed(false, true, "canmodifyglobalfiltersettings"),
        "IsLogical": a.attribute_of.is_some(), "IsManaged": !(e.is_custom || a.is_custom),
        "IsPrimaryId": a.logical_name == e.primary_id,
        "IsPrimaryName": e.primary_name.as_deref() == Some(a.logical_name.as_str()),
        "IsRenameable": managed(true, false, "isrenameable"),
        "IsRequiredForForm": false, "IsRetrievable": a.valid_for_read, "IsSearchable": a.valid_for_read,
        "IsSecured": false,
        "IsSortableEnabled": managed(false, true, "canmodifyissortablesettings"),
        "IsValidForAdvancedFind": managed(a.valid_for_read, false, "canmodifysearchsettings"),
        "IsValidForCreate": a.valid_for_create, "IsValidForForm": a.valid_for_read, "IsValidForGrid": a.valid_for_read,
        "IsValidForRead": a.valid_for_read, "IsValidForUpdate": a.valid_for_update,
        "IsValidODataAttribute": a.is_odata_property(), "LinkedAttributeId": null,
        "LogicalName": a.logical_name,
        "RequiredLevel": managed(a.required_level.as_str(), true, "canmodifyrequirementlevelsettings"),
        "SchemaName": a.schema_name, "SourceType": 0, "AutoNumberFormat": null,
    })));
    out.append(&mut specific(class, a));
    out
}

/// The properties `class` adds, in [`AttributeClass::properties`] order.
fn specific(class: AttributeClass, a: &AttributeDef) -> Map<String, Json> {
    let ime = json!("Auto");
    let text_format = a.format_name.clone().or_else(|| a.format.clone()).unwrap_or_else(|| "Text".into());
    let value = match class {
        AttributeClass::Base | AttributeClass::UniqueIdentifier | AttributeClass::EntityName | AttributeClass::ManagedProperty => json!({}),
        AttributeClass::String => json!({
            "Format": text_format, "FormatName": { "Value": text_format }, "MaxLength": a.max_length,
            "DatabaseLength": a.max_length.map(|l| l * 2), "ImeMode": ime, "IsLocalizable": false, "YomiOf": null,
        }),
        AttributeClass::Memo => json!({
            "Format": text_format, "FormatName": { "Value": text_format }, "MaxLength": a.max_length,
            "ImeMode": ime, "IsLocalizable": false,
        }),
        AttributeClass::Integer => json!({
            "Format": a.format.as_deref().unwrap_or("None"), "MaxValue": bound(a.max_value), "MinValue": bound(a.min_value),
        }),
        AttributeClass::BigInt => json!({ "MaxValue": i64::MAX, "MinValue": i64::MIN }),
        AttributeClass::Decimal | AttributeClass::Double => json!({
            "MaxValue": bound(a.max_value), "MinValue": bound(a.min_value), "Precision": a.precision, "ImeMode": ime,
        }),
        AttributeClass::Money => json!({
            "MaxValue": bound(a.max_value), "MinValue": bound(a.min_value), "Precision": a.precision,
            "PrecisionSource": a.precision_source.unwrap_or(2), "ImeMode": ime,
            "IsBaseCurrency": a.logical_name.ends_with("_base"), "CalculationOf": null,
        }),
        AttributeClass::Boolean => json!({ "DefaultValue": a.default_value.clone().unwrap_or(json!(false)) }),
        AttributeClass::DateTime => json!({
            "Format": if a.date_kind == Some(crate::metadata::DateTimeKind::DateAndTime) { "DateAndTime" } else { "DateOnly" },
            "DateTimeBehavior": { "Value": a.date_time_behavior.as_deref().unwrap_or("UserLocal") },
            "CanChangeDateTimeBehavior": managed(false, false, "canchangedatetimebehavior"),
            "ImeMode": ime, "MinSupportedValue": "1753-01-01T00:00:00Z", "MaxSupportedValue": "9999-12-30T23:59:59Z",
        }),
        AttributeClass::Picklist | AttributeClass::MultiSelectPicklist => json!({
            "DefaultFormValue": a.default_value.clone().unwrap_or(json!(-1)),
            "ParentPicklistLogicalName": null, "ChildPicklistLogicalNames": [],
        }),
        AttributeClass::State | AttributeClass::Status => json!({ "DefaultFormValue": -1 }),
        AttributeClass::Lookup => json!({ "Targets": a.targets, "Format": null }),
        AttributeClass::Image => json!({
            "IsPrimaryImage": a.is_primary_image,
            "MaxHeight": a.max_image_size.map(|s| s.0), "MaxWidth": a.max_image_size.map(|s| s.1),
            "MaxSizeInKB": a.max_size_kb.unwrap_or(crate::metadata::DEFAULT_IMAGE_MAX_KB),
            "CanStoreFullImage": a.can_store_full_image,
        }),
        AttributeClass::File => json!({ "MaxSizeInKB": a.max_size_kb.unwrap_or(crate::metadata::DEFAULT_FILE_MAX_KB) }),
    };
    into_map(value)
}

/// One option: value, label and, for status/state options, their link to the other column.
fn option(seed: &str, class: AttributeClass, o: &crate::metadata::OptionDef) -> Json {
    let mut out = Map::new();
    match class {
        AttributeClass::Status => out.insert("@odata.type".into(), json!("#Microsoft.Dynamics.CRM.StatusOptionMetadata")),
        AttributeClass::State => out.insert("@odata.type".into(), json!("#Microsoft.Dynamics.CRM.StateOptionMetadata")),
        _ => None,
    };
    out.append(&mut into_map(json!({
        "Value": o.value, "Color": null, "IsManaged": true, "ExternalValue": "", "ParentValues": [], "Tag": null,
        "IsHidden": false, "MetadataId": null, "HasChanged": null,
        "Label": label(Some(&o.label), &format!("{seed}/{}", o.value)),
        "Description": label(None, &format!("{seed}/{}/Description", o.value)),
    })));
    match class {
        AttributeClass::Status => {
            out.insert("State".into(), json!(o.state));
            out.insert("TransitionData".into(), Json::Null);
        }
        AttributeClass::State => {
            out.insert("DefaultStatus".into(), json!(o.default_status));
            out.insert("InvariantName".into(), json!(o.invariant_name.as_deref().unwrap_or(&o.label)));
        }
        _ => {}
    }
    Json::Object(out)
}

/// The properties of `OptionSetMetadata` and `BooleanOptionSetMetadata`, as one list:
/// `$select` inside an `OptionSet` expansion may name any of them.
pub const OPTION_SET_PROPERTIES: &[&str] = &[
    "Options", "TrueOption", "FalseOption", "MetadataId", "HasChanged", "IsCustomOptionSet", "IsGlobal", "IsManaged",
    "Name", "ExternalTypeName", "OptionSetType", "IntroducedVersion", "Description", "DisplayName", "IsCustomizable",
    "ParentOptionSetName",
];

/// The column's local option set (`OptionSetMetadata`, or `BooleanOptionSetMetadata` with
/// `TrueOption`/`FalseOption`), or `None` for columns without one. Columns over a global
/// choice answer with the global set ([`global_option_set`]), which the caller looks up.
pub fn option_set(e: &EntityDef, a: &AttributeDef) -> Option<Map<String, Json>> {
    let class = AttributeClass::of(a.kind);
    if class.navigations().is_empty() {
        return None;
    }
    let name = format!("{}_{}", e.logical_name, a.logical_name);
    let seed = format!("optionset/{name}");
    let mut out = Map::new();
    let option_set_type = match class {
        AttributeClass::Boolean => {
            let pick = |v: i32| a.option(v).map(|o| option(&seed, class, o)).unwrap_or(Json::Null);
            out.insert("TrueOption".into(), pick(1));
            out.insert("FalseOption".into(), pick(0));
            "Boolean"
        }
        _ => {
            out.insert("Options".into(), a.options.iter().map(|o| option(&seed, class, o)).collect());
            match class {
                AttributeClass::State => "State",
                AttributeClass::Status => "Status",
                _ => "Picklist",
            }
        }
    };
    out.append(&mut into_map(json!({
        "MetadataId": metadata_id("optionset", &name), "HasChanged": null, "IsCustomOptionSet": a.is_custom,
        "IsGlobal": false, "IsManaged": !(e.is_custom || a.is_custom), "Name": name, "ExternalTypeName": null,
        "OptionSetType": option_set_type, "IntroducedVersion": "5.0.0.0",
        "Description": label(None, &format!("{seed}/Description")),
        "DisplayName": label(a.display_name.as_deref(), &format!("{seed}/DisplayName")),
        "IsCustomizable": managed(true, false, "iscustomizable"), "ParentOptionSetName": null,
    })));
    Some(out)
}

/// The MetadataId of a global choice.
pub fn option_set_id(name: &str) -> Uuid {
    metadata_id("optionset", &name.to_lowercase())
}

/// A global choice's `OptionSetMetadata`, `@odata.type` first (the collection is declared
/// as `OptionSetMetadataBase`).
pub fn global_option_set(set: &OptionSetDef) -> Map<String, Json> {
    let seed = format!("optionset/{}", set.name.to_lowercase());
    let mut out = Map::new();
    out.insert("@odata.type".into(), json!("#Microsoft.Dynamics.CRM.OptionSetMetadata"));
    out.insert("Options".into(), set.options.iter().map(|o| option(&seed, AttributeClass::Picklist, o)).collect());
    out.append(&mut into_map(json!({
        "MetadataId": option_set_id(&set.name), "HasChanged": null, "IsCustomOptionSet": set.is_custom,
        "IsGlobal": true, "IsManaged": !set.is_custom, "Name": set.name, "ExternalTypeName": null,
        "OptionSetType": "Picklist", "IntroducedVersion": "1.0",
        "Description": label(set.description.as_deref(), &format!("{seed}/Description")),
        "DisplayName": label(set.display_name.as_deref(), &format!("{seed}/DisplayName")),
        "IsCustomizable": managed(true, false, "iscustomizable"), "ParentOptionSetName": null,
    })));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_writes_exactly_the_common_and_class_properties() {
        let files = fixtures::DEFAULT_ORG.iter().filter(|(p, _)| p.starts_with("tables/")).map(|(p, t)| (*p, *t));
        let m = crate::metadata::Metadata::new(crate::metadata::load_tables(files).unwrap());
        for e in m.entities() {
            for a in &e.attributes {
                let json = attribute(e, a);
                let got: Vec<&str> = json.keys().map(String::as_str).filter(|k| !k.starts_with('@')).collect();
                let class = AttributeClass::of(a.kind);
                let want: Vec<&str> = ATTRIBUTE_PROPERTIES.iter().chain(class.properties()).copied().collect();
                assert_eq!(got, want, "{}.{}", e.logical_name, a.logical_name);
            }
        }
    }

    #[test]
    fn cast_names_round_trip() {
        for class in ALL {
            let qualified = format!("Microsoft.Dynamics.CRM.{}", class.type_name());
            assert_eq!(AttributeClass::from_type_name(&qualified), Some(class));
        }
        assert_eq!(AttributeClass::from_type_name("PicklistAttributeMetadata"), None);
    }
}
