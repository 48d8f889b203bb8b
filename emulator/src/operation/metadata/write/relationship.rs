//! Relationships: `POST RelationshipDefinitions` (a 1:N with its lookup column, which is how
//! Dataverse creates lookups, or an N:N), `PUT RelationshipDefinitions(…)` (a 1:N's cascade
//! configuration and hierarchy flag) and `DELETE RelationshipDefinitions(…)`.

use serde_json::{json, Map, Value as Json};

use super::body::{self, label, value};
use super::{column, commit, names};
use crate::error::{Code, Error, Result};
use crate::metadata::definitions::{self as defs, RelationshipDef};
use crate::metadata::{relationship_from_json, ManyToMany, Metadata, Relationship};
use crate::operation::Ctx;

/// A 1:N relationship whose lookup `referencing_attribute` on `referencing` points at
/// `referenced`; navigation names as Dataverse gives them: the schema name on the parent,
/// the lookup's name on the child.
pub(super) fn lookup_relationship(schema: &str, referenced: &str, referenced_attribute: &str, referencing: &str, referencing_attribute: &str, delete: &str) -> Result<Relationship> {
    relationship_from_json(json!({
        "SchemaName": schema, "ReferencedEntity": referenced, "ReferencedAttribute": referenced_attribute,
        "ReferencingEntity": referencing, "ReferencingAttribute": referencing_attribute,
        "ReferencedEntityNavigationPropertyName": schema, "ReferencingEntityNavigationPropertyName": referencing_attribute,
        "IsCustomizable": true,
        "CascadeConfiguration": { "Assign": "NoCascade", "Delete": delete, "Merge": "NoCascade", "Reparent": "NoCascade", "Share": "NoCascade", "Unshare": "NoCascade" },
    }))
    .map_err(Error::internal)
}

/// Records a 1:N relationship on both of its tables (the parent may be a virtual one, such
/// as `owner`, that has no definition).
pub(super) fn link(m: &mut Metadata, r: Relationship) {
    if let Some(parent) = m.entity_mut(&r.referenced_entity) {
        if r.referenced_entity != r.referencing_entity {
            parent.one_to_many.push(r.clone());
        }
    }
    if let Some(child) = m.entity_mut(&r.referencing_entity) {
        if r.referenced_entity == r.referencing_entity {
            child.one_to_many.push(r.clone());
        }
        child.many_to_one.push(r);
    }
}

/// Removes a relationship of either kind from every table.
pub(super) fn unlink(m: &mut Metadata, schema_name: &str) {
    let touched: Vec<String> = m
        .entities()
        .filter(|e| {
            e.one_to_many.iter().chain(&e.many_to_one).any(|r| r.schema_name == schema_name) || e.many_to_many.iter().any(|r| r.schema_name == schema_name)
        })
        .map(|e| e.logical_name.clone())
        .collect();
    for name in touched {
        if let Some(e) = m.entity_mut(&name) {
            e.one_to_many.retain(|r| r.schema_name != schema_name);
            e.many_to_one.retain(|r| r.schema_name != schema_name);
            e.many_to_many.retain(|r| r.schema_name != schema_name);
        }
    }
}

fn exists(m: &Metadata, schema_name: &str) -> bool {
    defs::relationships(m).iter().any(|r| r.schema_name().eq_ignore_ascii_case(schema_name))
}

fn table<'m>(m: &'m Metadata, name: &str) -> Result<&'m crate::metadata::EntityDef> {
    m.entity(name).map(|e| &**e).ok_or_else(|| {
        Error::new(Code::ObjectDoesNotExist, format!("Could not find an entity with name {name} and id 00000000-0000-0000-0000-000000000000."))
    })
}

/// `POST RelationshipDefinitions`; returns the new relationship's URL.
pub(super) fn create(ctx: &Ctx<'_, '_>) -> Result<String> {
    let map = body::object(ctx.body, "RelationshipMetadataBase")?;
    let schema = commit(ctx, |m| add(m, &map))?;
    Ok(format!("{}RelationshipDefinitions({})", ctx.root, defs::relationship_id(&schema)))
}

/// Adds the relationship a `OneToManyRelationshipMetadata` or
/// `ManyToManyRelationshipMetadata` body describes; returns its schema name.
pub(super) fn add(m: &mut Metadata, map: &Map<String, Json>) -> Result<String> {
    let schema = body::required(map, "SchemaName", "relationship")?.to_string();
    names::check_schema_name(&schema, "EntityRelationship")?;
    if exists(m, &schema) {
        return Err(Error::new(Code::DuplicateName, format!("An object with the specified name already exists: relationship '{schema}'.")));
    }
    match body::odata_type(map).as_deref() {
        Some("OneToManyRelationshipMetadata") => one_to_many(m, &schema, map)?,
        Some("ManyToManyRelationshipMetadata") => many_to_many(m, &schema, map)?,
        other => return Err(Error::new(Code::InvalidArgument, format!("The relationship type '{}' is not valid.", other.unwrap_or("")))),
    }
    Ok(schema)
}

fn one_to_many(m: &mut Metadata, schema: &str, map: &Map<String, Json>) -> Result<()> {
    let referenced = body::required(map, "ReferencedEntity", "relationship")?.to_lowercase();
    let referencing = body::required(map, "ReferencingEntity", "relationship")?.to_lowercase();
    let parent = table(m, &referenced)?;
    let child = table(m, &referencing)?.clone();
    let referenced_attribute = body::string(map, "ReferencedAttribute").map_or_else(|| parent.primary_id.clone(), str::to_lowercase);
    if referenced_attribute != parent.primary_id {
        return Err(Error::new(Code::InvalidArgument, format!("The referenced attribute of a relationship must be the primary key {} of {referenced}.", parent.primary_id)));
    }
    let lookup = map.get("Lookup").and_then(Json::as_object).ok_or_else(|| Error::new(Code::InvalidArgument, "A one-to-many relationship needs its Lookup attribute."))?;
    let lookup_schema = body::required(lookup, "SchemaName", "lookup attribute")?;
    names::check_schema_name(lookup_schema, "Attribute")?;
    let logical = lookup_schema.to_lowercase();
    if child.attribute(&logical).is_some() {
        return Err(Error::new(Code::DuplicateAttributeSchemaName, format!("An attribute with the specified name already exists: '{lookup_schema}' on '{referencing}'.")));
    }
    let delete = map.get("CascadeConfiguration").and_then(|c| c.get("Delete")).and_then(Json::as_str).unwrap_or("RemoveLink");
    if !matches!(delete, "Cascade" | "RemoveLink" | "Restrict" | "NoCascade") {
        return Err(Error::new(Code::InvalidArgument, format!("The cascade type '{delete}' is not valid for Delete.")));
    }
    let mut rel = lookup_relationship(schema, &referenced, &referenced_attribute, &referencing, &logical, delete)?;
    // Custom lookups are navigated by their schema name (`new_ParentAccountId@odata.bind`).
    rel.referencing_nav = Some(body::string(map, "ReferencingEntityNavigationPropertyName").unwrap_or(lookup_schema).to_string());
    if let Some(nav) = body::string(map, "ReferencedEntityNavigationPropertyName") {
        rel.referenced_nav = Some(nav.to_string());
    }
    rel.is_custom = true;
    let spec = json!({
        "LogicalName": logical, "SchemaName": lookup_schema, "AttributeType": "Lookup", "Targets": [referenced],
        "DisplayName": label(lookup, "DisplayName").flatten(), "Description": label(lookup, "Description").flatten(),
        "RequiredLevel": value(lookup, "RequiredLevel").and_then(Json::as_str).unwrap_or("None"), "IsCustomAttribute": true,
    });
    let e = m.entity_mut(&referencing).ok_or_else(|| Error::internal("child table"))?;
    let col = column::build(e, spec)?;
    e.attributes.push(col);
    e.reindex();
    link(m, rel);
    Ok(())
}

fn many_to_many(m: &mut Metadata, schema: &str, map: &Map<String, Json>) -> Result<()> {
    let entity1 = body::required(map, "Entity1LogicalName", "relationship")?.to_lowercase();
    let entity2 = body::required(map, "Entity2LogicalName", "relationship")?.to_lowercase();
    let id1 = table(m, &entity1)?.primary_id.clone();
    let id2 = table(m, &entity2)?.primary_id.clone();
    let intersect = body::string(map, "IntersectEntityName").map_or_else(|| schema.to_lowercase(), str::to_lowercase);
    if m.entity(&intersect).is_some() {
        return Err(Error::new(Code::DuplicateName, format!("An object with the specified name already exists: table '{intersect}'.")));
    }
    let rel = ManyToMany {
        schema_name: schema.to_string(),
        intersect_entity: intersect,
        entity1_nav: body::string(map, "Entity1NavigationPropertyName").unwrap_or(schema).to_string(),
        entity2_nav: body::string(map, "Entity2NavigationPropertyName").unwrap_or(schema).to_string(),
        entity1_intersect_attribute: Some(id1.clone()),
        entity2_intersect_attribute: Some(if id1 == id2 { format!("{id2}two") } else { id2 }),
        entity1: entity1.clone(),
        entity2: entity2.clone(),
        is_customizable: true,
        is_custom: true,
    };
    for name in [&entity1, &entity2] {
        if let Some(e) = m.entity_mut(name) {
            if !e.many_to_many.iter().any(|r| r.schema_name == rel.schema_name) {
                e.many_to_many.push(rel.clone());
            }
        }
    }
    Ok(())
}

/// The cascade behaviours an action of a 1:N's `CascadeConfiguration` may take.
fn cascade_values(action: &str) -> &'static [&'static str] {
    match action {
        "Delete" => &["Cascade", "RemoveLink", "Restrict", "NoCascade"],
        "Assign" | "Share" | "Unshare" | "Reparent" => &["Cascade", "Active", "UserOwned", "NoCascade"],
        _ => &["Cascade", "NoCascade"],
    }
}

/// `PUT RelationshipDefinitions(…)` (the whole definition, as `updateRelationship` sends
/// it): a 1:N takes a new `CascadeConfiguration` (which delete then follows) and
/// `IsHierarchical`. What names the relationship and the tables and column it joins can't
/// change; a body that changes them is refused. An N:N has nothing the emulator models
/// that can change, so a body that keeps its names succeeds without effect.
pub(super) fn update(ctx: &Ctx<'_, '_>, def: &RelationshipDef) -> Result<()> {
    let map = body::object(ctx.body, "RelationshipMetadataBase")?;
    let fixed = |name: &str, current: &str| -> Result<()> {
        match body::string(&map, name) {
            Some(given) if !given.eq_ignore_ascii_case(current) => {
                Err(Error::new(Code::InvalidArgument, format!("The {name} of relationship '{}' can't be changed from '{current}' to '{given}'.", def.schema_name())))
            }
            _ => Ok(()),
        }
    };
    fixed("SchemaName", def.schema_name())?;
    let r = match def {
        RelationshipDef::ManyToMany(r) => {
            fixed("Entity1LogicalName", &r.entity1)?;
            fixed("Entity2LogicalName", &r.entity2)?;
            return fixed("IntersectEntityName", &r.intersect_entity);
        }
        RelationshipDef::OneToMany(r) => r,
    };
    fixed("ReferencedEntity", &r.referenced_entity)?;
    fixed("ReferencingEntity", &r.referencing_entity)?;
    fixed("ReferencingAttribute", &r.referencing_attribute)?;
    let mut cascade: Vec<(String, String)> = Vec::new();
    if let Some(config) = map.get("CascadeConfiguration") {
        let config = config.as_object().ok_or_else(|| Error::new(Code::InvalidArgument, "CascadeConfiguration must be an object."))?;
        for (action, behaviour) in config {
            if action.starts_with('@') || matches!(action.as_str(), "Archive" | "RollupView") {
                continue;
            }
            let behaviour = behaviour.as_str().ok_or_else(|| Error::new(Code::InvalidArgument, format!("The cascade type for {action} must be a string.")))?;
            if !cascade_values(action).contains(&behaviour) {
                return Err(Error::new(Code::InvalidArgument, format!("The cascade type '{behaviour}' is not valid for {action}.")));
            }
            cascade.push((action.clone(), behaviour.to_string()));
        }
    }
    let hierarchical = map.get("IsHierarchical").and_then(Json::as_bool);
    let schema = r.schema_name.clone();
    commit(ctx, |m| {
        let tables: Vec<String> = m.entities().filter(|e| e.one_to_many.iter().chain(&e.many_to_one).any(|x| x.schema_name == schema)).map(|e| e.logical_name.clone()).collect();
        for name in tables {
            let Some(e) = m.entity_mut(&name) else { continue };
            for x in e.one_to_many.iter_mut().chain(e.many_to_one.iter_mut()).filter(|x| x.schema_name == schema) {
                for (action, behaviour) in &cascade {
                    if action == "Delete" {
                        x.cascade_delete = behaviour.clone();
                    }
                    match x.cascade.iter_mut().find(|(a, _)| a == action) {
                        Some(slot) => slot.1 = behaviour.clone(),
                        None => x.cascade.push((action.clone(), behaviour.clone())),
                    }
                }
                if let Some(h) = hierarchical {
                    x.is_hierarchical = h;
                }
            }
        }
        Ok(())
    })
}

/// `DELETE RelationshipDefinitions(…)`: custom relationships only; a 1:N takes its lookup with it.
pub(super) fn delete(ctx: &Ctx<'_, '_>, def: &RelationshipDef) -> Result<()> {
    let custom = match def {
        RelationshipDef::OneToMany(r) => r.is_custom,
        RelationshipDef::ManyToMany(r) => r.is_custom,
    };
    if !custom {
        return Err(Error::new(Code::RelationshipIsNotCustomRelationship, "The specified relationship is not a custom relationship"));
    }
    commit(ctx, |m| {
        unlink(m, def.schema_name());
        if let RelationshipDef::OneToMany(r) = def {
            if let Some(child) = m.entity_mut(&r.referencing_entity) {
                child.attributes.retain(|a| a.logical_name != r.referencing_attribute);
                child.reindex();
            }
        }
        Ok(())
    })
}
