//! Metadata writes (§6.3–6.5): tables, columns, keys and relationships created over the API
//! are usable at once for records, queries and `$metadata`; system ones can't be deleted;
//! invalid definitions get Dataverse's errors and leave nothing behind.

use crate::common;

use common::*;
use http::{Method, StatusCode};
use serde_json::{json, Value};

fn label(text: &str) -> Value {
    json!({"@odata.type": "Microsoft.Dynamics.CRM.Label",
           "LocalizedLabels": [{"@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", "Label": text, "LanguageCode": 1033}]})
}

/// The documentation's bank account table.
fn bank_account(schema: &str) -> String {
    json!({
        "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata",
        "Attributes": [{
            "AttributeType": "String", "AttributeTypeName": {"Value": "StringType"},
            "Description": label("Type the name of the bank account"), "DisplayName": label("Account Name"),
            "IsPrimaryName": true,
            "RequiredLevel": {"Value": "None", "CanBeChanged": true, "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"},
            "SchemaName": "new_AccountName", "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata",
            "FormatName": {"Value": "Text"}, "MaxLength": 100
        }],
        "Description": label("An entity to store information about customer bank accounts"),
        "DisplayCollectionName": label("Bank Accounts"), "DisplayName": label("Bank Account"),
        "HasActivities": false, "HasNotes": false, "IsActivity": false, "OwnershipType": "UserOwned", "SchemaName": schema
    })
    .to_string()
}

async fn create_table(s: &Server) -> Resp {
    let r = s.post("EntityDefinitions", &bank_account("new_BankAccount")).await.checked();
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    r
}

async fn add_column(s: &Server, body: Value) -> Resp {
    let r = s.post("EntityDefinitions(LogicalName='new_bankaccount')/Attributes", &body.to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{body}: {}", r.text);
    r
}

/// One column of every supported type, plus the lookup to account (through its relationship).
async fn add_columns(s: &Server) {
    let r = add_column(s, json!({"@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "SchemaName": "new_Code",
        "MaxLength": 20, "DisplayName": label("Code"), "RequiredLevel": {"Value": "None"}})).await;
    let location = r.header("odata-entityid").unwrap();
    assert!(location.starts_with(&format!("{}EntityDefinitions(LogicalName='new_bankaccount')/Attributes(", s.base)), "{location}");
    add_column(s, json!({"@odata.type": "#Microsoft.Dynamics.CRM.MemoAttributeMetadata", "SchemaName": "new_Notes", "MaxLength": 500})).await;
    add_column(s, json!({"@odata.type": "Microsoft.Dynamics.CRM.IntegerAttributeMetadata", "SchemaName": "new_Count", "MinValue": 0, "MaxValue": 1000, "Format": "None"})).await;
    add_column(s, json!({"@odata.type": "Microsoft.Dynamics.CRM.DecimalAttributeMetadata", "SchemaName": "new_Rate", "Precision": 3, "MinValue": -10, "MaxValue": 10})).await;
    add_column(s, json!({"@odata.type": "Microsoft.Dynamics.CRM.DoubleAttributeMetadata", "SchemaName": "new_Score", "Precision": 2})).await;
    add_column(s, json!({"@odata.type": "Microsoft.Dynamics.CRM.MoneyAttributeMetadata", "SchemaName": "new_Balance", "PrecisionSource": 2,
        "DisplayName": label("Balance")})).await;
    add_column(s, json!({"@odata.type": "Microsoft.Dynamics.CRM.BooleanAttributeMetadata", "AttributeType": "Boolean", "SchemaName": "new_Active",
        "DefaultValue": false, "OptionSet": {"@odata.type": "Microsoft.Dynamics.CRM.BooleanOptionSetMetadata",
            "TrueOption": {"Value": 1, "Label": label("Open")}, "FalseOption": {"Value": 0, "Label": label("Closed")}, "OptionSetType": "Boolean"}})).await;
    add_column(s, json!({"@odata.type": "Microsoft.Dynamics.CRM.DateTimeAttributeMetadata", "SchemaName": "new_Opened", "Format": "DateOnly",
        "DateTimeBehavior": {"Value": "DateOnly"}})).await;
    add_column(s, json!({"@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata", "SchemaName": "new_Kind",
        "OptionSet": {"IsGlobal": false, "OptionSetType": "Picklist", "Options": [
            {"Value": 727000000, "Label": label("Checking")}, {"Value": 727000001, "Label": label("Savings")}]}})).await;
    add_column(s, json!({"@odata.type": "Microsoft.Dynamics.CRM.ImageAttributeMetadata", "SchemaName": "new_Picture", "MaxHeight": 144, "MaxWidth": 144})).await;
    let r = s.post("RelationshipDefinitions", &json!({
        "SchemaName": "new_account_new_bankaccount", "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
        "CascadeConfiguration": {"Assign": "NoCascade", "Delete": "RemoveLink", "Merge": "NoCascade", "Reparent": "NoCascade", "Share": "NoCascade", "Unshare": "NoCascade"},
        "ReferencedAttribute": "accountid", "ReferencedEntity": "account", "ReferencingEntity": "new_bankaccount",
        "Lookup": {"AttributeType": "Lookup", "AttributeTypeName": {"Value": "LookupType"}, "DisplayName": label("Account Owner"),
                   "RequiredLevel": {"Value": "None"}, "SchemaName": "new_ParentAccountId", "@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata"}
    }).to_string()).await.checked();
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert!(r.header("odata-entityid").unwrap().starts_with(&format!("{}RelationshipDefinitions(", s.base)));
}

#[tokio::test]
async fn a_created_table_has_dataverse_defaults_and_is_listed() {
    let s = Server::start().await;
    let r = create_table(&s).await;
    let location = r.header("odata-entityid").unwrap().to_string();
    assert!(location.starts_with(&format!("{}EntityDefinitions(", s.base)), "{location}");
    let id = r.entity_id();
    let e = s.fetch("EntityDefinitions(LogicalName='new_bankaccount')").await;
    assert_eq!(e["MetadataId"], id);
    assert_eq!(e["SchemaName"], "new_BankAccount");
    assert_eq!(e["EntitySetName"], "new_bankaccounts");
    assert_eq!(e["PrimaryIdAttribute"], "new_bankaccountid");
    assert_eq!(e["PrimaryNameAttribute"], "new_accountname");
    assert_eq!(e["IsCustomEntity"], true);
    assert_eq!(e["OwnershipType"], "UserOwned");
    assert!(e["ObjectTypeCode"].as_i64().unwrap() >= 10000);
    assert_eq!(e["DisplayName"]["UserLocalizedLabel"]["Label"], "Bank Account");
    assert_eq!(s.fetch(&format!("EntityDefinitions({id})?$select=LogicalName")).await["LogicalName"], "new_bankaccount");
    let columns = s.fetch("EntityDefinitions(LogicalName='new_bankaccount')/Attributes?$select=LogicalName").await;
    let names: Vec<&str> = columns["value"].as_array().unwrap().iter().map(|c| c["LogicalName"].as_str().unwrap()).collect();
    for system in ["new_bankaccountid", "new_accountname", "createdon", "createdby", "modifiedon", "modifiedby", "ownerid", "owningbusinessunit", "statecode", "statuscode", "versionnumber"] {
        assert!(names.contains(&system), "{system} in {names:?}");
    }
    let name = s.fetch("EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_accountname')/Microsoft.Dynamics.CRM.StringAttributeMetadata").await;
    assert_eq!((name["MaxLength"].as_i64(), name["IsCustomAttribute"].as_bool(), name["IsPrimaryName"].as_bool()), (Some(100), Some(true), Some(true)));
    // The Python SDK's lookup and the service document see it too.
    let found = s.fetch("EntityDefinitions?$select=LogicalName,EntitySetName&$filter=LogicalName%20eq%20'new_bankaccount'").await;
    assert_eq!(found["value"][0]["EntitySetName"], "new_bankaccounts");
    assert!(s.fetch("").await["value"].as_array().unwrap().iter().any(|v| v["name"] == "new_bankaccounts"));
}

#[tokio::test]
async fn columns_of_every_type_are_usable_for_records_and_queries() {
    let s = Server::start().await;
    create_table(&s).await;
    add_columns(&s).await;
    let balance = s.fetch("EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_balance')/Microsoft.Dynamics.CRM.MoneyAttributeMetadata").await;
    assert_eq!((balance["PrecisionSource"].as_i64(), balance["IsCustomAttribute"].as_bool()), (Some(2), Some(true)));
    s.fetch("EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_balance_base')").await;
    let kind = s.fetch("EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_kind')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$expand=OptionSet").await;
    assert_eq!(kind["OptionSet"]["Options"][1]["Value"], 727000001);
    let lookup = s.fetch("EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_parentaccountid')/Microsoft.Dynamics.CRM.LookupAttributeMetadata").await;
    assert_eq!(lookup["Targets"], json!(["account"]));

    let id = s.create("new_bankaccounts", &json!({
        "new_accountname": "Everyday", "new_code": "EV-1", "new_notes": "long text", "new_count": 7, "new_rate": 1.25,
        "new_score": 3.5, "new_balance": 1200.5, "new_active": true, "new_opened": "2024-05-01", "new_kind": 727000001,
        "new_ParentAccountId@odata.bind": format!("/accounts({FABRIKAM})")
    }).to_string()).await;
    s.create("new_bankaccounts", r#"{"new_accountname":"Savings","new_count":2,"new_balance":10}"#).await;
    let r = s.fetch(&format!("new_bankaccounts({id})")).await;
    assert_eq!(r["new_accountname"], "Everyday");
    assert_eq!(r["new_count"], 7);
    assert_eq!(r["new_active"], true);
    assert_eq!(r["new_opened"], "2024-05-01");
    assert_eq!(r["new_kind"], 727000001);
    assert_eq!(r["_new_parentaccountid_value"], FABRIKAM);
    assert_eq!(r["statecode"], 0);
    assert!(r["createdon"].is_string() && r["_ownerid_value"].is_string() && r["versionnumber"].is_number(), "{r}");
    assert_eq!(r["new_balance_base"].as_f64(), Some(1200.5));
    // Column rules hold: MaxLength, range and choice values.
    s.post("new_bankaccounts", r#"{"new_code":"this code is much longer than twenty"}"#).await.assert_error(400, "0x80044331");
    s.post("new_bankaccounts", r#"{"new_count":5000}"#).await.assert_error(400, "0x80044331");
    s.post("new_bankaccounts", r#"{"new_kind":1}"#).await.assert_error(400, "0x8004431a");
    // Queries: $filter, $orderby, $select, $expand both ways.
    let names = s.pluck("new_bankaccounts", "new_accountname", "new_count gt 5").await;
    assert_eq!(names, ["Everyday"]);
    let ordered = s.fetch("new_bankaccounts?$select=new_accountname&$orderby=new_balance%20asc").await;
    assert_eq!(ordered["value"][0]["new_accountname"], "Savings");
    let expanded = s.fetch(&format!("new_bankaccounts({id})?$select=new_accountname&$expand=new_ParentAccountId($select=name)")).await;
    assert_eq!(expanded["new_ParentAccountId"]["name"], "Fabrikam, Inc.");
    let children = s.fetch(&format!("accounts({FABRIKAM})?$select=name&$expand=new_account_new_bankaccount($select=new_accountname)")).await;
    assert_eq!(children["new_account_new_bankaccount"].as_array().unwrap().len(), 1);
    // Update and delete.
    let r = s.patch(&format!("new_bankaccounts({id})"), &[], r#"{"new_count":8}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(s.fetch(&format!("new_bankaccounts({id})?$select=new_count")).await["new_count"], 8);
    assert_eq!(s.delete(&format!("new_bankaccounts({id})")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.count("new_bankaccounts").await, 1);
}

#[tokio::test]
async fn metadata_document_includes_new_tables_and_columns() {
    let s = Server::start().await;
    let before = s.get("$metadata").await.text;
    assert!(!before.contains("new_bankaccount"));
    create_table(&s).await;
    add_columns(&s).await;
    let after = s.get("$metadata").await.text;
    assert!(after.contains(r#"<EntityType Name="new_bankaccount""#), "entity type");
    assert!(after.contains(r#"<Property Name="new_balance""#), "column");
    assert!(after.contains(r#"Name="new_ParentAccountId""#), "navigation property");
    assert!(after.contains(r#"<EntitySet Name="new_bankaccounts""#), "entity set");
}

#[tokio::test]
async fn put_with_merge_labels_updates_labels_and_properties() {
    let s = Server::start().await;
    create_table(&s).await;
    add_columns(&s).await;
    let mut table = s.fetch("EntityDefinitions(LogicalName='new_bankaccount')").await;
    table["DisplayName"] = label("Bank Ledger");
    let r = s.send(Method::PUT, "EntityDefinitions(LogicalName='new_bankaccount')", &[("MSCRM.MergeLabels", "true")], Some(&table.to_string())).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let e = s.fetch("EntityDefinitions(LogicalName='new_bankaccount')").await;
    assert_eq!(e["DisplayName"]["UserLocalizedLabel"]["Label"], "Bank Ledger");
    assert_eq!(e["DisplayCollectionName"]["UserLocalizedLabel"]["Label"], "Bank Accounts", "other labels stay");

    let path = "EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_code')";
    let mut column = s.fetch(&format!("{path}/Microsoft.Dynamics.CRM.StringAttributeMetadata")).await;
    column["MaxLength"] = json!(300);
    column["DisplayName"] = json!({"LocalizedLabels": []});
    column["Description"] = label("The account's code");
    let r = s.send(Method::PUT, path, &[("MSCRM.MergeLabels", "true")], Some(&column.to_string())).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let c = s.fetch(&format!("{path}/Microsoft.Dynamics.CRM.StringAttributeMetadata")).await;
    assert_eq!(c["MaxLength"], 300);
    assert_eq!(c["DisplayName"]["UserLocalizedLabel"]["Label"], "Code", "an empty label merges");
    assert_eq!(c["Description"]["UserLocalizedLabel"]["Label"], "The account's code");
    column["@odata.type"] = json!("Microsoft.Dynamics.CRM.IntegerAttributeMetadata");
    s.send(Method::PUT, path, &[], Some(&column.to_string())).await.assert_error(400, "0x80040203");
}

#[tokio::test]
async fn alternate_keys_are_enforced_once_created() {
    let s = Server::start().await;
    create_table(&s).await;
    add_columns(&s).await;
    s.create("new_bankaccounts", r#"{"new_accountname":"A","new_code":"K-1"}"#).await;
    let r = s.post("EntityDefinitions(LogicalName='new_bankaccount')/Keys", r#"{"SchemaName":"new_CodeKey","KeyAttributes":["new_code"],"DisplayName":{"LocalizedLabels":[{"Label":"Code key","LanguageCode":1033}]}}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let key_id = r.entity_id();
    assert!(r.header("odata-entityid").unwrap().contains("EntityDefinitions(LogicalName='new_bankaccount')/Keys("));
    let keys = s.fetch("EntityDefinitions(LogicalName='new_bankaccount')/Keys").await;
    assert_eq!(keys["value"][0]["MetadataId"], key_id);
    assert_eq!(keys["value"][0]["KeyAttributes"], json!(["new_code"]));
    s.post("new_bankaccounts", r#"{"new_accountname":"B","new_code":"K-1"}"#).await.assert_error(412, "0x80060892");
    assert_eq!(s.fetch("new_bankaccounts(new_code='K-1')?$select=new_accountname").await["new_accountname"], "A");
    // A duplicate key name, and a key that existing rows already break.
    s.post("EntityDefinitions(LogicalName='new_bankaccount')/Keys", r#"{"SchemaName":"new_CodeKey","KeyAttributes":["new_code"]}"#).await.assert_error(400, "0x80047010");
    s.create("new_bankaccounts", r#"{"new_accountname":"C","new_count":1}"#).await;
    s.create("new_bankaccounts", r#"{"new_accountname":"D","new_count":1}"#).await;
    s.post("EntityDefinitions(LogicalName='new_bankaccount')/Keys", r#"{"SchemaName":"new_CountKey","KeyAttributes":["new_count"]}"#).await.assert_error(412, "0x80060892");
    assert_eq!(s.fetch("EntityDefinitions(LogicalName='new_bankaccount')/Keys").await["value"].as_array().unwrap().len(), 1);
    // Deleting it lifts the rule; the system key of account can't be deleted.
    let r = s.delete(&format!("EntityDefinitions(LogicalName='new_bankaccount')/Keys({key_id})")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    s.create("new_bankaccounts", r#"{"new_accountname":"B","new_code":"K-1"}"#).await;
    let account_key = s.fetch("EntityDefinitions(LogicalName='account')/Keys").await["value"][0]["MetadataId"].as_str().unwrap().to_string();
    s.delete(&format!("EntityDefinitions(LogicalName='account')/Keys({account_key})")).await.assert_error(400, "0x80040203");
}

#[tokio::test]
async fn many_to_many_relationships_associate_records() {
    let s = Server::start().await;
    create_table(&s).await;
    let r = s.post("RelationshipDefinitions", r#"{"@odata.type":"Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata","SchemaName":"new_bankaccount_contact","Entity1LogicalName":"new_bankaccount","Entity2LogicalName":"contact","IntersectEntityName":"new_bankaccount_contact"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let rel_id = r.entity_id();
    let got = s.fetch("RelationshipDefinitions(SchemaName='new_bankaccount_contact')").await;
    assert_eq!((got["MetadataId"].as_str(), got["IsCustomRelationship"].as_bool()), (Some(rel_id.as_str()), Some(true)));
    let id = s.create("new_bankaccounts", r#"{"new_accountname":"Joint"}"#).await;
    let contact = s.create("contacts", r#"{"lastname":"Holder"}"#).await;
    let r = s.post(&format!("new_bankaccounts({id})/new_bankaccount_contact/$ref"), &format!(r#"{{"@odata.id":"{}contacts({contact})"}}"#, s.base)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let holders = s.fetch(&format!("new_bankaccounts({id})/new_bankaccount_contact?$select=lastname")).await;
    assert_eq!(holders["value"][0]["lastname"], "Holder");
    assert_eq!(s.delete(&format!("RelationshipDefinitions({rel_id})")).await.status, StatusCode::NO_CONTENT);
    s.get("RelationshipDefinitions(SchemaName='new_bankaccount_contact')").await.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn deleting_columns_relationships_and_tables() {
    let s = Server::start().await;
    create_table(&s).await;
    add_columns(&s).await;
    s.create("new_bankaccounts", r#"{"new_accountname":"Gone soon","new_score":1.5}"#).await;
    assert_eq!(s.delete("EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_score')").await.status, StatusCode::NO_CONTENT);
    s.get("EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_score')").await.assert_error(404, "0x80040217");
    s.get("new_bankaccounts?$select=new_score").await.assert_error(400, "0x80060888");
    // Deleting the money column takes its base column with it.
    assert_eq!(s.delete("EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_balance')").await.status, StatusCode::NO_CONTENT);
    s.get("EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_balance_base')").await.assert_error(404, "0x80040217");
    // The lookup's relationship takes the lookup with it.
    assert_eq!(s.delete("RelationshipDefinitions(SchemaName='new_account_new_bankaccount')").await.status, StatusCode::NO_CONTENT);
    s.get("EntityDefinitions(LogicalName='new_bankaccount')/Attributes(LogicalName='new_parentaccountid')").await.assert_error(404, "0x80040217");
    let id = s.fetch("EntityDefinitions(LogicalName='new_bankaccount')?$select=MetadataId").await["MetadataId"].as_str().unwrap().to_string();
    let r = s.delete_with(&format!("EntityDefinitions({id})"), &[("If-Match", "*")]).await.checked();
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    s.get("EntityDefinitions(LogicalName='new_bankaccount')").await.assert_error(404, "0x80040217");
    s.get("new_bankaccounts").await.assert_error(404, "0x80060888");
    assert!(!s.get("$metadata").await.text.contains("new_bankaccount"));
    let found = s.fetch("EntityDefinitions?$select=LogicalName&$filter=LogicalName%20eq%20'new_bankaccount'").await;
    assert_eq!(found["value"], json!([]));
    // The same name can be used again, with no rows left over.
    create_table(&s).await;
    assert_eq!(s.count("new_bankaccounts").await, 0);
}

#[tokio::test]
async fn updating_a_relationship_changes_its_cascade_and_delete_follows_it() {
    let s = Server::start().await;
    create_table(&s).await;
    add_columns(&s).await;
    let path = "RelationshipDefinitions(SchemaName='new_account_new_bankaccount')";
    let id = s.fetch(&format!("{path}?$select=MetadataId")).await["MetadataId"].as_str().unwrap().to_string();
    // As updateRelationship sends it: the whole definition read back, changed, PUT to the
    // typed URL with If-Match: *.
    let typed = format!("RelationshipDefinitions({id})/Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata");
    let mut def = s.fetch(&typed).await;
    assert_eq!(def["CascadeConfiguration"]["Delete"], "RemoveLink");
    def["CascadeConfiguration"]["Delete"] = json!("Restrict");
    def["CascadeConfiguration"]["Assign"] = json!("Cascade");
    let r = s.send(Method::PUT, &typed, &[("If-Match", "*"), ("Content-Type", "application/json")], Some(&def.to_string())).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let after = s.fetch(&format!("{path}/Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata?$select=CascadeConfiguration")).await;
    assert_eq!((after["CascadeConfiguration"]["Delete"].clone(), after["CascadeConfiguration"]["Assign"].clone()), (json!("Restrict"), json!("Cascade")));
    // Delete follows the new configuration: an account with bank accounts can't be deleted.
    let account = s.create("accounts", r#"{"name":"Restricted parent"}"#).await;
    s.create("new_bankaccounts", &json!({"new_accountname": "Child", "new_ParentAccountId@odata.bind": format!("/accounts({account})")}).to_string()).await;
    s.delete(&format!("accounts({account})")).await.assert_error(405, "0x80040227");
    assert_eq!(s.get(&format!("accounts({account})?$select=name")).await.status, StatusCode::OK);

    // What names the relationship can't change; bad cascade types are refused.
    let mut moved = def.clone();
    moved["ReferencingAttribute"] = json!("new_other");
    let r = s.send(Method::PUT, &typed, &[("Content-Type", "application/json")], Some(&moved.to_string())).await;
    assert!(r.assert_error(400, "0x80040203").contains("can't be changed"), "{}", r.text);
    let mut bad = def.clone();
    bad["CascadeConfiguration"]["Delete"] = json!("Sometimes");
    let r = s.send(Method::PUT, &typed, &[("Content-Type", "application/json")], Some(&bad.to_string())).await;
    assert!(r.assert_error(400, "0x80040203").contains("'Sometimes' is not valid for Delete"), "{}", r.text);
}

#[tokio::test]
async fn system_tables_columns_and_relationships_cant_be_deleted() {
    let s = Server::start().await;
    s.delete("EntityDefinitions(LogicalName='account')").await.assert_error(400, "0x80040203");
    s.delete("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='name')").await.assert_error(400, "0x80047002");
    s.delete("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='telephone1')").await.assert_error(400, "0x80047009");
    s.delete("RelationshipDefinitions(SchemaName='contact_customer_accounts')").await.assert_error(400, "0x8004700A");
    s.delete("EntityDefinitions(LogicalName='nosuch_table')").await.assert_error(404, "0x80040217");
    assert!(s.fetch("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='telephone1')").await["IsCustomAttribute"] == false);
}

#[tokio::test]
async fn invalid_definitions_get_dataverse_errors() {
    let s = Server::start().await;
    let m = s.post("EntityDefinitions", &bank_account("BankAccount")).await.assert_error(400, "0x800608ad").to_string();
    assert!(m.contains("customization prefix"), "{m}");
    create_table(&s).await;
    s.post("EntityDefinitions", &bank_account("new_BankAccount")).await.assert_error(400, "0x8004700B");
    let mut no_primary: Value = serde_json::from_str(&bank_account("new_Other")).unwrap();
    no_primary["Attributes"][0]["IsPrimaryName"] = json!(false);
    s.post("EntityDefinitions", &no_primary.to_string()).await.assert_error(400, "0x80040203");
    let mut int_primary: Value = serde_json::from_str(&bank_account("new_Other")).unwrap();
    int_primary["Attributes"][0]["@odata.type"] = json!("Microsoft.Dynamics.CRM.IntegerAttributeMetadata");
    s.post("EntityDefinitions", &int_primary.to_string()).await.assert_error(400, "0x8004700E");
    s.post("EntityDefinitions", "{not json").await.assert_error(400, "0x80048d19");

    let columns = "EntityDefinitions(LogicalName='new_bankaccount')/Attributes";
    s.post(columns, r#"{"@odata.type":"Microsoft.Dynamics.CRM.StringAttributeMetadata","SchemaName":"Code"}"#).await.assert_error(400, "0x800608ad");
    s.post(columns, r#"{"@odata.type":"Microsoft.Dynamics.CRM.StringAttributeMetadata","SchemaName":"new_AccountName"}"#).await.assert_error(400, "0x80047013");
    s.post(columns, r#"{"@odata.type":"Microsoft.Dynamics.CRM.StringAttributeMetadata","SchemaName":"new_Big","MaxLength":5000}"#).await.assert_error(400, "0x80040203");
    s.post(columns, r#"{"@odata.type":"Microsoft.Dynamics.CRM.SpaceshipAttributeMetadata","SchemaName":"new_Ship"}"#).await.assert_error(400, "0x80040203");
    s.post(columns, r#"{"@odata.type":"Microsoft.Dynamics.CRM.LookupAttributeMetadata","SchemaName":"new_Ref"}"#).await.assert_error(400, "0x80040203");
    s.post("EntityDefinitions(LogicalName='nosuch_table')/Attributes", r#"{"SchemaName":"new_X"}"#).await.assert_error(404, "0x80040217");
    // A new column on a system table works and is custom.
    let r = s.post("EntityDefinitions(LogicalName='account')/Attributes", r#"{"@odata.type":"Microsoft.Dynamics.CRM.IntegerAttributeMetadata","SchemaName":"new_Rank"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = s.patch(&format!("accounts({FABRIKAM})"), &[], r#"{"new_rank":3}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(s.fetch(&format!("accounts({FABRIKAM})?$select=new_rank")).await["new_rank"], 3);
}

#[tokio::test]
async fn a_failing_definition_leaves_no_trace() {
    let s = Server::start().await;
    let generation_before = s.get("$metadata").await.text;
    // The second table of CreateEntities is invalid: neither is created.
    let body = json!({"Entities": [
        serde_json::from_str::<Value>(&bank_account("new_First")).unwrap(),
        serde_json::from_str::<Value>(&bank_account("Second")).unwrap(),
    ]});
    s.post("CreateEntities", &body.to_string()).await.assert_error(400, "0x800608ad");
    assert_eq!(s.fetch("EntityDefinitions?$select=LogicalName&$filter=LogicalName%20eq%20'new_first'").await["value"], json!([]));
    // A table whose extra column is invalid isn't created either.
    let mut bad: Value = serde_json::from_str(&bank_account("new_Third")).unwrap();
    bad["Attributes"].as_array_mut().unwrap().push(json!({"@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "SchemaName": "new_Huge", "MaxLength": 99999}));
    s.post("EntityDefinitions", &bad.to_string()).await.assert_error(400, "0x80040203");
    s.get("new_thirds").await.assert_error(404, "0x80060888");
    assert_eq!(s.get("$metadata").await.text, generation_before);
    // CreateEntities with valid tables creates them all.
    let body = json!({"Entities": [
        serde_json::from_str::<Value>(&bank_account("new_First")).unwrap(),
        serde_json::from_str::<Value>(&bank_account("new_Second")).unwrap(),
    ]});
    let r = s.post("CreateEntities?SolutionUniqueName=Default", &body.to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(s.count("new_firsts").await + s.count("new_seconds").await, 0);
}
