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
    display_name: Option<String>,
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
    date_time_behavior: Option<String>,
    option_set: Option<OptionSetJson>,
    #[serde(default)]
    targets: Vec<String>,
    default_value: Option<serde_json::Value>,
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
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyJson {
    logical_name: String,
    key_attributes: Vec<String>,
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
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CascadeJson {
    delete: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManyToManyJson {
    schema_name: String,
    intersect_entity_name: String,
    #[serde(rename = "Entity1LogicalName")]
    entity1_logical_name: String,
    #[serde(rename = "Entity1NavigationPropertyName")]
    entity1_navigation_property_name: String,
    #[serde(rename = "Entity2LogicalName")]
    entity2_logical_name: String,
    #[serde(rename = "Entity2NavigationPropertyName")]
    entity2_navigation_property_name: String,
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

fn table(t: TableJson) -> EntityDef {
    let lookups: HashSet<String> = t
        .attributes
        .iter()
        .filter(|a| AttributeType::from_name(&a.attribute_type).is_lookup())
        .map(|a| a.logical_name.clone())
        .collect();
    let attributes = t.attributes.into_iter().map(|a| attribute(a, &lookups)).collect();
    let mut e = EntityDef {
        logical_name: t.logical_name,
        schema_name: t.schema_name,
        entity_set_name: t.entity_set_name,
        primary_id: t.primary_id_attribute,
        primary_name: t.primary_name_attribute,
        object_type_code: t.object_type_code,
        ownership: t.ownership_type.unwrap_or_else(|| "None".into()),
        is_activity: t.is_activity,
        display_name: t.display_name,
        attributes,
        attribute_index: Default::default(),
        keys: t.keys.into_iter().map(|k| KeyDef { logical_name: k.logical_name, attributes: k.key_attributes }).collect(),
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
                entity2: r.entity2_logical_name,
                entity2_nav: r.entity2_navigation_property_name,
            })
            .collect(),
    };
    e.reindex();
    e
}

fn relationship(r: RelationshipJson) -> Relationship {
    Relationship {
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
/// Dataverse keeps in metadata but does not expose as OData properties.
fn is_lookup_companion(name: &str, kind: AttributeType, lookups: &HashSet<String>) -> bool {
    let base = match kind {
        AttributeType::String => name.strip_suffix("yominame").or_else(|| name.strip_suffix("name")),
        AttributeType::EntityName => name.strip_suffix("type"),
        _ => None,
    };
    base.is_some_and(|b| lookups.contains(b))
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
    AttributeDef {
        hidden: is_lookup_companion(&a.logical_name, kind, lookups),
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
                    })
                    .collect()
            })
            .unwrap_or_default(),
        targets: a.targets,
        default_value: a.default_value,
    }
}
