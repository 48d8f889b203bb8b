//! Writes table definitions back out in the fixture shape `load.rs` reads, so that an
//! exported snapshot (or the state file) can carry the schema changes an org has had, and
//! loading them gives the same catalog.
//!
//! Only what `load.rs` reads is written; everything it derives (OData property names,
//! lookup companions, date kinds) is derived again on the way back in.

use std::sync::Arc;

use serde_json::{json, Map, Value as Json};

use super::{load_tables, AttributeDef, AttributeType, EntityDef, KeyDef, ManyToMany, Metadata, Relationship};

/// `AttributeType` as the fixture files spell it.
fn type_name(kind: AttributeType) -> &'static str {
    use AttributeType as T;
    match kind {
        T::String => "String",
        T::Memo => "Memo",
        T::Integer => "Integer",
        T::BigInt => "BigInt",
        T::Decimal => "Decimal",
        T::Double => "Double",
        T::Money => "Money",
        T::Boolean => "Boolean",
        T::DateTime => "DateTime",
        T::Picklist => "Picklist",
        T::State => "State",
        T::Status => "Status",
        T::Lookup => "Lookup",
        T::Customer => "Customer",
        T::Owner => "Owner",
        T::Uniqueidentifier => "Uniqueidentifier",
        T::PartyList => "PartyList",
        T::EntityName => "EntityName",
        T::Image => "Image",
        T::ManagedProperty => "ManagedProperty",
        T::Virtual => "Virtual",
        T::File => "File",
        T::MultiSelectPicklist => "MultiSelectPicklist",
    }
}

/// Inserts `value` under `key` unless it is null (the loader's default for every optional).
fn put(map: &mut Map<String, Json>, key: &str, value: Json) {
    if !value.is_null() {
        map.insert(key.to_string(), value);
    }
}

fn attribute(a: &AttributeDef) -> Json {
    let mut m = Map::new();
    m.insert("LogicalName".into(), json!(a.logical_name));
    m.insert("SchemaName".into(), json!(a.schema_name));
    m.insert("AttributeType".into(), json!(type_name(a.kind)));
    put(&mut m, "DisplayName", json!(a.display_name));
    m.insert("RequiredLevel".into(), json!(a.required_level));
    m.insert("IsValidForCreate".into(), json!(a.valid_for_create));
    m.insert("IsValidForUpdate".into(), json!(a.valid_for_update));
    m.insert("IsValidForRead".into(), json!(a.valid_for_read));
    put(&mut m, "MaxLength", json!(a.max_length));
    put(&mut m, "MinValue", json!(a.min_value));
    put(&mut m, "MaxValue", json!(a.max_value));
    put(&mut m, "Precision", json!(a.precision));
    put(&mut m, "Format", json!(a.format));
    put(&mut m, "FormatName", json!(a.format_name));
    put(&mut m, "DateTimeBehavior", json!(a.date_time_behavior));
    put(&mut m, "PrecisionSource", json!(a.precision_source));
    if a.is_primary_image {
        m.insert("IsPrimaryImage".into(), json!(true));
    }
    if let Some((h, w)) = a.max_image_size {
        m.insert("MaxHeight".into(), json!(h));
        m.insert("MaxWidth".into(), json!(w));
    }
    if !a.options.is_empty() {
        let options: Vec<Json> = a
            .options
            .iter()
            .map(|o| {
                let mut m = Map::new();
                m.insert("Value".into(), json!(o.value));
                m.insert("Label".into(), json!(o.label));
                put(&mut m, "State", json!(o.state));
                put(&mut m, "DefaultStatus", json!(o.default_status));
                put(&mut m, "InvariantName", json!(o.invariant_name));
                Json::Object(m)
            })
            .collect();
        m.insert("OptionSet".into(), json!({ "Options": options }));
    }
    if !a.targets.is_empty() {
        m.insert("Targets".into(), json!(a.targets));
    }
    put(&mut m, "DefaultValue", a.default_value.clone().unwrap_or(Json::Null));
    if a.is_custom {
        m.insert("IsCustomAttribute".into(), json!(true));
    }
    put(&mut m, "Description", json!(a.description));
    Json::Object(m)
}

fn key(k: &KeyDef) -> Json {
    let mut m = Map::new();
    m.insert("LogicalName".into(), json!(k.logical_name));
    m.insert("SchemaName".into(), json!(k.schema_name));
    put(&mut m, "DisplayName", json!(k.display_name));
    m.insert("KeyAttributes".into(), json!(k.attributes));
    if k.is_custom {
        m.insert("IsCustom".into(), json!(true));
    }
    Json::Object(m)
}

fn relationship(r: &Relationship) -> Json {
    let mut m = Map::new();
    m.insert("SchemaName".into(), json!(r.schema_name));
    m.insert("ReferencedEntity".into(), json!(r.referenced_entity));
    m.insert("ReferencedAttribute".into(), json!(r.referenced_attribute));
    m.insert("ReferencingEntity".into(), json!(r.referencing_entity));
    m.insert("ReferencingAttribute".into(), json!(r.referencing_attribute));
    put(&mut m, "ReferencedEntityNavigationPropertyName", json!(r.referenced_nav));
    put(&mut m, "ReferencingEntityNavigationPropertyName", json!(r.referencing_nav));
    let mut cascade: Map<String, Json> = r.cascade.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    if cascade.is_empty() && r.cascade_delete != "NoCascade" {
        cascade.insert("Delete".into(), json!(r.cascade_delete));
    }
    if !cascade.is_empty() {
        m.insert("CascadeConfiguration".into(), Json::Object(cascade));
    }
    m.insert("IsHierarchical".into(), json!(r.is_hierarchical));
    m.insert("IsCustomizable".into(), json!(r.is_customizable));
    m.insert("IsCustomRelationship".into(), json!(r.is_custom));
    Json::Object(m)
}

fn many_to_many(r: &ManyToMany) -> Json {
    let mut m = Map::new();
    m.insert("SchemaName".into(), json!(r.schema_name));
    m.insert("IntersectEntityName".into(), json!(r.intersect_entity));
    m.insert("Entity1LogicalName".into(), json!(r.entity1));
    put(&mut m, "Entity1IntersectAttribute", json!(r.entity1_intersect_attribute));
    m.insert("Entity1NavigationPropertyName".into(), json!(r.entity1_nav));
    m.insert("Entity2LogicalName".into(), json!(r.entity2));
    put(&mut m, "Entity2IntersectAttribute", json!(r.entity2_intersect_attribute));
    m.insert("Entity2NavigationPropertyName".into(), json!(r.entity2_nav));
    m.insert("IsCustomizable".into(), json!(r.is_customizable));
    m.insert("IsCustomRelationship".into(), json!(r.is_custom));
    Json::Object(m)
}

/// One table in the fixture shape (`fixtures/default-org/tables/*.json`).
pub fn table_to_json(e: &EntityDef) -> Json {
    let mut m = Map::new();
    m.insert("LogicalName".into(), json!(e.logical_name));
    m.insert("SchemaName".into(), json!(e.schema_name));
    m.insert("EntitySetName".into(), json!(e.entity_set_name));
    m.insert("LogicalCollectionName".into(), json!(e.logical_collection_name));
    m.insert("CollectionSchemaName".into(), json!(e.collection_schema_name));
    m.insert("PrimaryIdAttribute".into(), json!(e.primary_id));
    m.insert("PrimaryNameAttribute".into(), json!(e.primary_name));
    m.insert("ObjectTypeCode".into(), json!(e.object_type_code));
    m.insert("OwnershipType".into(), json!(e.ownership));
    m.insert("IsActivity".into(), json!(e.is_activity));
    m.insert("IsCustomEntity".into(), json!(e.is_custom));
    put(&mut m, "DisplayName", json!(e.display_name));
    put(&mut m, "DisplayCollectionName", json!(e.display_collection_name));
    put(&mut m, "Description", json!(e.description));
    m.insert("Attributes".into(), e.attributes.iter().map(attribute).collect());
    m.insert("Keys".into(), e.keys.iter().map(key).collect());
    m.insert("OneToManyRelationships".into(), e.one_to_many.iter().map(relationship).collect());
    m.insert("ManyToOneRelationships".into(), e.many_to_one.iter().map(relationship).collect());
    m.insert("ManyToManyRelationships".into(), e.many_to_many.iter().map(many_to_many).collect());
    Json::Object(m)
}

/// How `current` differs from `base`: the tables it adds or changes (whole, in the fixture
/// shape) and the tables it removes. `{"tables": […], "removedTables": […]}`, both sorted.
///
/// A table shared with the base (the same `Arc`, which is what an untouched table of an org
/// made from a fixture is) is skipped without rendering it; any other table is compared
/// through its JSON, so a rebuilt-but-equal table is not reported either.
pub fn schema_changes(base: &Metadata, current: &Metadata) -> Json {
    let mut tables = Vec::new();
    for e in current.entities_sorted() {
        let unchanged = base.entity(&e.logical_name).is_some_and(|b| Arc::ptr_eq(b, e) || table_to_json(b) == table_to_json(e));
        if !unchanged {
            tables.push(table_to_json(e));
        }
    }
    let mut removed: Vec<&str> = base.entities().map(|e| e.logical_name.as_str()).filter(|n| current.entity(n).is_none()).collect();
    removed.sort_unstable();
    json!({ "tables": tables, "removedTables": removed })
}

/// `base` with [`schema_changes`] applied: the removed tables dropped, the listed tables
/// added or replaced. Untouched tables stay shared with `base`.
pub fn apply_schema_changes(base: &Metadata, changes: &Json) -> Result<Metadata, String> {
    let mut schema = base.clone();
    for name in changes.get("removedTables").and_then(Json::as_array).into_iter().flatten() {
        let name = name.as_str().ok_or("removedTables: each entry must be a table name")?;
        schema.remove_entity(name);
    }
    let tables: Vec<(String, String)> = changes
        .get("tables")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, t)| (format!("schema table {i}"), t.to_string()))
        .collect();
    let loaded = load_tables(tables.iter().map(|(n, t)| (n.as_str(), t.as_str()))).map_err(|e| e.to_string())?;
    for table in loaded {
        schema.put_entity(table);
    }
    schema.touch();
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_schema() -> Metadata {
        let files = fixtures::DEFAULT_ORG.iter().filter(|(p, _)| p.starts_with("tables/")).map(|(p, t)| (*p, *t));
        Metadata::new(load_tables(files).expect("fixture tables load"))
    }

    #[test]
    fn every_fixture_table_survives_a_round_trip() {
        let schema = default_schema();
        for e in schema.entities() {
            let text = table_to_json(e).to_string();
            let back = load_tables([("t", text.as_str())]).unwrap().remove(0);
            assert_eq!(table_to_json(&back), table_to_json(e), "{}", e.logical_name);
            assert_eq!(back.attributes.iter().map(|a| &a.property).collect::<Vec<_>>(), e.attributes.iter().map(|a| &a.property).collect::<Vec<_>>());
        }
    }

    #[test]
    fn an_untouched_schema_has_no_changes() {
        let base = default_schema();
        let copy = base.clone();
        assert_eq!(schema_changes(&base, &copy), json!({"tables": [], "removedTables": []}));
    }

    #[test]
    fn changes_apply_back_onto_the_base() {
        let base = default_schema();
        let mut current = base.clone();
        current.remove_entity("phonecall");
        let mut account = (**current.entity("account").unwrap()).clone();
        account.display_name = Some("Company".into());
        current.put_entity(account);
        let changes = schema_changes(&base, &current);
        assert_eq!(changes["removedTables"], json!(["phonecall"]));
        assert_eq!(changes["tables"].as_array().unwrap().len(), 1);
        let rebuilt = apply_schema_changes(&base, &changes).unwrap();
        assert!(rebuilt.entity("phonecall").is_none());
        assert_eq!(rebuilt.entity("account").unwrap().display_name.as_deref(), Some("Company"));
        assert!(Arc::ptr_eq(rebuilt.entity("contact").unwrap(), base.entity("contact").unwrap()));
    }
}
