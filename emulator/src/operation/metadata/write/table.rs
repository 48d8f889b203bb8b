//! Tables: `POST EntityDefinitions`, the `CreateEntities` action, `PUT EntityDefinitions(…)`
//! and `DELETE EntityDefinitions(…)`.
//!
//! A new table gets what Dataverse gives every custom table: its `<name>id` primary key, the
//! primary name column from the body, the audit columns (`createdon`, `createdby`, …,
//! `versionnumber`), status and status reason, and the owner columns of a user-owned table
//! (or `organizationid` of an organization-owned one), with their relationships.

use serde_json::{json, Map, Value as Json};

use super::body::{self, label, merged_label};
use super::{column, commit, entity_mut, names, relationship};
use crate::error::{Code, Error, Result};
use crate::metadata::definitions::entity_id;
use crate::metadata::{table_from_json, Metadata};
use crate::operation::Ctx;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidArgument, message)
}

/// A system column in fixture shape.
fn system(logical: &str, schema: &str, kind: &str, display: &str, create: bool, update: bool) -> Json {
    json!({ "LogicalName": logical, "SchemaName": schema, "AttributeType": kind, "DisplayName": display,
            "IsValidForCreate": create, "IsValidForUpdate": update })
}

fn lookup(logical: &str, schema: &str, display: &str, target: &str, create: bool, update: bool) -> Json {
    let mut c = system(logical, schema, "Lookup", display, create, update);
    c["Targets"] = json!([target]);
    c
}

/// A system lookup's N:1 relationship: `(schema name, parent table, parent key, lookup)`.
type SystemRelationship = (String, &'static str, &'static str, &'static str);

/// The columns Dataverse adds to every custom table, and the relationships of its system lookups.
fn system_columns(name: &str, schema: &str, user_owned: bool) -> (Vec<Json>, Vec<SystemRelationship>) {
    let mut columns = vec![
        json!({ "LogicalName": format!("{name}id"), "SchemaName": format!("{schema}Id"), "AttributeType": "Uniqueidentifier",
                "DisplayName": schema, "RequiredLevel": "SystemRequired", "IsValidForUpdate": false }),
        system("createdon", "CreatedOn", "DateTime", "Created On", false, false),
        lookup("createdby", "CreatedBy", "Created By", "systemuser", false, false),
        lookup("createdonbehalfby", "CreatedOnBehalfBy", "Created By (Delegate)", "systemuser", false, false),
        system("modifiedon", "ModifiedOn", "DateTime", "Modified On", false, false),
        lookup("modifiedby", "ModifiedBy", "Modified By", "systemuser", false, false),
        lookup("modifiedonbehalfby", "ModifiedOnBehalfBy", "Modified By (Delegate)", "systemuser", false, false),
        json!({ "LogicalName": "overriddencreatedon", "SchemaName": "OverriddenCreatedOn", "AttributeType": "DateTime",
                "DisplayName": "Record Created On", "Format": "DateOnly", "IsValidForUpdate": false }),
        system("importsequencenumber", "ImportSequenceNumber", "Integer", "Import Sequence Number", true, false),
        system("timezoneruleversionnumber", "TimeZoneRuleVersionNumber", "Integer", "Time Zone Rule Version Number", true, true),
        system("utcconversiontimezonecode", "UTCConversionTimeZoneCode", "Integer", "UTC Conversion Time Zone Code", true, true),
        system("versionnumber", "VersionNumber", "BigInt", "Version Number", false, false),
        json!({ "LogicalName": "statecode", "SchemaName": "statecode", "AttributeType": "State", "DisplayName": "Status",
                "RequiredLevel": "SystemRequired", "IsValidForCreate": false, "OptionSet": { "Options": [
                    { "Value": 0, "Label": "Active", "DefaultStatus": 1, "InvariantName": "Active" },
                    { "Value": 1, "Label": "Inactive", "DefaultStatus": 2, "InvariantName": "Inactive" } ] } }),
        json!({ "LogicalName": "statuscode", "SchemaName": "statuscode", "AttributeType": "Status", "DisplayName": "Status Reason",
                "OptionSet": { "Options": [ { "Value": 1, "Label": "Active", "State": 0 }, { "Value": 2, "Label": "Inactive", "State": 1 } ] } }),
    ];
    let mut rels = vec![
        (format!("lk_{name}_createdby"), "systemuser", "systemuserid", "createdby"),
        (format!("lk_{name}_createdonbehalfby"), "systemuser", "systemuserid", "createdonbehalfby"),
        (format!("lk_{name}_modifiedby"), "systemuser", "systemuserid", "modifiedby"),
        (format!("lk_{name}_modifiedonbehalfby"), "systemuser", "systemuserid", "modifiedonbehalfby"),
    ];
    if user_owned {
        columns.push(json!({ "LogicalName": "ownerid", "SchemaName": "OwnerId", "AttributeType": "Owner", "DisplayName": "Owner",
                             "RequiredLevel": "SystemRequired", "Targets": ["systemuser", "team"] }));
        columns.push(lookup("owningbusinessunit", "OwningBusinessUnit", "Owning Business Unit", "businessunit", false, false));
        columns.push(lookup("owninguser", "OwningUser", "Owning User", "systemuser", false, false));
        columns.push(lookup("owningteam", "OwningTeam", "Owning Team", "team", false, false));
        rels.push((format!("owner_{name}"), "owner", "ownerid", "ownerid"));
        rels.push((format!("business_unit_{name}"), "businessunit", "businessunitid", "owningbusinessunit"));
        rels.push((format!("user_{name}"), "systemuser", "systemuserid", "owninguser"));
        rels.push((format!("team_{name}"), "team", "teamid", "owningteam"));
    } else {
        columns.push(lookup("organizationid", "OrganizationId", "Organization Id", "organization", false, false));
        rels.push((format!("organization_{name}"), "organization", "organizationid", "organizationid"));
    }
    (columns, rels)
}

/// Adds the table a `EntityMetadata` (or `ComplexEntityMetadata`) body describes to `m`;
/// returns its logical name.
pub(super) fn add_table(m: &mut Metadata, map: &Map<String, Json>) -> Result<String> {
    let schema = body::required(map, "SchemaName", "entity")?;
    names::check_schema_name(schema, "Entity")?;
    let name = schema.to_lowercase();
    let set = body::string(map, "EntitySetName").or(body::string(map, "LogicalCollectionName")).map_or_else(|| names::pluralize(&name), str::to_string);
    if m.entity(&name).is_some() || m.entity_by_set(&set).is_some() {
        return Err(Error::new(Code::InvalidSchemaName, "An entity with the specified name already exists. Please specify a unique name."));
    }
    if map.get("IsActivity").and_then(Json::as_bool) == Some(true) {
        return Err(Error::new(Code::NotSupported, "Creating activity tables is not emulated yet."));
    }
    let user_owned = match body::string(map, "OwnershipType").unwrap_or("UserOwned") {
        "UserOwned" => true,
        "OrganizationOwned" => false,
        other => return Err(invalid(format!("The ownership type '{other}' is not valid for a custom entity."))),
    };
    let attributes = map.get("Attributes").and_then(Json::as_array).cloned().unwrap_or_default();
    let attributes: Vec<Map<String, Json>> = attributes.into_iter().filter_map(|a| a.as_object().cloned()).collect();
    let (primary, others): (Vec<_>, Vec<_>) = attributes.into_iter().partition(|a| a.get("IsPrimaryName").and_then(Json::as_bool) == Some(true));
    let [primary] = <[_; 1]>::try_from(primary).map_err(|_| invalid("An entity needs exactly one attribute with IsPrimaryName set to true."))?;
    if body::odata_type(&primary).as_deref().is_some_and(|t| t != "StringAttributeMetadata") {
        return Err(Error::new(Code::InvalidPrimaryFieldType, "Primary UI Attribute has to be of type String"));
    }
    let (mut columns, rels) = system_columns(&name, schema, user_owned);
    let object_type_code = m.entities().map(|e| e.object_type_code).filter(|c| *c >= 10000).max().map_or(10000, |c| c + 1);
    let display = label(map, "DisplayName").flatten();
    let table = json!({
        "LogicalName": name, "SchemaName": schema, "EntitySetName": set, "LogicalCollectionName": set,
        "CollectionSchemaName": format!("{schema}s"),
        "PrimaryIdAttribute": format!("{name}id"), "PrimaryNameAttribute": null, "ObjectTypeCode": object_type_code,
        "OwnershipType": if user_owned { "UserOwned" } else { "OrganizationOwned" }, "IsCustomEntity": true,
        "DisplayName": display, "DisplayCollectionName": label(map, "DisplayCollectionName").flatten(),
        "Description": label(map, "Description").flatten(), "Attributes": [],
    });
    let mut def = table_from_json(table).map_err(|e| Error::internal(format!("table definition: {e}")))?;
    // The primary name goes through the column rules (prefix, length) like any other.
    let mut primary = primary;
    primary.insert("@odata.type".into(), json!("Microsoft.Dynamics.CRM.StringAttributeMetadata"));
    let primary_spec = column::spec(m, &def, &primary)?;
    def.primary_name = primary_spec["LogicalName"].as_str().map(str::to_string);
    let mut required = primary_spec;
    if required["RequiredLevel"] == json!("None") {
        required["RequiredLevel"] = json!("ApplicationRequired");
    }
    columns.insert(1, required);
    let lookups = columns.iter().filter(|c| matches!(c["AttributeType"].as_str(), Some("Lookup" | "Owner"))).filter_map(|c| c["LogicalName"].as_str().map(str::to_string)).collect();
    for c in columns {
        def.attributes.push(crate::metadata::attribute_from_json(c, &lookups).map_err(Error::internal)?);
    }
    def.reindex();
    m.put_entity(def);
    for (rel_schema, parent, parent_key, attribute) in rels {
        let mut r = relationship::lookup_relationship(&rel_schema, parent, parent_key, &name, attribute, "NoCascade")?;
        if parent == "owner" {
            r.referenced_nav = None;
        }
        relationship::link(m, r);
    }
    for other in others {
        let current = m.entity(&name).cloned().ok_or_else(|| Error::internal("new table"))?;
        let spec = column::spec(m, &current, &other)?;
        column::add(m, &name, spec)?;
    }
    Ok(name)
}

/// `POST EntityDefinitions`; returns the new table's URL.
pub(super) fn create(ctx: &Ctx<'_, '_>) -> Result<String> {
    let map = body::object(ctx.body, "EntityMetadata")?;
    let name = commit(ctx, |m| add_table(m, &map))?;
    let created = ctx.access.metadata();
    let e = created.entity(&name).ok_or_else(|| Error::internal("new table"))?;
    Ok(format!("{}EntityDefinitions({})", ctx.root, entity_id(e)))
}

/// `POST CreateEntities`: `{"Entities": [ComplexEntityMetadata, …]}`, all or nothing.
pub(super) fn create_many(ctx: &Ctx<'_, '_>) -> Result<()> {
    let map = body::object(ctx.body, "CreateEntities")?;
    let entities = map.get("Entities").and_then(Json::as_array).ok_or_else(|| invalid("The Entities parameter of CreateEntities is required."))?;
    commit(ctx, |m| {
        for e in entities {
            let e = e.as_object().ok_or_else(|| invalid("Each item of Entities must be an object."))?;
            add_table(m, e)?;
        }
        Ok(())
    })
}

/// `PUT EntityDefinitions(…)`: the labels change (merged by language with
/// `MSCRM.MergeLabels: true`); names, keys and ownership can't.
pub(super) fn update(ctx: &Ctx<'_, '_>, e: &crate::metadata::EntityDef) -> Result<()> {
    let map = body::object(ctx.body, "EntityMetadata")?;
    let merge = ctx.headers.get("mscrm.mergelabels").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if let Some(s) = body::string(&map, "SchemaName") {
        if s != e.schema_name {
            return Err(invalid(format!("The SchemaName of the entity can't be changed from {} to {s}.", e.schema_name)));
        }
    }
    commit(ctx, |m| {
        let t = entity_mut(m, &e.logical_name)?;
        t.display_name = merged_label(&map, "DisplayName", t.display_name.take(), merge);
        t.display_collection_name = merged_label(&map, "DisplayCollectionName", t.display_collection_name.take(), merge);
        t.description = merged_label(&map, "Description", t.description.take(), merge);
        Ok(())
    })
}

/// `DELETE EntityDefinitions(…)`: custom tables only. Its rows, its relationships, and the
/// lookups other tables had to it go with it.
pub(super) fn delete(ctx: &Ctx<'_, '_>, e: &crate::metadata::EntityDef) -> Result<()> {
    if !e.is_custom {
        return Err(invalid(format!("The entity {} is not a custom entity and can't be deleted.", e.logical_name)));
    }
    commit(ctx, |m| {
        let rels: Vec<(String, String, String)> = e
            .one_to_many
            .iter()
            .chain(&e.many_to_one)
            .map(|r| (r.schema_name.clone(), r.referencing_entity.clone(), r.referencing_attribute.clone()))
            .chain(e.many_to_many.iter().map(|r| (r.schema_name.clone(), String::new(), String::new())))
            .collect();
        m.remove_entity(&e.logical_name);
        for (schema, child, lookup) in rels {
            relationship::unlink(m, &schema);
            if child != e.logical_name {
                if let Some(c) = m.entity_mut(&child) {
                    c.attributes.retain(|a| a.logical_name != lookup);
                    c.reindex();
                }
            }
        }
        Ok(())
    })
}
