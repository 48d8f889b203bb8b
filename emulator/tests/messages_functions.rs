//! The message registry: function parameters (aliases and inline literals), bound and
//! unbound routing, parameter checks, unknown messages, and `$metadata` declarations.

use crate::common;

use common::*;
use http::StatusCode;

#[tokio::test]
async fn who_am_i_and_retrieve_version_with_and_without_parens() {
    let s = Server::start().await;
    for path in ["WhoAmI", "WhoAmI()"] {
        let r = s.get(path).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["UserId"], CALLER);
        assert_eq!(r.json["BusinessUnitId"], BUSINESS_UNIT);
        assert_eq!(r.json["@odata.context"], format!("{}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse", s.base));
    }
    assert_eq!(s.get("RetrieveVersion").await.json["Version"], "9.2.25093.00168");
    // A function is GET only; an action POST only.
    assert!(s.post("RetrieveVersion", "{}").await.assert_error(404, "0x80060888").contains("No HTTP resource"));
    s.get("BulkDelete").await.assert_error(404, "0x80060888");
}

#[tokio::test]
async fn retrieve_total_record_count_with_an_alias_and_inline() {
    let s = Server::start().await;
    let accounts = s.count("accounts").await;
    let contacts = s.count("contacts").await;
    let r = s.get(&format!("RetrieveTotalRecordCount(EntityNames=@p1)?@p1={}", enc(r#"["account","contact"]"#))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#Microsoft.Dynamics.CRM.RetrieveTotalRecordCountResponse", s.base));
    let c = &r.json["EntityRecordCountCollection"];
    assert_eq!(c["Count"], 2);
    assert_eq!(c["IsReadOnly"], false);
    assert_eq!(c["Keys"], serde_json::json!(["account", "contact"]));
    assert_eq!(c["Values"], serde_json::json!([accounts, contacts]));
    // Inline, as a literal in the path.
    let r = s.get(&format!("RetrieveTotalRecordCount(EntityNames={})", enc(r#"["account"]"#))).await;
    assert_eq!(r.json["EntityRecordCountCollection"]["Values"][0], accounts);
    // Unknown table, missing parameter, alias without a value, wrong type.
    let r = s.get(&format!("RetrieveTotalRecordCount(EntityNames=@p1)?@p1={}", enc(r#"["nosuchtable"]"#))).await;
    assert!(r.assert_error(400, "0x80040203").contains("nosuchtable"));
    let r = s.get("RetrieveTotalRecordCount()").await;
    assert!(r.assert_error(400, "0x80060888").contains("The missing parameters are: EntityNames."));
    let r = s.get("RetrieveTotalRecordCount(EntityNames=@p1)").await;
    assert!(r.assert_error(400, "0x80060888").contains("@p1"));
    let r = s.get("RetrieveTotalRecordCount(EntityNames=@p1)?@p1=5").await;
    assert!(r.assert_error(400, "0x80060888").contains("Collection(Edm.String)"));
    let r = s.get(&format!("RetrieveTotalRecordCount(EntityNames=@p1,Other=1)?@p1={}", enc(r#"["account"]"#))).await;
    assert!(r.assert_error(400, "0x80060888").contains("'Other'"));
}

#[tokio::test]
async fn retrieve_current_organization_takes_an_enum_parameter() {
    let s = Server::start().await;
    let r = s.get(&format!("RetrieveCurrentOrganization(AccessType=@p1)?@p1={}", enc("Microsoft.Dynamics.CRM.EndpointAccessType'Default'"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = &r.json["Detail"];
    assert_eq!(d["OrganizationId"], "5b3d8c1e-2f4a-4e6b-9c7d-000000001019");
    assert_eq!(d["FriendlyName"], "Emulated Org");
    assert_eq!(d["UniqueName"], "emulatedorg");
    assert_eq!(d["OrganizationVersion"], "9.2.25093.00168");
    assert_eq!(d["State"], "Enabled");
    assert_eq!(d["Endpoints"]["Keys"][0], "WebApplication");
    let origin = s.base.trim_end_matches("api/data/v9.2/");
    assert_eq!(d["Endpoints"]["Values"][0], origin);
    let r = s.get(&format!("RetrieveCurrentOrganization(AccessType=@p1)?@p1={}", enc("Microsoft.Dynamics.CRM.EndpointAccessType'Nowhere'"))).await;
    assert!(r.assert_error(400, "0x80060888").contains("Microsoft.Dynamics.CRM.EndpointAccessType"));
}

#[tokio::test]
async fn initialize_from_binds_the_source_and_copies_shared_columns() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"IF-parent","telephone1":"555-0100","address1_city":"Redmond","accountnumber":"IF-1"}"#).await;
    let moniker = enc(&format!("{{'@odata.id':'accounts({id})'}}"));
    let r = s
        .get(&format!("InitializeFrom(EntityMoniker=@p1,TargetEntityName=@p2,TargetFieldType=@p3)?@p1={moniker}&@p2='contact'&@p3=Microsoft.Dynamics.CRM.TargetFieldType'ValidForCreate'"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#contacts/$entity", s.base));
    assert_eq!(r.json["@odata.type"], "#Microsoft.Dynamics.CRM.contact");
    assert_eq!(r.json["telephone1"], "555-0100");
    assert_eq!(r.json["address1_city"], "Redmond");
    assert!(r.json.get("name").is_none() && r.json.get("accountnumber").is_none(), "{}", r.text);
    let bind = r.json.as_object().unwrap().iter().find(|(k, _)| k.ends_with("@odata.bind")).expect("a bind to the source");
    assert_eq!(bind.1, &format!("accounts({id})"));
    // The returned body creates the record as it is.
    let mut body = r.json.as_object().unwrap().clone();
    body.retain(|k, _| !k.starts_with('@'));
    body.insert("lastname".into(), "Initialized".into());
    s.create("contacts", &serde_json::Value::Object(body).to_string()).await;
    let moniker = enc(&format!("{{'@odata.id':'accounts({MISSING})'}}"));
    s.get(&format!("InitializeFrom(EntityMoniker=@p1,TargetEntityName='contact')?@p1={moniker}")).await.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn unknown_messages_get_the_unknown_segment_error() {
    let s = Server::start().await;
    assert_eq!(s.get("NoSuchFunction()").await.assert_error(404, "0x80060888"), "Resource not found for the segment 'NoSuchFunction'.");
    assert_eq!(s.post("NoSuchAction", "{}").await.assert_error(404, "0x80060888"), "Resource not found for the segment 'NoSuchAction'.");
    let r = s.post(&format!("accounts({FABRIKAM})/Microsoft.Dynamics.CRM.NoSuchAction"), "{}").await;
    assert_eq!(r.assert_error(404, "0x80060888"), "Resource not found for the segment 'Microsoft.Dynamics.CRM.NoSuchAction'.");
    let r = s.get("accounts/Microsoft.Dynamics.CRM.NoSuchFunction()").await;
    r.assert_error(404, "0x80060888");
    // Unbound messages are not bound ones.
    let r = s.get(&format!("accounts({FABRIKAM})/Microsoft.Dynamics.CRM.WhoAmI()")).await;
    assert!(r.assert_error(501, "0x80040315").contains("WhoAmI"));
}

#[tokio::test]
async fn actions_check_their_body() {
    let s = Server::start().await;
    let r = s.post("BulkDelete", "{not json").await;
    r.assert_error(400, "0x80048d19");
    let r = s.post("BulkDelete", r#"{"JobName":"x"}"#).await;
    let msg = r.assert_error(400, "0x80048d19");
    assert!(msg.starts_with("One or more parameters of the operation 'BulkDelete' are missing from the request payload."), "{msg}");
    assert!(msg.contains("QuerySet"), "{msg}");
}

#[tokio::test]
async fn metadata_declares_every_message() {
    let s = Server::start().await;
    let r = s.get("$metadata").await;
    let t = &r.text;
    for needle in [
        r#"<Function Name="WhoAmI" IsBound="false"><ReturnType Type="mscrm.WhoAmIResponse" Nullable="false"/></Function>"#,
        r#"<FunctionImport Name="WhoAmI" Function="Microsoft.Dynamics.CRM.WhoAmI" IncludeInServiceDocument="false"/>"#,
        r#"<FunctionImport Name="RetrieveTotalRecordCount""#,
        r#"<Parameter Name="EntityNames" Type="Collection(Edm.String)" Nullable="false"/>"#,
        r#"<Action Name="CreateMultiple" IsBound="true"><Parameter Name="entityset" Type="Collection(mscrm.crmbaseentity)" Nullable="false"/><Parameter Name="Targets" Type="Collection(mscrm.crmbaseentity)" Nullable="false"/><ReturnType Type="mscrm.CreateMultipleResponse" Nullable="false"/></Action>"#,
        r#"<Action Name="UpdateMultiple" IsBound="true">"#,
        r#"<Action Name="UpsertMultiple" IsBound="true">"#,
        r#"<ActionImport Name="BulkDelete" Action="Microsoft.Dynamics.CRM.BulkDelete"/>"#,
        r#"<ComplexType Name="CreateMultipleResponse">"#,
        r#"<EnumType Name="TargetFieldType"><Member Name="All" Value="0"/>"#,
    ] {
        assert!(t.contains(needle), "$metadata lacks {needle}");
    }
    // Bound actions have no import.
    assert!(!t.contains(r#"ActionImport Name="CreateMultiple""#));
}
