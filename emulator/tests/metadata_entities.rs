//! Table metadata: `EntityDefinitions` (wire reference §6.1), `RelationshipDefinitions` and
//! `GlobalOptionSetDefinitions` (§6.5), including the lookups the Python SDK makes on its own
//! (Python client reference §4, §5.2).

use crate::common;

use common::*;
use http::{Method, StatusCode};
use serde_json::Value;

/// Dataverse's code for a malformed query (unknown property, bad key).
const BAD_REQUEST: &str = "0x80060888";
/// Dataverse's code for a missing component.
const DOES_NOT_EXIST: &str = "0x80040217";

/// The `LogicalName`s of a collection response.
fn names(r: &Resp) -> Vec<String> {
    column_of(r, "LogicalName")
}

/// Asserts a `Label` object with one English label that is also the user's.
#[track_caller]
fn assert_label(v: &Value, text: &str) {
    let localized = &v["LocalizedLabels"][0];
    assert_eq!(localized["Label"], text, "{v}");
    assert_eq!(localized["LanguageCode"], 1033);
    assert_eq!(localized["IsManaged"], true);
    assert!(localized["MetadataId"].as_str().is_some_and(|s| s.len() == 36), "{v}");
    assert_eq!(localized["HasChanged"], Value::Null);
    assert_eq!(v["UserLocalizedLabel"], *localized);
    assert_eq!(v["LocalizedLabels"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn service_document_lists_the_metadata_sets() {
    let s = Server::start().await;
    let r = s.get("").await;
    let sets = column_of(&r, "name");
    for set in ["EntityDefinitions", "RelationshipDefinitions", "GlobalOptionSetDefinitions", "accounts"] {
        assert!(sets.iter().any(|s| s == set), "{set} missing from {sets:?}");
    }
}

#[tokio::test]
async fn python_sdk_entity_set_lookup() {
    let s = Server::start().await;
    let r = s.get("EntityDefinitions?$select=LogicalName,EntitySetName,PrimaryIdAttribute&$filter=LogicalName%20eq%20'account'").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#EntityDefinitions(LogicalName,EntitySetName,PrimaryIdAttribute)", s.base));
    let row = r.json["value"][0].as_object().expect("one row");
    let keys: Vec<&str> = row.keys().map(String::as_str).collect();
    assert_eq!(keys, ["LogicalName", "EntitySetName", "PrimaryIdAttribute", "MetadataId"], "MetadataId always comes back");
    assert_eq!((row["EntitySetName"].as_str(), row["PrimaryIdAttribute"].as_str()), (Some("accounts"), Some("accountid")));
    assert_eq!(r.json["value"].as_array().unwrap().len(), 1);

    // The table operations' wider select, percent-encoded as requests sends it.
    let r = s.get("EntityDefinitions?%24select=MetadataId%2CLogicalName%2CSchemaName%2CEntitySetName%2CPrimaryNameAttribute%2CPrimaryIdAttribute&%24filter=LogicalName%20eq%20%27contact%27").await;
    assert_eq!(r.json["value"][0]["SchemaName"], "Contact", "{}", r.text);
    assert_eq!(r.json["value"][0]["PrimaryNameAttribute"], "fullname");
}

#[tokio::test]
async fn a_filter_matching_nothing_is_an_empty_list_not_a_404() {
    let s = Server::start().await;
    let r = s.get("EntityDefinitions?$select=LogicalName,EntitySetName&$filter=LogicalName%20eq%20'new_widget'").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["value"], serde_json::json!([]));
    let r = s.get("EntityDefinitions?$select=LogicalName&$filter=IsCustomEntity%20eq%20true").await;
    assert_eq!(r.json["value"], serde_json::json!([]), "the default org has system tables only");
}

#[tokio::test]
async fn filters_over_strings_booleans_numbers_and_enums() {
    let s = Server::start().await;
    let q = |f: &str| format!("EntityDefinitions?$select=LogicalName&$filter={}", enc(f));
    let r = s.get(&q("EntitySetName eq 'accounts' or ObjectTypeCode eq 2")).await;
    assert_eq!(names(&r), ["account", "contact"], "{}", r.text);
    let r = s.get(&q("IsActivity eq true and not (LogicalName eq 'activitypointer') and ObjectTypeCode lt 4205")).await;
    assert_eq!(names(&r), ["appointment", "email"]);
    let r = s.get(&q("startswith(LogicalName,'sdkmessagep') or contains(SchemaName,'CURRENCY')")).await;
    assert_eq!(names(&r), ["sdkmessageprocessingstep", "sdkmessageprocessingstepimage", "transactioncurrency"]);
    // The Python SDK's tables.list, and the documented enum-literal form.
    let r = s.get(&q("IsPrivate eq false and (SchemaName eq 'Account')")).await;
    assert_eq!(names(&r), ["account"]);
    let r = s.get(&q("OwnershipType eq Microsoft.Dynamics.CRM.OwnershipTypes'OrganizationOwned' and IsCustomizable/Value eq true")).await;
    assert!(names(&r).contains(&"organization".to_string()), "{}", r.text);
    assert!(!names(&r).contains(&"account".to_string()));
    let r = s.get(&q("DisplayName/UserLocalizedLabel/Label eq 'Phone Call'")).await;
    assert_eq!(names(&r), ["phonecall"]);
}

#[tokio::test]
async fn unknown_properties_and_bad_options_are_400() {
    let s = Server::start().await;
    let r = s.get(&format!("EntityDefinitions?$filter={}", enc("Nope eq 'x'"))).await;
    let m = r.assert_error(400, BAD_REQUEST);
    assert_eq!(m, "Could not find a property named 'Nope' on type 'Microsoft.Dynamics.CRM.EntityMetadata'.");
    let r = s.get("EntityDefinitions?$select=LogicalName,Bogus").await;
    assert!(r.assert_error(400, BAD_REQUEST).contains("'Bogus'"));
    let r = s.get("EntityDefinitions?$expand=Bogus").await;
    r.assert_error(400, BAD_REQUEST);
    let r = s.get(&format!("EntityDefinitions?$filter={}", enc("IsActivity eq 'yes'"))).await;
    assert!(r.assert_error(400, BAD_REQUEST).contains("incompatible types"));
    let r = s.get("EntityDefinitions?$top=1").await;
    r.assert_error(400, BAD_REQUEST);
}

#[tokio::test]
async fn retrieve_entity_by_logical_name_has_the_documented_shape() {
    let s = Server::start().await;
    let r = s.get("EntityDefinitions(LogicalName='account')").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#EntityDefinitions/$entity", s.base));
    let e = &r.json;
    for (property, value) in [
        ("LogicalName", "account"),
        ("SchemaName", "Account"),
        ("EntitySetName", "accounts"),
        ("LogicalCollectionName", "accounts"),
        ("CollectionSchemaName", "Accounts"),
        ("PrimaryIdAttribute", "accountid"),
        ("PrimaryNameAttribute", "name"),
        ("OwnershipType", "UserOwned"),
        ("TableType", "Standard"),
    ] {
        assert_eq!(e[property], value, "{property}");
    }
    assert_eq!(e["ObjectTypeCode"], 1);
    for (property, value) in [("IsCustomEntity", false), ("IsActivity", false), ("IsManaged", true), ("IsValidForAdvancedFind", true), ("HasNotes", true)] {
        assert_eq!(e[property], value, "{property}");
    }
    assert_label(&e["DisplayName"], "Account");
    assert_label(&e["DisplayCollectionName"], "Accounts");
    assert_eq!(e["Description"], serde_json::json!({"LocalizedLabels": [], "UserLocalizedLabel": null}));
    assert_eq!(e["IsCustomizable"], serde_json::json!({"Value": true, "CanBeChanged": false, "ManagedPropertyLogicalName": "iscustomizable"}));
    assert!(e.get("Attributes").is_none(), "navigation collections only through $expand");

    let r = s.get("EntityDefinitions(LogicalName='account')?$select=LogicalName,EntitySetName").await;
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#EntityDefinitions(LogicalName,EntitySetName)/$entity", s.base));
    let keys: Vec<&str> = r.json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["@odata.context", "LogicalName", "EntitySetName", "MetadataId"]);
}

#[tokio::test]
async fn metadata_ids_are_stable_and_address_the_table() {
    let s = Server::start().await;
    let id = s.fetch("EntityDefinitions(LogicalName='contact')?$select=LogicalName").await["MetadataId"].as_str().unwrap().to_string();
    let again = Server::start().await;
    let id2 = again.fetch("EntityDefinitions(LogicalName='contact')?$select=LogicalName").await["MetadataId"].clone();
    assert_eq!(id2, id.as_str(), "MetadataIds don't change between runs");
    let by_id = s.fetch(&format!("EntityDefinitions({id})?$select=LogicalName")).await;
    assert_eq!(by_id["LogicalName"], "contact");
    let list = s.get(&format!("EntityDefinitions?$select=LogicalName&$filter=MetadataId%20eq%20{id}")).await;
    assert_eq!(names(&list), ["contact"]);
}

#[tokio::test]
async fn unknown_tables_and_bad_keys() {
    let s = Server::start().await;
    let r = s.get("EntityDefinitions(LogicalName='new_widget')").await;
    let m = r.assert_error(404, DOES_NOT_EXIST);
    assert!(m.contains("new_widget"), "{m}");
    s.get(&format!("EntityDefinitions({MISSING})")).await.assert_error(404, DOES_NOT_EXIST);
    s.get("EntityDefinitions(Name='account')").await.assert_error(400, BAD_REQUEST);
    s.get("EntityDefinitions(LogicalName='account')/Nope").await.assert_error(404, "0x80060888");
    // A system table can't be deleted (metadata writes are covered in metadata_writes.rs).
    let r = s.send(Method::DELETE, "EntityDefinitions(LogicalName='account')", &[], None).await;
    r.assert_error(400, "0x80040203");
}

#[tokio::test]
async fn expand_columns_keys_and_relationships() {
    let s = Server::start().await;
    let expand = enc("Attributes($select=LogicalName;$filter=IsValidForCreate eq true and AttributeType eq 'Money'),Keys,OneToManyRelationships($select=SchemaName),ManyToOneRelationships($select=SchemaName;$filter=ReferencedEntity eq 'contact'),ManyToManyRelationships");
    let r = s.get(&format!("EntityDefinitions(LogicalName='account')?$select=LogicalName&$expand={expand}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ctx = r.json["@odata.context"].as_str().unwrap();
    assert!(ctx.ends_with("#EntityDefinitions(LogicalName,Attributes(LogicalName),Keys(),OneToManyRelationships(SchemaName),ManyToOneRelationships(SchemaName),ManyToManyRelationships())/$entity"), "{ctx}");
    let attributes: Vec<&str> = r.json["Attributes"].as_array().unwrap().iter().map(|a| a["LogicalName"].as_str().unwrap()).collect();
    assert!(attributes.contains(&"revenue") && !attributes.contains(&"revenue_base"), "{attributes:?}");
    assert!(r.json["Attributes"][0]["@odata.type"] == "#Microsoft.Dynamics.CRM.MoneyAttributeMetadata");
    assert_eq!(r.json["Keys"][0]["KeyAttributes"], serde_json::json!(["accountnumber"]));
    assert_eq!(r.json["Keys"][0]["SchemaName"], "AccountNumberKey");
    let one_to_many: Vec<&str> = r.json["OneToManyRelationships"].as_array().unwrap().iter().filter_map(|v| v["SchemaName"].as_str()).collect();
    assert!(one_to_many.contains(&"contact_customer_accounts"), "{one_to_many:?}");
    assert_eq!(r.json["ManyToOneRelationships"].as_array().unwrap().len(), 1, "{}", r.json["ManyToOneRelationships"]);
    assert_eq!(r.json["ManyToOneRelationships"][0]["SchemaName"], "account_primary_contact");
    assert_eq!(r.json["ManyToManyRelationships"][0]["IntersectEntityName"], "accountleads");
}

#[tokio::test]
async fn keys_and_relationship_collections_of_a_table() {
    let s = Server::start().await;
    let r = s.get("EntityDefinitions(LogicalName='account')/Keys").await;
    assert_eq!(r.json["value"][0]["LogicalName"], "accountnumber", "{}", r.text);
    let key_id = r.json["value"][0]["MetadataId"].as_str().unwrap().to_string();
    let one = s.fetch(&format!("EntityDefinitions(LogicalName='account')/Keys({key_id})")).await;
    assert_eq!(one["EntityKeyIndexStatus"], "Active");
    assert!(one["@odata.context"].as_str().unwrap().ends_with("/Keys/$entity"));

    let r = s.get("EntityDefinitions(LogicalName='contact')/ManyToOneRelationships?$select=SchemaName,ReferencedEntity,ReferencingEntityNavigationPropertyName&$filter=ReferencingAttribute%20eq%20'parentcustomerid'").await;
    let mut rows: Vec<(String, String)> = r.json["value"].as_array().unwrap().iter().map(|v| (v["ReferencedEntity"].as_str().unwrap().into(), v["ReferencingEntityNavigationPropertyName"].as_str().unwrap().into())).collect();
    rows.sort();
    assert_eq!(rows, [("account".into(), "parentcustomerid_account".into()), ("contact".into(), "parentcustomerid_contact".into())]);
    assert!(r.json["value"][0].get("@odata.type").is_none(), "a typed collection needs no @odata.type");
    let r = s.get("EntityDefinitions(LogicalName='account')/OneToManyRelationships(SchemaName='contact_customer_accounts')").await;
    assert_eq!(r.json["ReferencingAttribute"], "parentcustomerid", "{}", r.text);
    assert_eq!(r.json["CascadeConfiguration"]["Delete"], "Cascade");
}

#[tokio::test]
async fn relationship_definitions() {
    let s = Server::start().await;
    // The Python SDK's get_relationship: the item must carry @odata.type.
    let r = s.get("RelationshipDefinitions?%24filter=SchemaName%20eq%20%27contact_customer_accounts%27").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rel = &r.json["value"][0];
    assert_eq!(rel["@odata.type"], "#Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata");
    assert_eq!((rel["ReferencedEntity"].as_str(), rel["ReferencingEntity"].as_str()), (Some("account"), Some("contact")));
    assert_eq!(rel["ReferencingEntityNavigationPropertyName"], "parentcustomerid_account");
    assert_eq!(rel["RelationshipType"], "OneToManyRelationship");
    assert_eq!(r.json["value"].as_array().unwrap().len(), 1, "a relationship listed on both tables appears once");
    let id = rel["MetadataId"].as_str().unwrap().to_string();

    let by_name = s.fetch("RelationshipDefinitions(SchemaName='contact_customer_accounts')").await;
    assert_eq!(by_name["MetadataId"], id.as_str());
    assert_eq!(by_name["@odata.context"], format!("{}$metadata#RelationshipDefinitions/$entity", s.base));
    let cast = s.fetch(&format!("RelationshipDefinitions({id})/Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata?$select=SchemaName,ReferencedAttribute")).await;
    assert_eq!(cast["ReferencedAttribute"], "accountid");
    assert!(cast.get("@odata.type").is_none());
    s.get(&format!("RelationshipDefinitions({id})/Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata")).await.assert_error(404, "0x80060888");
    s.get("RelationshipDefinitions(SchemaName='nope')").await.assert_error(404, DOES_NOT_EXIST);

    // list_relationships: the enum-literal filter; and the N:N cast with its own properties.
    let filter = enc("RelationshipType eq Microsoft.Dynamics.CRM.RelationshipType'ManyToManyRelationship'");
    let r = s.get(&format!("RelationshipDefinitions?$filter={filter}&$select=SchemaName")).await;
    let all = column_of(&r, "SchemaName");
    assert!(all.contains(&"teammembership_association".to_string()), "{all:?}");
    let r = s.get("RelationshipDefinitions/Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata?$select=SchemaName,Entity1LogicalName,Entity2LogicalName").await;
    assert_eq!(column_of(&r, "SchemaName"), all);
    assert!(r.json["@odata.context"].as_str().unwrap().ends_with("#RelationshipDefinitions/Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata(SchemaName,Entity1LogicalName,Entity2LogicalName)"));
    let r = s.get(&format!("RelationshipDefinitions?$filter={}", enc("ReferencedEntity eq 'account'"))).await;
    assert!(r.assert_error(400, BAD_REQUEST).contains("RelationshipMetadataBase"), "1:N properties need the cast");
}

#[tokio::test]
async fn global_option_sets_are_empty_and_missing_ones_are_404() {
    let s = Server::start().await;
    let r = s.get("GlobalOptionSetDefinitions?$select=Name").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["value"], serde_json::json!([]));
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#GlobalOptionSetDefinitions(Name)", s.base));
    let r = s.get("GlobalOptionSetDefinitions(Name='new_colors')/Microsoft.Dynamics.CRM.OptionSetMetadata?$select=Name,Options").await;
    assert_eq!(r.assert_error(404, DOES_NOT_EXIST), "An OptionSetMetadata with the name new_colors does not exist.");
    s.get(&format!("GlobalOptionSetDefinitions({MISSING})")).await.assert_error(404, DOES_NOT_EXIST);
}
