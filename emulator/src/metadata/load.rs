//! Reads table definitions from fixture JSON (the EntityDefinitions-like shape of
//! `fixtures/default-org/tables/*.json`).

use std::collections::HashSet;

use serde::Deserialize;

use super::{AttributeDef, AttributeType, DateTimeKind, EntityDef, KeyDef, ManyToMany, OptionDef, Relationship};

/// A table file that can't be used, with the file it came from.
#[derive(Debug)]
pub struct MetadataError {
    /// The fixture file.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for MetadataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for MetadataError {}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableJson {
    logical_name: String,
    schema_name: String,
    entity_set_name: String,
    primary_id_attribute: String,
    primary_name_attribute: Option<String>,
    #[serde(default)]
    object_type_code: i32,
    #[serde(default)]
    ownership_type: Option<String>,
    #[serde(default)]
    is_activity: bool,
    #[serde(default)]
    is_custom_entity: bool,
    logical_collection_name: Option<String>,
    collection_schema_name: Option<String>,
    display_name: Option<String>,
    display_collection_name: Option<String>,
    description: Option<String>,
    attributes: Vec<AttributeJson>,
    #[serde(default)]
    keys: Vec<KeyJson>,
    #[serde(default)]
    one_to_many_relationships: Vec<RelationshipJson>,
    #[serde(default)]
    many_to_one_relationships: Vec<RelationshipJson>,
    #[serde(default)]
    many_to_many_relationships: Vec<ManyToManyJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeJson {
    logical_name: String,
    schema_name: String,
    attribute_type: String,
    display_name: Option<String>,
    #[serde(default)]
    required_level: Option<String>,
    #[serde(default = "yes")]
    is_valid_for_create: bool,
    #[serde(default = "yes")]
    is_valid_for_update: bool,
    #[serde(default = "yes")]
    is_valid_for_read: bool,
    max_length: Option<usize>,
    min_value: Option<f64>,
    max_value: Option<f64>,
    precision: Option<u32>,
    format: Option<String>,
    format_name: Option<String>,
    date_time_behavior: Option<String>,
    precision_source: Option<i32>,
    #[serde(default)]
    is_primary_image: bool,
    max_height: Option<u32>,
    max_width: Option<u32>,
    #[serde(rename = "MaxSizeInKB")]
    max_size_in_kb: Option<u32>,
    #[serde(default)]
    can_store_full_image: bool,
    /// The column this one supports (`new_document_name` → `new_document`).
    attribute_of: Option<String>,
    option_set: Option<OptionSetJson>,
    /// The global choice a Picklist or MultiSelectPicklist column uses (its options are in `OptionSet`).
    global_option_set_name: Option<String>,
    #[serde(default)]
    targets: Vec<String>,
    default_value: Option<serde_json::Value>,
    #[serde(default)]
    is_custom_attribute: bool,
    description: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OptionSetJson {
    options: Vec<OptionJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OptionJson {
    value: i32,
    label: Option<String>,
    state: Option<i32>,
    default_status: Option<i32>,
    invariant_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyJson {
    logical_name: String,
    schema_name: Option<String>,
    display_name: Option<String>,
    key_attributes: Vec<String>,
    /// Written by `save.rs` for keys created over the API, so they stay deletable.
    #[serde(default)]
    is_custom: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RelationshipJson {
    schema_name: String,
    referenced_entity: String,
    referenced_attribute: String,
    referencing_entity: String,
    referencing_attribute: String,
    referenced_entity_navigation_property_name: Option<String>,
    referencing_entity_navigation_property_name: Option<String>,
    #[serde(default)]
    cascade_configuration: Option<CascadeJson>,
    #[serde(default)]
    is_hierarchical: bool,
    #[serde(default)]
    is_customizable: bool,
    #[serde(default)]
    is_custom_relationship: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CascadeJson {
    assign: Option<String>,
    delete: Option<String>,
    merge: Option<String>,
    reparent: Option<String>,
    share: Option<String>,
    unshare: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManyToManyJson {
    schema_name: String,
    intersect_entity_name: String,
    #[serde(rename = "Entity1LogicalName")]
    entity1_logical_name: String,
    #[serde(rename = "Entity1IntersectAttribute")]
    entity1_intersect_attribute: Option<String>,
    #[serde(rename = "Entity1NavigationPropertyName")]
    entity1_navigation_property_name: String,
    #[serde(rename = "Entity2LogicalName")]
    entity2_logical_name: String,
    #[serde(rename = "Entity2IntersectAttribute")]
    entity2_intersect_attribute: Option<String>,
    #[serde(rename = "Entity2NavigationPropertyName")]
    entity2_navigation_property_name: String,
    #[serde(default)]
    is_customizable: bool,
    #[serde(default)]
    is_custom_relationship: bool,
}

/// Parses table files given as `(file name, JSON text)`.
pub fn load_tables<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Vec<EntityDef>, MetadataError> {
    files
        .into_iter()
        .map(|(file, text)| {
            let t: TableJson = serde_json::from_str(text)
                .map_err(|e| MetadataError { file: file.to_string(), message: e.to_string() })?;
            Ok(table(t))
        })
        .collect()
}

/// One table from its fixture-shaped JSON: how tables created over the API are built, so
/// they get exactly the treatment fixture tables get (lookup companions, property names, …).
pub fn table_from_json(value: serde_json::Value) -> Result<EntityDef, String> {
    serde_json::from_value(value).map(table).map_err(|e| e.to_string())
}

/// One column from its fixture-shaped JSON, on a table whose lookup columns are `lookups`.
pub fn attribute_from_json(value: serde_json::Value, lookups: &HashSet<String>) -> Result<AttributeDef, String> {
    serde_json::from_value(value).map(|a| attribute(a, lookups)).map_err(|e| e.to_string())
}

/// One 1:N relationship from its fixture-shaped JSON.
pub fn relationship_from_json(value: serde_json::Value) -> Result<Relationship, String> {
    serde_json::from_value(value).map(relationship).map_err(|e| e.to_string())
}

fn table(t: TableJson) -> EntityDef {
    let lookups: HashSet<String> = t
        .attributes
        .iter()
        .filter(|a| AttributeType::from_name(&a.attribute_type).is_lookup())
        .map(|a| a.logical_name.clone())
        .collect();
    let attributes = t.attributes.into_iter().map(|a| attribute(a, &lookups)).collect();
    let mut e = EntityDef {
        logical_collection_name: t.logical_collection_name.unwrap_or_else(|| t.entity_set_name.clone()),
        collection_schema_name: t.collection_schema_name.unwrap_or_else(|| format!("{}s", t.schema_name)),
        logical_name: t.logical_name,
        schema_name: t.schema_name,
        entity_set_name: t.entity_set_name,
        primary_id: t.primary_id_attribute,
        primary_name: t.primary_name_attribute,
        object_type_code: t.object_type_code,
        ownership: t.ownership_type.unwrap_or_else(|| "None".into()),
        is_activity: t.is_activity,
        is_custom: t.is_custom_entity,
        display_name: t.display_name,
        display_collection_name: t.display_collection_name,
        description: t.description,
        attributes,
        attribute_index: Default::default(),
        two_option_defaults: Default::default(),
        money_columns: Default::default(),
        image_columns: Default::default(),
        keys: t
            .keys
            .into_iter()
            .map(|k| KeyDef {
                schema_name: k.schema_name.unwrap_or_else(|| k.logical_name.clone()),
                logical_name: k.logical_name,
                display_name: k.display_name,
                attributes: k.key_attributes,
                is_custom: k.is_custom,
            })
            .collect(),
        one_to_many: t.one_to_many_relationships.into_iter().map(relationship).collect(),
        many_to_one: t.many_to_one_relationships.into_iter().map(relationship).collect(),
        many_to_many: t
            .many_to_many_relationships
            .into_iter()
            .map(|r| ManyToMany {
                schema_name: r.schema_name,
                intersect_entity: r.intersect_entity_name,
                entity1: r.entity1_logical_name,
                entity1_nav: r.entity1_navigation_property_name,
                entity1_intersect_attribute: r.entity1_intersect_attribute,
                entity2: r.entity2_logical_name,
                entity2_nav: r.entity2_navigation_property_name,
                entity2_intersect_attribute: r.entity2_intersect_attribute,
                is_customizable: r.is_customizable,
                is_custom: r.is_custom_relationship,
            })
            .collect(),
    };
    e.reindex();
    e
}

fn relationship(r: RelationshipJson) -> Relationship {
    let cascade = r.cascade_configuration.as_ref().map(|c| {
        let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "NoCascade".into());
        [("Assign", or_none(&c.assign)), ("Delete", or_none(&c.delete)), ("Merge", or_none(&c.merge)), ("Reparent", or_none(&c.reparent)), ("Share", or_none(&c.share)), ("Unshare", or_none(&c.unshare))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    });
    Relationship {
        cascade: cascade.unwrap_or_default(),
        is_customizable: r.is_customizable,
        is_custom: r.is_custom_relationship,
        schema_name: r.schema_name,
        referenced_entity: r.referenced_entity,
        referenced_attribute: r.referenced_attribute,
        referencing_entity: r.referencing_entity,
        referencing_attribute: r.referencing_attribute,
        referenced_nav: r.referenced_entity_navigation_property_name,
        referencing_nav: r.referencing_entity_navigation_property_name,
        is_hierarchical: r.is_hierarchical,
        cascade_delete: r.cascade_configuration.and_then(|c| c.delete).unwrap_or_else(|| "NoCascade".into()),
    }
}

/// `createdbyname`, `owneridyominame` and `owneridtype` are companions of a lookup that
/// Dataverse keeps in metadata but does not expose as OData properties; returns the lookup.
fn lookup_companion_of<'a>(name: &'a str, kind: AttributeType, lookups: &HashSet<String>) -> Option<&'a str> {
    let base = match kind {
        AttributeType::String => name.strip_suffix("yominame").or_else(|| name.strip_suffix("name")),
        AttributeType::EntityName => name.strip_suffix("type"),
        _ => None,
    };
    base.filter(|b| lookups.contains(*b))
}

fn attribute(a: AttributeJson, lookups: &HashSet<String>) -> AttributeDef {
    let kind = AttributeType::from_name(&a.attribute_type);
    let date_kind = (kind == AttributeType::DateTime).then_some(match (a.date_time_behavior.as_deref(), a.format.as_deref()) {
        (Some("DateOnly"), _) => DateTimeKind::DateOnly,
        (_, Some("DateOnly")) => DateTimeKind::DateOnlyUserLocal,
        _ => DateTimeKind::DateAndTime,
    });
    let precision = a.precision.or(match kind {
        AttributeType::Money => Some(2),
        _ => None,
    });
    let lookup_of = lookup_companion_of(&a.logical_name, kind, lookups).map(str::to_string);
    AttributeDef {
        is_custom: a.is_custom_attribute,
        description: a.description,
        hidden: lookup_of.is_some(),
        attribute_of: lookup_of.or(a.attribute_of),
        max_size_kb: a.max_size_in_kb,
        can_store_full_image: a.can_store_full_image,
        format: a.format,
        format_name: a.format_name,
        date_time_behavior: a.date_time_behavior.clone(),
        precision_source: a.precision_source,
        is_primary_image: a.is_primary_image,
        max_image_size: a.max_height.zip(a.max_width),
        property: if kind.is_lookup() { format!("_{}_value", a.logical_name) } else { a.logical_name.clone() },
        logical_name: a.logical_name,
        schema_name: a.schema_name,
        kind,
        display_name: a.display_name,
        required_level: a.required_level.unwrap_or_else(|| "None".into()),
        valid_for_create: a.is_valid_for_create,
        valid_for_update: a.is_valid_for_update,
        valid_for_read: a.is_valid_for_read,
        max_length: a.max_length,
        min_value: a.min_value,
        max_value: a.max_value,
        precision,
        date_kind,
        options: a
            .option_set
            .map(|o| {
                o.options
                    .into_iter()
                    .map(|o| OptionDef {
                        value: o.value,
                        label: o.label.unwrap_or_default(),
                        state: o.state,
                        default_status: o.default_status,
                        invariant_name: o.invariant_name,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        targets: a.targets,
        default_value: a.default_value,
        global_option_set: a.global_option_set_name,
    }
}
