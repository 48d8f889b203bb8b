//! Column metadata: `EntityDefinitions(…)/Attributes`, single columns, and casts to the
//! derived types with their option sets (wire reference §6.2; Python client reference §4
//! item 2 and §5.2; dynamics-web-api reference §3.5).

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::{json, Value};

const BAD_REQUEST: &str = "0x80060888";
const DOES_NOT_EXIST: &str = "0x80040217";

/// `EntityDefinitions(LogicalName='<table>')/Attributes…`
fn attrs(table: &str, rest: &str) -> String {
    format!("EntityDefinitions(LogicalName='{table}')/Attributes{rest}")
}

/// The first label text of a `Label` object.
fn label(v: &Value) -> &str {
    v["LocalizedLabels"][0]["Label"].as_str().unwrap_or_else(|| panic!("no label in {v}"))
}

/// The one item of `value` whose `LogicalName` is `name`.
#[track_caller]
fn item<'a>(r: &'a Resp, name: &str) -> &'a Value {
    r.json["value"].as_array().and_then(|v| v.iter().find(|a| a["LogicalName"] == name)).unwrap_or_else(|| panic!("{name} not in {}", r.text))
}

#[tokio::test]
async fn python_sdk_picklist_request() {
    let s = Server::start().await;
    let r = s.get(&attrs("account", "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let industry = item(&r, "industrycode");
    let agriculture = industry["OptionSet"]["Options"].as_array().unwrap().iter().find(|o| o["Value"] == 2).expect("option 2");
    assert!(label(&agriculture["Label"]).starts_with("Agriculture"));
    assert_eq!(agriculture["Label"]["LocalizedLabels"][0]["LanguageCode"], 1033);
    // Only picklists, only what was selected (plus MetadataId), no @odata.type under a cast.
    let row = industry.as_object().unwrap();
    assert_eq!(row.keys().map(String::as_str).collect::<Vec<_>>(), ["LogicalName", "MetadataId", "OptionSet"]);
    assert!(r.json["value"].as_array().unwrap().iter().all(|a| a["OptionSet"]["Options"].is_array()));
    assert!(r.json["value"].as_array().unwrap().iter().all(|a| a["LogicalName"] != "statuscode"));
    let ctx = r.json["@odata.context"].as_str().unwrap();
    assert!(ctx.contains("$metadata#EntityDefinitions(") && ctx.ends_with(")/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata(LogicalName,OptionSet(Options))"), "{ctx}");
    // A table without picklists still answers 200.
    let r = s.get(&attrs("activityparty", "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn every_column_has_the_common_properties() {
    let s = Server::start().await;
    let r = s.get(&attrs("account", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let all = r.json["value"].as_array().unwrap();
    assert!(all.len() > 100);
    for a in all {
        let name = a["LogicalName"].as_str().unwrap();
        assert!(a["@odata.type"].as_str().is_some_and(|t| t.starts_with("#Microsoft.Dynamics.CRM.") && t.ends_with("AttributeMetadata")), "{name}");
        assert!(a["AttributeType"].is_string() && a["AttributeTypeName"]["Value"].is_string(), "{name}");
        assert_eq!(a["RequiredLevel"]["ManagedPropertyLogicalName"], "canmodifyrequirementlevelsettings", "{name}");
        assert_eq!(a["RequiredLevel"]["CanBeChanged"], true);
        for flag in ["IsValidForCreate", "IsValidForUpdate", "IsValidForRead", "IsCustomAttribute", "IsPrimaryId", "IsPrimaryName"] {
            assert!(a[flag].is_boolean(), "{name}.{flag}");
        }
        assert!(a["MetadataId"].as_str().is_some_and(|id| id.len() == 36));
        assert_eq!(a["EntityLogicalName"], "account");
        assert!(a["DisplayName"]["LocalizedLabels"].is_array());
    }
    let companion = item(&r, "createdbyname");
    assert_eq!(companion["AttributeOf"], "createdby");
    assert_eq!(companion["IsValidODataAttribute"], false);
}

#[tokio::test]
async fn one_column_by_logical_name_and_by_metadata_id() {
    let s = Server::start().await;
    let name = s.fetch(&attrs("account", "(LogicalName='name')")).await;
    assert_eq!(name["@odata.type"], "#Microsoft.Dynamics.CRM.StringAttributeMetadata");
    assert_eq!(name["AttributeType"], "String");
    assert_eq!(name["AttributeTypeName"], json!({"Value": "StringType"}));
    assert_eq!(name["RequiredLevel"], json!({"Value": "ApplicationRequired", "CanBeChanged": true, "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"}));
    assert_eq!((name["MaxLength"].as_u64(), name["Format"].as_str()), (Some(160), Some("Text")));
    assert_eq!(name["IsPrimaryName"], true);
    assert_eq!(label(&name["DisplayName"]), "Account Name");
    assert!(name["@odata.context"].as_str().unwrap().ends_with(")/Attributes/$entity"));
    let id = name["MetadataId"].as_str().unwrap();
    let again = s.fetch(&attrs("account", &format!("({id})?$select=LogicalName"))).await;
    assert_eq!(again["LogicalName"], "name");
    // The Python SDK's update_column: @odata.type and MetadataId even under $select.
    let r = s.fetch(&attrs("account", "(LogicalName='name')?%24select=MetadataId%2CSchemaName")).await;
    assert_eq!(r["@odata.type"], "#Microsoft.Dynamics.CRM.StringAttributeMetadata");
    assert_eq!(r["MetadataId"], id);
    let cast = s.fetch(&attrs("account", "(LogicalName='name')/Microsoft.Dynamics.CRM.StringAttributeMetadata")).await;
    assert_eq!(cast["MaxLength"], 160);
    assert!(cast["@odata.context"].as_str().unwrap().ends_with("/Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata/$entity"));
}

#[tokio::test]
async fn casts_select_the_type_and_its_properties() {
    let s = Server::start().await;
    let cast = |ty: &str, select: &str| attrs("account", &format!("/Microsoft.Dynamics.CRM.{ty}?$select={select}"));
    let r = s.get(&cast("MoneyAttributeMetadata", "LogicalName,Precision,PrecisionSource,MinValue,MaxValue")).await;
    let revenue = item(&r, "revenue");
    assert_eq!((revenue["Precision"].as_i64(), revenue["PrecisionSource"].as_i64()), (Some(2), Some(2)), "{revenue}");
    assert!(r.json["value"].as_array().unwrap().iter().all(|a| a.get("@odata.type").is_none()));
    let r = s.get(&cast("LookupAttributeMetadata", "LogicalName,Targets")).await;
    assert_eq!(item(&r, "primarycontactid")["Targets"], json!(["contact"]));
    assert_eq!(item(&r, "ownerid")["Targets"], json!(["systemuser", "team"]));
    let r = s.get(&cast("DateTimeAttributeMetadata", "LogicalName,Format,DateTimeBehavior")).await;
    assert_eq!(item(&r, "createdon")["DateTimeBehavior"], json!({"Value": "UserLocal"}));
    assert_eq!(item(&r, "createdon")["Format"], "DateAndTime");
    let r = s.get(&cast("IntegerAttributeMetadata", "LogicalName,MinValue,MaxValue")).await;
    assert_eq!((item(&r, "numberofemployees")["MinValue"].as_i64(), item(&r, "numberofemployees")["MaxValue"].as_i64()), (Some(0), Some(1_000_000_000)));
    let r = s.get(&cast("DecimalAttributeMetadata", "LogicalName,Precision")).await;
    assert_eq!(item(&r, "exchangerate")["Precision"], 10);
    let r = s.get(&cast("StringAttributeMetadata", "LogicalName,MaxLength")).await;
    assert!(r.json["value"].as_array().unwrap().iter().all(|a| a["MaxLength"].is_u64()), "{}", r.text);

    let birthdate = s.fetch(&attrs("contact", "(LogicalName='birthdate')/Microsoft.Dynamics.CRM.DateTimeAttributeMetadata")).await;
    assert_eq!((birthdate["Format"].as_str(), birthdate["DateTimeBehavior"]["Value"].as_str()), (Some("DateOnly"), Some("DateOnly")));
    let customer = s.fetch(&attrs("contact", "(LogicalName='parentcustomerid')")).await;
    assert_eq!((customer["AttributeType"].as_str(), customer["@odata.type"].as_str()), (Some("Customer"), Some("#Microsoft.Dynamics.CRM.LookupAttributeMetadata")));
}

#[tokio::test]
async fn status_state_and_boolean_option_sets() {
    let s = Server::start().await;
    let r = s.get(&attrs("account", "/Microsoft.Dynamics.CRM.StatusAttributeMetadata?$select=LogicalName&$expand=OptionSet")).await;
    let options = &item(&r, "statuscode")["OptionSet"]["Options"];
    assert_eq!(options[1]["@odata.type"], "#Microsoft.Dynamics.CRM.StatusOptionMetadata");
    assert_eq!((options[1]["Value"].as_i64(), options[1]["State"].as_i64()), (Some(2), Some(1)));
    assert_eq!(item(&r, "statuscode")["OptionSet"]["OptionSetType"], "Status");

    let r = s.get(&attrs("account", "/Microsoft.Dynamics.CRM.StateAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options,Name)")).await;
    let state = &item(&r, "statecode")["OptionSet"];
    assert_eq!(state["Name"], "account_statecode");
    assert_eq!(state["Options"][0]["DefaultStatus"], 1);
    assert_eq!(state["Options"][1]["InvariantName"], "Inactive");

    let r = s.get(&attrs("account", "(LogicalName='donotemail')/Microsoft.Dynamics.CRM.BooleanAttributeMetadata?$select=LogicalName,DefaultValue&$expand=OptionSet,GlobalOptionSet")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["DefaultValue"], false);
    assert_eq!(r.json["OptionSet"]["OptionSetType"], "Boolean");
    assert_eq!((r.json["OptionSet"]["TrueOption"]["Value"].as_i64(), label(&r.json["OptionSet"]["TrueOption"]["Label"])), (Some(1), "Do Not Allow"));
    assert_eq!(label(&r.json["OptionSet"]["FalseOption"]["Label"]), "Allow");
    assert_eq!(r.json["GlobalOptionSet"], Value::Null);
}

#[tokio::test]
async fn filters_on_columns() {
    let s = Server::start().await;
    let q = |f: &str| attrs("account", &format!("?$select=LogicalName,AttributeType&$filter={}", enc(f)));
    // The Python SDK's list_columns and remove_columns filters.
    let r = s.get(&attrs("account", "?%24select=LogicalName%2CAttributeType&%24filter=AttributeType%20eq%20%27String%27")).await;
    assert!(r.json["value"].as_array().unwrap().iter().all(|a| a["AttributeType"] == "String"), "{}", r.text);
    assert!(column_of(&r, "LogicalName").contains(&"name".to_string()));
    let r = s.get(&q("LogicalName eq 'name'")).await;
    assert_eq!(column_of(&r, "LogicalName"), ["name"]);
    let r = s.get(&q("AttributeType ne 'Virtual' and RequiredLevel/Value eq 'ApplicationRequired'")).await;
    assert_eq!(column_of(&r, "LogicalName"), ["name"]);
    let r = s.get(&q("AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'Owner'")).await;
    assert_eq!(column_of(&r, "LogicalName"), ["ownerid"]);
    let r = s.get(&q("IsValidForCreate eq false and IsValidForRead eq true and startswith(LogicalName,'createdon')")).await;
    assert_eq!(column_of(&r, "LogicalName"), ["createdon", "createdonbehalfby", "createdonbehalfbyname", "createdonbehalfbyyominame"]);
    // Type-specific properties need the cast.
    let r = s.get(&attrs("account", &format!("?$filter={}", enc("MaxLength gt 100")))).await;
    assert_eq!(r.assert_error(400, BAD_REQUEST), "Could not find a property named 'MaxLength' on type 'Microsoft.Dynamics.CRM.AttributeMetadata'.");
    let r = s.get(&attrs("account", &format!("/Microsoft.Dynamics.CRM.StringAttributeMetadata?$select=LogicalName&$filter={}", enc("MaxLength gt 1000")))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!r.json["value"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn column_errors() {
    let s = Server::start().await;
    let r = s.get(&attrs("account", "?$expand=OptionSet")).await;
    assert!(r.assert_error(400, BAD_REQUEST).contains("'OptionSet' on type 'Microsoft.Dynamics.CRM.AttributeMetadata'"));
    let r = s.get(&attrs("account", "(LogicalName='new_nope')")).await;
    assert!(r.assert_error(404, DOES_NOT_EXIST).contains("new_nope"));
    s.get(&attrs("account", &format!("({MISSING})"))).await.assert_error(404, DOES_NOT_EXIST);
    s.get(&attrs("account", "(LogicalName='name')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata")).await.assert_error(404, "0x80060888");
    s.get(&attrs("account", "/Microsoft.Dynamics.CRM.NopeAttributeMetadata")).await.assert_error(404, "0x80060888");
    s.get(&attrs("new_nope", "")).await.assert_error(404, DOES_NOT_EXIST);
    let r = s.get(&attrs("account", "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$expand=OptionSet($top=1)")).await;
    r.assert_error(400, BAD_REQUEST);
}
