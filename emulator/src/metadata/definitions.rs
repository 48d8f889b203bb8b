//! Metadata as the Web API shows it: the `EntityMetadata`, `EntityKeyMetadata` and
//! relationship JSON objects that `EntityDefinitions` and `RelationshipDefinitions` return,
//! built from the catalog ([`attribute`] does the columns and their option sets).
//!
//! The catalog keeps what the store needs plus what the fixtures record; every other
//! property a real org reports (`IsAuditEnabled`, `IntroducedVersion`, …) gets the value a
//! system table has in a fresh org, so clients that read it find the documented shape.
//! MetadataIds are UUID v5 of a name, so they are stable across runs and orgs.
//!
//! Each builder has a property list (`ENTITY_PROPERTIES`, …). Operations check `$select`
//! and `$filter` names against the lists before building anything, and a unit test keeps
//! lists and builders in step.

pub mod attribute;

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::{EntityDef, KeyDef, ManyToMany, Metadata, Relationship};

/// The namespace of every MetadataId the emulator derives (a fixed random UUID).
const NAMESPACE: Uuid = Uuid::from_u128(0x6d2c_54a1_8f0e_4b7a_9c3d_1e5f_0a2b_4c6d);

/// A stable MetadataId for the `kind` of component called `name`.
pub fn metadata_id(kind: &str, name: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{kind}/{name}").as_bytes())
}

/// The MetadataId of a table.
pub fn entity_id(e: &EntityDef) -> Uuid {
    metadata_id("entity", &e.logical_name)
}

/// The MetadataId of a relationship (relationship schema names are unique in an org).
pub fn relationship_id(schema_name: &str) -> Uuid {
    metadata_id("relationship", schema_name)
}

/// The MetadataId of an alternate key.
pub fn key_id(e: &EntityDef, k: &KeyDef) -> Uuid {
    metadata_id("key", &format!("{}.{}", e.logical_name, k.logical_name))
}

/// A `Label`: one English (1033) localized label that is also the user's label, or the
/// empty label when there is no text. `seed` names the label for its MetadataId.
pub fn label(text: Option<&str>, seed: &str) -> Json {
    match text.filter(|t| !t.is_empty()) {
        None => json!({ "LocalizedLabels": [], "UserLocalizedLabel": null }),
        Some(text) => {
            let localized = json!({
                "Label": text, "LanguageCode": 1033, "IsManaged": true,
                "MetadataId": metadata_id("label", seed), "HasChanged": null,
            });
            json!({ "LocalizedLabels": [localized.clone()], "UserLocalizedLabel": localized })
        }
    }
}

/// A managed property: `{"Value":…,"CanBeChanged":…,"ManagedPropertyLogicalName":…}`.
pub fn managed(value: impl Into<Json>, can_be_changed: bool, logical_name: &str) -> Json {
    json!({ "Value": value.into(), "CanBeChanged": can_be_changed, "ManagedPropertyLogicalName": logical_name })
}

/// The structural properties of `EntityMetadata`, in the order [`entity`] writes them.
pub const ENTITY_PROPERTIES: &[&str] = &[
    "MetadataId", "HasChanged", "AutoCreateAccessTeams", "AutoRouteToOwnerQueue", "CanCreateAttributes",
    "CanTriggerWorkflow", "ChangeTrackingEnabled", "CollectionSchemaName", "Description", "DisplayCollectionName",
    "DisplayName", "EntitySetName", "HasActivities", "HasEmailAddresses", "HasNotes", "IntroducedVersion",
    "IsActivity", "IsActivityParty", "IsAuditEnabled", "IsAvailableOffline", "IsBPFEntity", "IsChildEntity",
    "IsConnectionsEnabled", "IsCustomEntity", "IsCustomizable", "IsDuplicateDetectionEnabled", "IsIntersect",
    "IsKnowledgeManagementEnabled", "IsLogicalEntity", "IsMailMergeEnabled", "IsManaged", "IsMappable",
    "IsPrivate", "IsQuickCreateEnabled", "IsRenameable", "IsStateModelAware", "IsValidForAdvancedFind",
    "IsValidForQueue", "IsVisibleInMobile", "LogicalCollectionName", "LogicalName", "ObjectTypeCode",
    "OwnershipType", "PrimaryIdAttribute", "PrimaryImageAttribute", "PrimaryNameAttribute", "ReportViewName",
    "SchemaName", "TableType", "ExternalName", "ExternalCollectionName",
];

/// The navigation properties of `EntityMetadata` (only through `$expand` or a path segment).
pub const ENTITY_NAVIGATIONS: &[&str] =
    &["Attributes", "Keys", "OneToManyRelationships", "ManyToOneRelationships", "ManyToManyRelationships"];

/// The `EntityMetadata` of a table, without its navigation collections.
pub fn entity(e: &EntityDef) -> Map<String, Json> {
    let name = e.logical_name.as_str();
    let to = |child: &str| e.one_to_many.iter().any(|r| r.referencing_entity == child);
    let primary_image = e.attributes.iter().find(|a| a.is_primary_image).map(|a| a.logical_name.clone());
    let has_email = e.attributes.iter().any(|a| a.format_name.as_deref() == Some("Email"));
    let is_party = e.one_to_many.iter().any(|r| r.referencing_entity == "activityparty" && r.referencing_attribute == "partyid");
    let value = json!({
        "MetadataId": entity_id(e), "HasChanged": null,
        "AutoCreateAccessTeams": false, "AutoRouteToOwnerQueue": false,
        "CanCreateAttributes": managed(true, false, "cancreateattributes"),
        "CanTriggerWorkflow": true, "ChangeTrackingEnabled": true,
        "CollectionSchemaName": e.collection_schema_name,
        "Description": label(e.description.as_deref(), &format!("{name}/Description")),
        "DisplayCollectionName": label(e.display_collection_name.as_deref(), &format!("{name}/DisplayCollectionName")),
        "DisplayName": label(e.display_name.as_deref(), &format!("{name}/DisplayName")),
        "EntitySetName": e.entity_set_name,
        "HasActivities": to("activitypointer"), "HasEmailAddresses": has_email, "HasNotes": to("annotation"),
        "IntroducedVersion": "5.0.0.0",
        "IsActivity": e.is_activity, "IsActivityParty": is_party,
        "IsAuditEnabled": managed(false, true, "canmodifyauditsettings"),
    });
    // Split in two: one literal would pass `json!`'s macro recursion limit.
    let rest = json!({
        "IsAvailableOffline": true, "IsBPFEntity": false, "IsChildEntity": false,
        "IsConnectionsEnabled": managed(false, true, "canmodifyconnectionsettings"),
        "IsCustomEntity": e.is_custom,
        "IsCustomizable": managed(true, false, "iscustomizable"),
        "IsDuplicateDetectionEnabled": managed(false, true, "canmodifyduplicatedetectionsettings"),
        "IsIntersect": false, "IsKnowledgeManagementEnabled": false, "IsLogicalEntity": false,
        "IsMailMergeEnabled": managed(false, true, "canmodifymailmergesettings"),
        "IsManaged": !e.is_custom,
        "IsMappable": managed(true, false, "ismappable"),
        "IsPrivate": false, "IsQuickCreateEnabled": false,
        "IsRenameable": managed(true, false, "isrenameable"),
        "IsStateModelAware": e.attribute("statecode").is_some(),
        "IsValidForAdvancedFind": true,
        "IsValidForQueue": managed(false, true, "canmodifyqueuesettings"),
        "IsVisibleInMobile": managed(false, true, "canmodifymobilevisibility"),
        "LogicalCollectionName": e.logical_collection_name, "LogicalName": name,
        "ObjectTypeCode": e.object_type_code, "OwnershipType": e.ownership,
        "PrimaryIdAttribute": e.primary_id, "PrimaryImageAttribute": primary_image,
        "PrimaryNameAttribute": e.primary_name,
        "ReportViewName": format!("Filtered{}", e.schema_name),
        "SchemaName": e.schema_name, "TableType": "Standard",
        "ExternalName": null, "ExternalCollectionName": null,
    });
    let mut out = into_map(value);
    out.append(&mut into_map(rest));
    out
}

/// The properties of `EntityKeyMetadata`.
pub const KEY_PROPERTIES: &[&str] = &[
    "MetadataId", "HasChanged", "DisplayName", "EntityKeyIndexStatus", "EntityLogicalName", "IntroducedVersion",
    "IsCustomizable", "IsExportKey", "IsManaged", "IsSynchronous", "KeyAttributes", "LogicalName", "SchemaName",
];

/// The `EntityKeyMetadata` of an alternate key.
pub fn key(e: &EntityDef, k: &KeyDef) -> Map<String, Json> {
    into_map(json!({
        "MetadataId": key_id(e, k), "HasChanged": null,
        "DisplayName": label(k.display_name.as_deref(), &format!("{}/key/{}", e.logical_name, k.logical_name)),
        "EntityKeyIndexStatus": "Active", "EntityLogicalName": e.logical_name, "IntroducedVersion": "1.0",
        "IsCustomizable": managed(true, false, "iscustomizable"), "IsExportKey": false, "IsManaged": !(e.is_custom || k.is_custom),
        "IsSynchronous": false, "KeyAttributes": k.attributes, "LogicalName": k.logical_name, "SchemaName": k.schema_name,
    }))
}

/// The two relationship types, as casts name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationshipKind {
    /// `OneToManyRelationshipMetadata` (also the N:1 side of the same relationship).
    OneToMany,
    /// `ManyToManyRelationshipMetadata`
    ManyToMany,
}

impl RelationshipKind {
    /// The unqualified type name.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::OneToMany => "OneToManyRelationshipMetadata",
            Self::ManyToMany => "ManyToManyRelationshipMetadata",
        }
    }

    /// The kind a cast segment (`Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata`) names.
    pub fn from_type_name(qualified: &str) -> Option<Self> {
        match qualified.strip_prefix("Microsoft.Dynamics.CRM.")? {
            "OneToManyRelationshipMetadata" => Some(Self::OneToMany),
            "ManyToManyRelationshipMetadata" => Some(Self::ManyToMany),
            _ => None,
        }
    }

    /// The properties this type adds to [`RELATIONSHIP_PROPERTIES`].
    pub fn properties(self) -> &'static [&'static str] {
        match self {
            Self::OneToMany => ONE_TO_MANY_PROPERTIES,
            Self::ManyToMany => MANY_TO_MANY_PROPERTIES,
        }
    }
}

/// The properties of `RelationshipMetadataBase`, common to both kinds.
pub const RELATIONSHIP_PROPERTIES: &[&str] = &[
    "MetadataId", "HasChanged", "IsCustomRelationship", "IsValidForAdvancedFind", "SchemaName", "SecurityTypes",
    "IsManaged", "RelationshipType", "IntroducedVersion", "RelationshipBehavior", "IsCustomizable",
];

const ONE_TO_MANY_PROPERTIES: &[&str] = &[
    "ReferencedAttribute", "ReferencedEntity", "ReferencingAttribute", "ReferencingEntity", "IsHierarchical",
    "EntityKey", "IsRelationshipAttributeDenormalized", "ReferencedEntityNavigationPropertyName",
    "ReferencingEntityNavigationPropertyName", "IsDenormalizedLookup", "DenormalizedAttributeName",
    "CascadeConfiguration", "AssociatedMenuConfiguration",
];

const MANY_TO_MANY_PROPERTIES: &[&str] = &[
    "Entity1LogicalName", "Entity1IntersectAttribute", "Entity1NavigationPropertyName",
    "Entity1AssociatedMenuConfiguration", "Entity2LogicalName", "Entity2IntersectAttribute",
    "Entity2NavigationPropertyName", "Entity2AssociatedMenuConfiguration", "IntersectEntityName",
];

/// A relationship of either kind, as `RelationshipDefinitions` lists them.
#[derive(Debug, Clone)]
pub enum RelationshipDef {
    /// A 1:N relationship.
    OneToMany(Relationship),
    /// An N:N relationship.
    ManyToMany(ManyToMany),
}

impl RelationshipDef {
    /// The relationship's schema name.
    pub fn schema_name(&self) -> &str {
        match self {
            Self::OneToMany(r) => &r.schema_name,
            Self::ManyToMany(r) => &r.schema_name,
        }
    }

    /// Its kind.
    pub fn kind(&self) -> RelationshipKind {
        match self {
            Self::OneToMany(_) => RelationshipKind::OneToMany,
            Self::ManyToMany(_) => RelationshipKind::ManyToMany,
        }
    }

    /// Its JSON, `@odata.type` first when `typed` (items of a collection declared as the base type).
    pub fn to_json(&self, typed: bool) -> Map<String, Json> {
        let mut body = match self {
            Self::OneToMany(r) => one_to_many(r),
            Self::ManyToMany(r) => many_to_many(r),
        };
        if typed {
            let mut out = Map::with_capacity(body.len() + 1);
            out.insert("@odata.type".into(), Json::String(format!("#Microsoft.Dynamics.CRM.{}", self.kind().type_name())));
            out.append(&mut body);
            body = out;
        }
        body
    }
}

/// Every relationship of the org once, by schema name. Fixtures list a 1:N relationship on
/// both of its tables, so the two copies collapse here.
pub fn relationships(metadata: &Metadata) -> Vec<RelationshipDef> {
    let mut all = BTreeMap::new();
    for e in metadata.entities_sorted() {
        for r in e.one_to_many.iter().chain(&e.many_to_one) {
            all.entry(r.schema_name.clone()).or_insert_with(|| RelationshipDef::OneToMany(r.clone()));
        }
        for r in &e.many_to_many {
            all.entry(r.schema_name.clone()).or_insert_with(|| RelationshipDef::ManyToMany(r.clone()));
        }
    }
    all.into_values().collect()
}

fn base(schema_name: &str, kind: RelationshipKind, customizable: bool, custom: bool) -> Map<String, Json> {
    let (security, relationship_type) = match kind {
        RelationshipKind::OneToMany => ("Append", "OneToManyRelationship"),
        RelationshipKind::ManyToMany => ("None", "ManyToManyRelationship"),
    };
    into_map(json!({
        "MetadataId": relationship_id(schema_name), "HasChanged": null, "IsCustomRelationship": custom,
        "IsValidForAdvancedFind": true, "SchemaName": schema_name, "SecurityTypes": security, "IsManaged": !custom,
        "RelationshipType": relationship_type, "IntroducedVersion": "5.0.0.0", "RelationshipBehavior": 0,
        "IsCustomizable": managed(customizable, false, "iscustomizable"),
    }))
}

fn menu(seed: &str) -> Json {
    json!({ "Behavior": "UseCollectionName", "Group": "Details", "Label": label(None, seed), "Order": 10000 })
}

/// The `OneToManyRelationshipMetadata` of a 1:N relationship.
pub fn one_to_many(r: &Relationship) -> Map<String, Json> {
    let mut cascade: Map<String, Json> = if r.cascade.is_empty() {
        ["Assign", "Merge", "Reparent", "Share", "Unshare"].iter().map(|k| (k.to_string(), json!("NoCascade"))).collect()
    } else {
        r.cascade.iter().map(|(k, v)| (k.clone(), json!(v))).collect()
    };
    cascade.entry("Delete").or_insert_with(|| json!(r.cascade_delete));
    cascade.insert("Archive".into(), json!("NoCascade"));
    cascade.insert("RollupView".into(), json!("NoCascade"));
    let mut out = base(&r.schema_name, RelationshipKind::OneToMany, r.is_customizable, r.is_custom);
    out.append(&mut into_map(json!({
        "ReferencedAttribute": r.referenced_attribute, "ReferencedEntity": r.referenced_entity,
        "ReferencingAttribute": r.referencing_attribute, "ReferencingEntity": r.referencing_entity,
        "IsHierarchical": r.is_hierarchical, "EntityKey": null, "IsRelationshipAttributeDenormalized": false,
        "ReferencedEntityNavigationPropertyName": r.referenced_nav,
        "ReferencingEntityNavigationPropertyName": r.referencing_nav,
        "IsDenormalizedLookup": null, "DenormalizedAttributeName": null,
        "CascadeConfiguration": cascade,
        "AssociatedMenuConfiguration": menu(&format!("{}/menu", r.schema_name)),
    })));
    out
}

/// The `ManyToManyRelationshipMetadata` of an N:N relationship.
pub fn many_to_many(r: &ManyToMany) -> Map<String, Json> {
    let mut out = base(&r.schema_name, RelationshipKind::ManyToMany, r.is_customizable, r.is_custom);
    out.append(&mut into_map(json!({
        "Entity1LogicalName": r.entity1, "Entity1IntersectAttribute": r.entity1_intersect_attribute,
        "Entity1NavigationPropertyName": r.entity1_nav,
        "Entity1AssociatedMenuConfiguration": menu(&format!("{}/menu1", r.schema_name)),
        "Entity2LogicalName": r.entity2, "Entity2IntersectAttribute": r.entity2_intersect_attribute,
        "Entity2NavigationPropertyName": r.entity2_nav,
        "Entity2AssociatedMenuConfiguration": menu(&format!("{}/menu2", r.schema_name)),
        "IntersectEntityName": r.intersect_entity,
    })));
    out
}

/// Unwraps a `json!` object literal.
fn into_map(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Metadata {
        let files = fixtures::DEFAULT_ORG.iter().filter(|(p, _)| p.starts_with("tables/")).map(|(p, t)| (*p, *t));
        Metadata::new(crate::metadata::load_tables(files).expect("fixture tables load"))
    }

    fn keys(map: &Map<String, Json>) -> Vec<&str> {
        map.keys().map(String::as_str).filter(|k| !k.starts_with('@')).collect()
    }

    #[test]
    fn builders_write_exactly_their_property_lists() {
        let m = org();
        let account = m.entity("account").expect("account");
        assert_eq!(keys(&entity(account)), ENTITY_PROPERTIES);
        assert_eq!(keys(&key(account, &account.keys[0])), KEY_PROPERTIES);
        for r in relationships(&m) {
            let expected: Vec<&str> = RELATIONSHIP_PROPERTIES.iter().chain(r.kind().properties()).copied().collect();
            let json = r.to_json(false);
            let mut got = keys(&json);
            let mut want = expected;
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{}", r.schema_name());
        }
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let m = org();
        let account = m.entity("account").unwrap();
        assert_eq!(entity_id(account), entity_id(account));
        assert_ne!(entity_id(account), entity_id(m.entity("contact").unwrap()));
        assert_eq!(entity_id(account).get_version_num(), 5);
    }
}
