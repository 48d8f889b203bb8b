//! Custom APIs declared in the org's fixture (`custom-apis.json`): routing, parameter
//! checks, canned responses, `$metadata`, and fixture errors.

use crate::common;

use common::*;
use dataverse_emulator::{Clock, Org};
use http::StatusCode;

#[tokio::test]
async fn unbound_action_answers_the_canned_response() {
    let s = Server::start().await;
    let r = s.post("sample_CalculateDiscount", r#"{"Amount":100.5,"CustomerTier":"Gold"}"#).await.checked();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#Microsoft.Dynamics.CRM.sample_CalculateDiscountResponse", s.base));
    assert_eq!(r.json["Discount"], 12.5);
    assert_eq!(r.json["Reason"], "Loyal customer");
    // The optional parameter may be left out; an action without response properties is 204.
    assert_eq!(s.post("sample_CalculateDiscount", r#"{"Amount":1}"#).await.status, StatusCode::OK);
    assert_eq!(s.post("sample_Ping", "").await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn parameters_are_checked() {
    let s = Server::start().await;
    assert!(s.post("sample_CalculateDiscount", "{}").await.assert_error(400, "0x80048d19").contains("The missing parameters are: Amount."));
    assert!(s.post("sample_CalculateDiscount", r#"{"Amount":"lots"}"#).await.assert_error(400, "0x80048d19").contains("Edm.Decimal"));
    assert!(s.post("sample_CalculateDiscount", r#"{"Amount":1,"Extra":true}"#).await.assert_error(400, "0x80048d19").contains("'Extra'"));
    // An action is POST only.
    s.get("sample_CalculateDiscount").await.assert_error(404, "0x80060888");
}

#[tokio::test]
async fn bound_function_on_its_table_only() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})/Microsoft.Dynamics.CRM.sample_AccountHealth(IncludeHistory=true)")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!((r.json["Score"].as_i64(), r.json["Status"].as_str()), (Some(87), Some("Healthy")));
    assert_eq!(s.get(&format!("accounts({FABRIKAM})/Microsoft.Dynamics.CRM.sample_AccountHealth()")).await.status, StatusCode::OK);
    s.get(&format!("contacts({YVONNE})/Microsoft.Dynamics.CRM.sample_AccountHealth()")).await.assert_error(404, "0x80060888");
    s.get("accounts(a0000000-0000-4000-8000-0000000000ff)/Microsoft.Dynamics.CRM.sample_AccountHealth()").await.assert_error(404, "0x80040217");
    s.get(&format!("accounts({FABRIKAM})/Microsoft.Dynamics.CRM.sample_AccountHealth(IncludeHistory='yes')")).await.assert_error(400, "0x80060888");
}

#[tokio::test]
async fn custom_apis_are_in_metadata() {
    let s = Server::start().await;
    let r = s.get("$metadata").await;
    assert_eq!(r.status, StatusCode::OK);
    for needle in [
        r#"<Action Name="sample_CalculateDiscount" IsBound="false">"#,
        r#"<Parameter Name="Amount" Type="Edm.Decimal" Nullable="false"/>"#,
        r#"<Parameter Name="CustomerTier" Type="Edm.String" Nullable="true" Unicode="false"/>"#,
        r#"<ReturnType Type="mscrm.sample_CalculateDiscountResponse" Nullable="false"/>"#,
        r#"<ComplexType Name="sample_CalculateDiscountResponse">"#,
        r#"<Function Name="sample_AccountHealth" IsBound="true"><Parameter Name="entity" Type="mscrm.account" Nullable="false"/>"#,
        r#"<ActionImport Name="sample_Ping" Action="Microsoft.Dynamics.CRM.sample_Ping"/>"#,
        // Built-in messages bound to one table say which.
        r#"<Action Name="QualifyLead" IsBound="true"><Parameter Name="entity" Type="mscrm.lead" Nullable="false"/>"#,
        r#"<EnumType Name="AccessRights" IsFlags="true">"#,
    ] {
        assert!(r.text.contains(needle), "$metadata lacks {needle}");
    }
}

fn org_with(custom_apis: &str) -> Result<Org, String> {
    let mut files: Vec<(&str, &str)> = fixtures::DEFAULT_ORG.iter().copied().filter(|(p, _)| *p != "custom-apis.json").collect();
    files.push(("custom-apis.json", custom_apis));
    Org::from_files(&files, Clock::system()).map_err(|e| e.message().to_string())
}

#[test]
fn fixture_errors_name_the_api() {
    let e = org_with(r#"{"customApis":[{"uniqueName":"x_A","requestParameters":[{"uniqueName":"P","type":"Blob"}]}]}"#).unwrap_err();
    assert!(e.contains("custom-apis.json") && e.contains("x_A") && e.contains("Blob"), "{e}");
    let e = org_with(r#"{"customApis":[{"uniqueName":"x_B","bindingType":"Entity","boundEntityLogicalName":"nosuch"}]}"#).unwrap_err();
    assert!(e.contains("nosuch"), "{e}");
    let e = org_with(r#"{"customApis":[{"uniqueName":"x_C","response":{"Nope":1}}]}"#).unwrap_err();
    assert!(e.contains("Nope"), "{e}");
    let e = org_with(r#"{"customApis":[{"uniqueName":"WhoAmI"}]}"#).unwrap_err();
    assert!(e.contains("taken"), "{e}");
    assert!(org_with(r#"{"customApis":[]}"#).is_ok());
}
