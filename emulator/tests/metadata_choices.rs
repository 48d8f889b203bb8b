//! Choices and the remaining column types (§6.4–6.5): global choices
//! (`GlobalOptionSetDefinitions` create, read, update, delete), choice columns over them, the
//! option-value messages, multi-select choice columns (values, `ContainValues`,
//! `contain-values`), file columns, the refused lookup-through-Attributes, and
//! `RetrieveMetadataChanges`.

use crate::common;

use common::*;
use http::{Method, StatusCode};
use serde_json::{json, Value};

fn label(text: &str) -> Value {
    json!({"@odata.type": "Microsoft.Dynamics.CRM.Label",
           "LocalizedLabels": [{"@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", "Label": text, "LanguageCode": 1033}]})
}

/// The documentation's global choice.
fn colors(name: &str) -> String {
    json!({
        "@odata.type": "Microsoft.Dynamics.CRM.OptionSetMetadata", "Name": name, "OptionSetType": "Picklist", "IsGlobal": true,
        "DisplayName": label("Colors"), "Description": label("Color Choice"),
        "Options": [
            {"Value": 727000000, "Label": label("Red")},
            {"Value": 727000001, "Label": label("Yellow")},
            {"Value": 727000002, "Label": label("Green")}
        ]
    })
    .to_string()
}

async fn create_colors(s: &Server) -> String {
    let r = s.post("GlobalOptionSetDefinitions", &colors("new_colors")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    let location = r.header("odata-entityid").expect("OData-EntityId");
    assert!(location.starts_with(&format!("{}GlobalOptionSetDefinitions(", s.base)), "{location}");
    r.entity_id()
}

async fn create_table(s: &Server) {
    let body = json!({
        "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata", "SchemaName": "new_Paint", "OwnershipType": "UserOwned",
        "DisplayName": label("Paint"), "DisplayCollectionName": label("Paints"), "HasActivities": false, "HasNotes": false, "IsActivity": false,
        "Attributes": [{"@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "SchemaName": "new_Name", "IsPrimaryName": true,
                        "MaxLength": 100, "DisplayName": label("Name"), "RequiredLevel": {"Value": "None"}}]
    });
    let r = s.post("EntityDefinitions", &body.to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
}

async fn add_column(s: &Server, body: Value) -> Resp {
    s.post("EntityDefinitions(LogicalName='new_paint')/Attributes", &body.to_string()).await
}

fn values(options: &Value) -> Vec<i64> {
    options.as_array().expect("Options").iter().map(|o| o["Value"].as_i64().unwrap()).collect()
}

fn labels(options: &Value) -> Vec<String> {
    options.as_array().expect("Options").iter().map(|o| o["Label"]["UserLocalizedLabel"]["Label"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_global_choice_is_created_read_updated_and_deleted() {
    let s = Server::start().await;
    assert_eq!(s.fetch("GlobalOptionSetDefinitions?$select=Name").await["value"], json!([]));
    let id = create_colors(&s).await;

    // dynamics-web-api's retrieveGlobalOptionSet: by name, cast, with $select.
    let one = s.fetch("GlobalOptionSetDefinitions(Name='new_colors')/Microsoft.Dynamics.CRM.OptionSetMetadata?$select=Name,Options").await;
    assert_eq!(one["@odata.context"], format!("{}$metadata#GlobalOptionSetDefinitions/Microsoft.Dynamics.CRM.OptionSetMetadata(Name,Options)/$entity", s.base));
    assert!(one.get("@odata.type").is_none(), "the cast names the type: {one}");
    assert_eq!((one["Name"].as_str(), one["MetadataId"].as_str()), (Some("new_colors"), Some(id.as_str())));
    assert_eq!(values(&one["Options"]), [727000000, 727000001, 727000002]);
    assert_eq!(labels(&one["Options"]), ["Red", "Yellow", "Green"]);
    assert!(one.get("DisplayName").is_none(), "$select applies: {one}");

    // By MetadataId, uncast: every property, and the derived type.
    let full = s.fetch(&format!("GlobalOptionSetDefinitions({id})")).await;
    assert_eq!(full["@odata.type"], "#Microsoft.Dynamics.CRM.OptionSetMetadata");
    assert_eq!((full["IsGlobal"].as_bool(), full["IsCustomOptionSet"].as_bool(), full["IsManaged"].as_bool()), (Some(true), Some(true), Some(false)));
    assert_eq!(full["OptionSetType"], "Picklist");
    assert_eq!(full["DisplayName"]["UserLocalizedLabel"]["Label"], "Colors");
    assert_eq!(full["Description"]["LocalizedLabels"][0]["Label"], "Color Choice");
    let list = s.fetch("GlobalOptionSetDefinitions?$select=Name").await;
    assert_eq!(list["value"][0]["@odata.type"], "#Microsoft.Dynamics.CRM.OptionSetMetadata");
    assert_eq!(list["value"][0]["Name"], "new_colors");

    // PUT with MergeLabels: a label changes, the options stay.
    let mut changed = full.clone();
    changed["DisplayName"] = label("Paint colors");
    changed["Options"] = json!([]);
    let r = s.send(Method::PUT, &format!("GlobalOptionSetDefinitions({id})"), &[("MSCRM.MergeLabels", "true"), ("If-Match", "*")], Some(&changed.to_string())).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let after = s.fetch(&format!("GlobalOptionSetDefinitions({id})")).await;
    assert_eq!(after["DisplayName"]["UserLocalizedLabel"]["Label"], "Paint colors");
    assert_eq!(values(&after["Options"]), [727000000, 727000001, 727000002]);
    changed["Name"] = json!("new_other");
    let r = s.send(Method::PUT, &format!("GlobalOptionSetDefinitions({id})"), &[], Some(&changed.to_string())).await;
    r.assert_error(400, "0x80040203");

    // The name is unique and needs a publisher prefix.
    s.post("GlobalOptionSetDefinitions", &colors("NEW_Colors")).await.assert_error(400, "0x80047010");
    s.post("GlobalOptionSetDefinitions", &colors("colors")).await.assert_error(400, "0x800608ad");
    let boolean = json!({"@odata.type": "Microsoft.Dynamics.CRM.BooleanOptionSetMetadata", "Name": "new_flags"}).to_string();
    s.post("GlobalOptionSetDefinitions", &boolean).await.assert_error(400, "0x80040203");

    let r = s.delete(&format!("GlobalOptionSetDefinitions({id})")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let msg = s.get("GlobalOptionSetDefinitions(Name='new_colors')").await.assert_error(404, "0x80040217").to_string();
    assert_eq!(msg, "An OptionSetMetadata with the name new_colors does not exist.");
    s.get(&format!("GlobalOptionSetDefinitions({id})")).await.assert_error(404, "0x80040217");
    s.get("GlobalOptionSetDefinitions(Name='new_colors')/Microsoft.Dynamics.CRM.BooleanOptionSetMetadata").await.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn a_choice_column_over_a_global_choice_follows_its_option_changes() {
    let s = Server::start().await;
    let id = create_colors(&s).await;
    create_table(&s).await;
    let r = add_column(&s, json!({"@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata", "SchemaName": "new_Color",
        "DisplayName": label("Color"), "RequiredLevel": {"Value": "None"}, "GlobalOptionSet@odata.bind": format!("/GlobalOptionSetDefinitions({id})")})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // A bind to a choice that doesn't exist.
    let missing = json!({"@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata", "SchemaName": "new_Other",
        "GlobalOptionSet@odata.bind": "/GlobalOptionSetDefinitions(00000000-0000-0000-0000-000000000001)"});
    add_column(&s, missing).await.assert_error(404, "0x80040217");

    let path = "EntityDefinitions(LogicalName='new_paint')/Attributes(LogicalName='new_color')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet,GlobalOptionSet";
    let column = s.fetch(path).await;
    for nav in ["OptionSet", "GlobalOptionSet"] {
        assert_eq!((column[nav]["Name"].as_str(), column[nav]["IsGlobal"].as_bool()), (Some("new_colors"), Some(true)), "{nav}: {column}");
        assert_eq!(column[nav]["MetadataId"].as_str(), Some(id.as_str()));
    }

    // Records take the global choice's values, with its labels.
    let record = s.create("new_paints", &json!({"new_name": "wall", "new_color": 727000001}).to_string()).await;
    let read = s.get_with(&format!("new_paints({record})?$select=new_color"), &[("Prefer", "odata.include-annotations=\"*\"")]).await;
    assert_eq!(read.json["new_color@OData.Community.Display.V1.FormattedValue"], "Yellow", "{}", read.text);
    s.post("new_paints", &json!({"new_color": 5}).to_string()).await.assert_error(400, "0x8004431a");

    // InsertOptionValue picks the next free value, and the column accepts it at once.
    let r = s.post("InsertOptionValue", &json!({"OptionSetName": "new_colors", "Label": label("Blue")}).to_string()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#Microsoft.Dynamics.CRM.InsertOptionValueResponse", s.base));
    assert_eq!(r.json["NewOptionValue"], 727000003);
    s.create("new_paints", &json!({"new_color": 727000003}).to_string()).await;
    let r = s.post("InsertOptionValue", &json!({"OptionSetName": "new_colors", "Value": 727000000, "Label": label("Again")}).to_string()).await;
    r.assert_error(400, "0x80047010");

    let r = s.post("UpdateOptionValue", &json!({"OptionSetName": "new_colors", "Value": 727000001, "Label": label("Amber"), "MergeLabels": true}).to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = s.post("OrderOption", &json!({"OptionSetName": "new_colors", "Values": [727000003, 727000002, 727000001, 727000000]}).to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = s.post("DeleteOptionValue", &json!({"OptionSetName": "new_colors", "Value": 727000000}).to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let column = s.fetch(path).await;
    assert_eq!(values(&column["OptionSet"]["Options"]), [727000003, 727000002, 727000001]);
    assert_eq!(labels(&column["GlobalOptionSet"]["Options"]), ["Blue", "Green", "Amber"]);
    let read = s.get_with(&format!("new_paints({record})?$select=new_color"), &[("Prefer", "odata.include-annotations=\"*\"")]).await;
    assert_eq!(read.json["new_color@OData.Community.Display.V1.FormattedValue"], "Amber");
    s.post("new_paints", &json!({"new_color": 727000000}).to_string()).await.assert_error(400, "0x8004431a");

    // Message errors: an unknown value, an incomplete ordering, a missing required parameter,
    // a set given both ways, and a global column's options changed through the column.
    s.post("DeleteOptionValue", &json!({"OptionSetName": "new_colors", "Value": 1}).to_string()).await.assert_error(404, "0x80040217");
    s.post("OrderOption", &json!({"OptionSetName": "new_colors", "Values": [727000003]}).to_string()).await.assert_error(400, "0x80040203");
    s.post("UpdateOptionValue", &json!({"OptionSetName": "new_colors", "Value": 727000001}).to_string()).await.assert_error(400, "0x80048d19");
    let both = json!({"OptionSetName": "new_colors", "EntityLogicalName": "new_paint", "AttributeLogicalName": "new_color", "Label": label("X")});
    s.post("InsertOptionValue", &both.to_string()).await.assert_error(400, "0x80040203");
    let through_column = json!({"EntityLogicalName": "new_paint", "AttributeLogicalName": "new_color", "Label": label("X")});
    s.post("InsertOptionValue", &through_column.to_string()).await.assert_error(400, "0x80040203");
    s.post("InsertOptionValue", &json!({"OptionSetName": "new_nosuch", "Label": label("X")}).to_string()).await.assert_error(404, "0x80040217");

    // A choice in use can't be deleted; once its column is gone it can.
    s.delete(&format!("GlobalOptionSetDefinitions({id})")).await.assert_error(400, "0x80040203");
    let r = s.delete("EntityDefinitions(LogicalName='new_paint')/Attributes(LogicalName='new_color')").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = s.delete(&format!("GlobalOptionSetDefinitions({id})")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

#[tokio::test]
async fn option_value_messages_change_a_local_choice() {
    let s = Server::start().await;
    create_table(&s).await;
    let r = add_column(&s, json!({"@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata", "SchemaName": "new_Finish",
        "OptionSet": {"IsGlobal": false, "OptionSetType": "Picklist", "Options": [{"Value": 100000000, "Label": label("Matte")}]}})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = s.post("InsertOptionValue", &json!({"EntityLogicalName": "new_paint", "AttributeLogicalName": "new_finish", "Value": 100000005, "Label": label("Gloss")}).to_string()).await;
    assert_eq!((r.status, r.json["NewOptionValue"].as_i64()), (StatusCode::OK, Some(100000005)), "{}", r.text);
    let column = s.fetch("EntityDefinitions(LogicalName='new_paint')/Attributes(LogicalName='new_finish')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$expand=OptionSet").await;
    assert_eq!(labels(&column["OptionSet"]["Options"]), ["Matte", "Gloss"]);
    assert_eq!((column["OptionSet"]["IsGlobal"].as_bool(), column["GlobalOptionSet"].clone()), (Some(false), Value::Null));
    s.create("new_paints", &json!({"new_finish": 100000005}).to_string()).await;

    // Neither way of naming the set, a column that isn't a choice, an unknown column.
    s.post("InsertOptionValue", &json!({"Label": label("X")}).to_string()).await.assert_error(400, "0x80040203");
    let text_column = json!({"EntityLogicalName": "new_paint", "AttributeLogicalName": "new_name", "Label": label("X")});
    s.post("InsertOptionValue", &text_column.to_string()).await.assert_error(400, "0x80040203");
    let unknown = json!({"EntityLogicalName": "new_paint", "AttributeLogicalName": "new_nosuch", "Label": label("X")});
    s.post("InsertOptionValue", &unknown.to_string()).await.assert_error(404, "0x80040217");
    // Functions are GET, these are actions.
    s.get("InsertOptionValue").await.assert_error(404, "0x80060888");
}

#[tokio::test]
async fn multi_select_choice_columns_hold_several_values() {
    let s = Server::start().await;
    create_table(&s).await;
    let r = add_column(&s, json!({"@odata.type": "Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata", "SchemaName": "new_Tags",
        "AttributeTypeName": {"Value": "MultiSelectPicklistType"}, "DisplayName": label("Tags"),
        "OptionSet": {"IsGlobal": false, "OptionSetType": "Picklist", "Options": [
            {"Value": 727000000, "Label": label("Red")}, {"Value": 727000001, "Label": label("Yellow")}, {"Value": 727000002, "Label": label("Green")}]}})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let column = s.fetch("EntityDefinitions(LogicalName='new_paint')/Attributes(LogicalName='new_tags')?$select=AttributeType,AttributeTypeName").await;
    assert_eq!(column["@odata.type"], "#Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata");
    assert_eq!((column["AttributeType"].as_str(), column["AttributeTypeName"]["Value"].as_str()), (Some("Virtual"), Some("MultiSelectPicklistType")));
    let cast = s.fetch("EntityDefinitions(LogicalName='new_paint')/Attributes/Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)").await;
    assert_eq!(values(&cast["value"][0]["OptionSet"]["Options"]), [727000000, 727000001, 727000002]);

    let both = s.create("new_paints", &json!({"new_name": "both", "new_tags": "727000000,727000002"}).to_string()).await;
    s.create("new_paints", &json!({"new_name": "yellow", "new_tags": "727000001"}).to_string()).await;
    s.create("new_paints", &json!({"new_name": "none"}).to_string()).await;
    let read = s.get_with(&format!("new_paints({both})?$select=new_tags"), &[("Prefer", "odata.include-annotations=\"*\"")]).await;
    assert_eq!(read.json["new_tags"], "727000000,727000002", "{}", read.text);
    assert_eq!(read.json["new_tags@OData.Community.Display.V1.FormattedValue"], "Red; Green");

    // Every selected value must be an option; the value is a comma-separated string.
    s.post("new_paints", &json!({"new_tags": "727000000,5"}).to_string()).await.assert_error(400, "0x8004431a");
    s.post("new_paints", &json!({"new_tags": 727000000}).to_string()).await.assert_error(400, "0x80048d19");
    s.post("new_paints", &json!({"new_tags": "red"}).to_string()).await.assert_error(400, "0x80048d19");
    let r = s.patch(&format!("new_paints({both})"), &[], &json!({"new_tags": "727000001"}).to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = s.patch(&format!("new_paints({both})"), &[], &json!({"new_tags": "727000000,727000002"}).to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let names = |filter: &str| format!("new_paints?$select=new_name&$orderby=new_name&$filter={}", enc(filter));
    let r = s.get_ok(&names("Microsoft.Dynamics.CRM.ContainValues(PropertyName='new_tags',PropertyValues=['727000002','727000001'])"), &[]).await;
    assert_eq!(column_of(&r, "new_name"), ["both", "yellow"]);
    let r = s.get_ok(&names("Microsoft.Dynamics.CRM.ContainValues(PropertyName='new_tags',PropertyValues=['727000000'])"), &[]).await;
    assert_eq!(column_of(&r, "new_name"), ["both"]);
    let r = s.get_ok(&names("Microsoft.Dynamics.CRM.DoesNotContainValues(PropertyName='new_tags',PropertyValues=['727000000'])"), &[]).await;
    assert_eq!(column_of(&r, "new_name"), ["none", "yellow"]);
    let r = s.get_ok(&names("new_tags eq '727000000,727000002'"), &[]).await;
    assert_eq!(column_of(&r, "new_name"), ["both"]);
    // ContainValues on a column that isn't multi-select.
    let r = s.get(&names("Microsoft.Dynamics.CRM.ContainValues(PropertyName='new_name',PropertyValues=['1'])")).await;
    r.assert_error(400, "0x80060888");

    let fetch = r#"<fetch><entity name="new_paint"><attribute name="new_name"/><order attribute="new_name"/>
        <filter><condition attribute="new_tags" operator="contain-values"><value>727000001</value><value>727000002</value></condition></filter></entity></fetch>"#;
    let r = s.get_ok(&format!("new_paints?fetchXml={}", enc(fetch)), &[]).await;
    assert_eq!(column_of(&r, "new_name"), ["both", "yellow"]);
    let fetch = fetch.replace("contain-values", "not-contain-values");
    let r = s.get_ok(&format!("new_paints?fetchXml={}", enc(&fetch)), &[]).await;
    assert_eq!(column_of(&r, "new_name"), ["none"]);

    // $metadata declares it as text.
    let csdl = s.get("$metadata").await.text;
    assert!(csdl.contains(r#"<Property Name="new_tags" Type="Edm.String""#), "new_tags in $metadata");
}

#[tokio::test]
async fn a_file_column_is_created_with_its_metadata() {
    let s = Server::start().await;
    create_table(&s).await;
    let r = add_column(&s, json!({"@odata.type": "Microsoft.Dynamics.CRM.FileAttributeMetadata", "SchemaName": "new_Document",
        "DisplayName": label("Document"), "RequiredLevel": {"Value": "None"}, "MaxSizeInKB": 10240})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let column = s.fetch("EntityDefinitions(LogicalName='new_paint')/Attributes(LogicalName='new_document')").await;
    assert_eq!(column["@odata.type"], "#Microsoft.Dynamics.CRM.FileAttributeMetadata");
    assert_eq!((column["AttributeType"].as_str(), column["AttributeTypeName"]["Value"].as_str()), (Some("Virtual"), Some("FileType")));
    assert_eq!(column["MaxSizeInKB"], 10240);
    assert_eq!((column["IsValidForCreate"].as_bool(), column["IsValidForUpdate"].as_bool(), column["IsCustomAttribute"].as_bool()), (Some(false), Some(false), Some(true)));
    let cast = s.fetch("EntityDefinitions(LogicalName='new_paint')/Attributes/Microsoft.Dynamics.CRM.FileAttributeMetadata?$select=LogicalName,MaxSizeInKB").await;
    assert_eq!(cast["value"], json!([{"LogicalName": "new_document", "MaxSizeInKB": 10240, "MetadataId": column["MetadataId"]}]));

    // The column is a record property at once (the Python SDK probes it right after creating it).
    let id = s.create("new_paints", &json!({"new_name": "with a file"}).to_string()).await;
    let r = s.get_ok(&format!("new_paints({id})?$select=new_document"), &[]).await;
    assert_eq!(r.json["new_document"], Value::Null);
    s.patch(&format!("new_paints({id})"), &[], &json!({"new_document": "00000000-0000-0000-0000-000000000001"}).to_string()).await.assert_error(400, "0x80048d19");
    let csdl = s.get("$metadata").await.text;
    assert!(csdl.contains(r#"<Property Name="new_document" Type="Edm.Guid""#));

    // The default size is 32 MB; more than 10 GB is refused.
    let r = add_column(&s, json!({"@odata.type": "Microsoft.Dynamics.CRM.FileAttributeMetadata", "SchemaName": "new_Scan"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(s.fetch("EntityDefinitions(LogicalName='new_paint')/Attributes(LogicalName='new_scan')").await["MaxSizeInKB"], 32768);
    add_column(&s, json!({"@odata.type": "Microsoft.Dynamics.CRM.FileAttributeMetadata", "SchemaName": "new_Huge", "MaxSizeInKB": 10485761}))
        .await
        .assert_error(400, "0x80040203");
}

#[tokio::test]
async fn a_lookup_column_is_not_created_through_attributes() {
    let s = Server::start().await;
    create_table(&s).await;
    let r = add_column(&s, json!({"@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata", "SchemaName": "new_AccountId",
        "AttributeType": "Lookup", "AttributeTypeName": {"Value": "LookupType"}, "Targets": ["account"]})).await;
    assert_eq!(r.assert_error(400, "0x80040203"), "Attribute of type LookupAttributeMetadata cannot be created through the SDK.");
    s.get("EntityDefinitions(LogicalName='new_paint')/Attributes(LogicalName='new_accountid')").await.assert_error(404, "0x80040217");
}

/// `RetrieveMetadataChanges(Query=@p1)` with `@p1` as the Python SDK sends it.
fn metadata_changes(table: &str, column: Option<&str>, stamp: Option<&str>) -> String {
    let mut attribute_query = json!({"Properties": {"PropertyNames": ["LogicalName", "SchemaName", "AttributeType", "AttributeTypeName", "MetadataId",
        "DisplayName", "RequiredLevel", "MaxLength", "Format", "FormatName", "MinValue", "MaxValue", "Precision"]}});
    if let Some(c) = column {
        attribute_query["Criteria"] = json!({"Conditions": [{"PropertyName": "LogicalName", "ConditionOperator": "Equals", "Value": {"Type": "System.String", "Value": c}}]});
    }
    let query = json!({
        "Properties": {"PropertyNames": ["LogicalName", "Attributes"]},
        "Criteria": {"Conditions": [{"PropertyName": "LogicalName", "ConditionOperator": "Equals", "Value": {"Type": "System.String", "Value": table}}]},
        "AttributeQuery": attribute_query,
    });
    match stamp {
        None => format!("RetrieveMetadataChanges(Query=@p1)?@p1={}", enc(&query.to_string())),
        Some(s) => format!("RetrieveMetadataChanges(Query=@p1,ClientVersionStamp=@p2)?@p1={}&@p2={}", enc(&query.to_string()), enc(&format!("'{s}'"))),
    }
}

#[tokio::test]
async fn retrieve_metadata_changes_returns_the_requested_properties() {
    let s = Server::start().await;
    let r = s.get_ok(&metadata_changes("account", None, None), &[]).await;
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#Microsoft.Dynamics.CRM.RetrieveMetadataChangesResponse", s.base));
    assert_eq!(r.json["DeletedMetadata"], json!({"Count": 0, "IsReadOnly": false, "Keys": [], "Values": []}));
    let stamp = r.json["ServerVersionStamp"].as_str().expect("ServerVersionStamp").to_string();
    assert!(stamp.contains('!'), "{stamp}");
    let entities = r.json["EntityMetadata"].as_array().unwrap();
    assert_eq!(entities.len(), 1);
    let account = &entities[0];
    assert_eq!((account["LogicalName"].as_str(), account["HasChanged"].clone()), (Some("account"), Value::Null));
    assert!(account["MetadataId"].is_string());
    // Properties not asked for are there, null.
    assert!(account.as_object().unwrap().contains_key("SchemaName") && account["SchemaName"].is_null(), "{account}");
    assert!(account["Keys"].is_null());
    let name = account["Attributes"].as_array().unwrap().iter().find(|a| a["LogicalName"] == "name").expect("name column");
    assert_eq!(name["@odata.type"], "#Microsoft.Dynamics.CRM.ComplexStringAttributeMetadata");
    assert_eq!((name["AttributeType"].as_str(), name["MaxLength"].as_i64(), name["SchemaName"].as_str()), (Some("String"), Some(160), Some("Name")));
    assert_eq!(name["RequiredLevel"]["Value"], "ApplicationRequired");
    assert!(name["IsCustomAttribute"].is_null() && name["DatabaseLength"].is_null(), "{name}");
    let id_column = account["Attributes"].as_array().unwrap().iter().find(|a| a["LogicalName"] == "accountid").unwrap();
    assert!(id_column.get("@odata.type").is_none(), "plain AttributeMetadata has no derived type: {id_column}");

    // One column by criteria (get_column(typed=True)).
    let r = s.get_ok(&metadata_changes("account", Some("name"), None), &[]).await;
    let attributes = r.json["EntityMetadata"][0]["Attributes"].as_array().unwrap();
    assert_eq!(attributes.len(), 1);
    assert_eq!(attributes[0]["LogicalName"], "name");
    // No table matches: an empty list.
    let r = s.get_ok(&metadata_changes("new_nosuch", None, None), &[]).await;
    assert_eq!(r.json["EntityMetadata"], json!([]));

    // Two tables with Or, an In condition, a numeric comparison.
    let query = json!({"Properties": {"PropertyNames": ["SchemaName"]},
        "Criteria": {"FilterOperator": "Or", "Conditions": [
            {"PropertyName": "LogicalName", "ConditionOperator": "Equals", "Value": {"Type": "System.String", "Value": "account"}},
            {"PropertyName": "ObjectTypeCode", "ConditionOperator": "In", "Value": {"Type": "System.Int32[]", "Value": "[2]"}}]}});
    let r = s.get_ok(&format!("RetrieveMetadataChanges(Query=@q)?@q={}", enc(&query.to_string())), &[]).await;
    let schema_names: Vec<&str> = r.json["EntityMetadata"].as_array().unwrap().iter().map(|e| e["SchemaName"].as_str().unwrap()).collect();
    assert_eq!(schema_names, ["Account", "Contact"]);
    assert!(r.json["EntityMetadata"][0]["Attributes"].is_null());

    // The stamp: unchanged schema → no tables; a changed one → the table again; a stamp the
    // emulator never gave → Dataverse's expired-stamp error.
    let r = s.get_ok(&metadata_changes("account", None, Some(&stamp)), &[]).await;
    assert_eq!(r.json["EntityMetadata"], json!([]));
    let r = s.post("GlobalOptionSetDefinitions", &colors("new_colors")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s.get_ok(&metadata_changes("account", None, Some(&stamp)), &[]).await;
    assert_eq!(r.json["EntityMetadata"].as_array().unwrap().len(), 1);
    s.get(&metadata_changes("account", None, Some("999!01/01/2030 00:00:00"))).await.assert_error(400, "0x80044352");
    s.get(&metadata_changes("account", None, Some("garbage"))).await.assert_error(400, "0x80044352");

    // Unknown property names and operators are refused.
    let bad = json!({"Properties": {"PropertyNames": ["NoSuchProperty"]}});
    s.get(&format!("RetrieveMetadataChanges(Query=@q)?@q={}", enc(&bad.to_string()))).await.assert_error(400, "0x80040203");
    let bad = json!({"Criteria": {"Conditions": [{"PropertyName": "LogicalName", "ConditionOperator": "Like", "Value": {"Type": "System.String", "Value": "a"}}]}});
    s.get(&format!("RetrieveMetadataChanges(Query=@q)?@q={}", enc(&bad.to_string()))).await.assert_error(400, "0x80040203");
    // It is a function: POST is not allowed.
    s.post("RetrieveMetadataChanges", "{}").await.assert_error(404, "0x80060888");
}
