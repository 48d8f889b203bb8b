//! AddMembersTeam / RemoveMembersTeam: membership is the teammembership_association pair,
//! which the user-team query functions read.

use crate::common;

use common::*;
use http::StatusCode;

async fn new_team(s: &Server, name: &str) -> String {
    s.create("teams", &format!(r#"{{"name":"{name}","teamtype":0,"businessunitid@odata.bind":"/businessunits({BUSINESS_UNIT})"}}"#)).await
}

async fn members(s: &Server, team: &str) -> Vec<String> {
    let r = s.get(&format!("teams({team})/teammembership_association?$select=systemuserid")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut ids: Vec<String> = r.json["value"].as_array().unwrap().iter().map(|u| u["systemuserid"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn add_and_remove_members() {
    let s = Server::start().await;
    let team = new_team(&s, "Support").await;
    let body = format!(r#"{{"Members":[{{"systemuserid":"{CALLER}"}},{{"@odata.id":"systemusers({AGENT})"}}]}}"#);
    let r = s.post(&format!("teams({team})/Microsoft.Dynamics.CRM.AddMembersTeam"), &body).await.checked();
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(members(&s, &team).await, vec![CALLER.to_string(), AGENT.to_string()]);
    // Adding again changes nothing.
    assert_eq!(s.post(&format!("teams({team})/Microsoft.Dynamics.CRM.AddMembersTeam"), &body).await.status, StatusCode::NO_CONTENT);
    assert_eq!(members(&s, &team).await.len(), 2);

    // The caller's team now answers EqualUserTeams (OData) and eq-userteams (FetchXML).
    s.create("accounts", &format!(r#"{{"name":"TM-1","ownerid@odata.bind":"/teams({team})"}}"#)).await;
    let r = s.get(&format!("accounts?$select=name&$filter={}", enc("Microsoft.Dynamics.CRM.EqualUserTeams(PropertyName='ownerid') and startswith(name,'TM-')"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["value"].as_array().unwrap().len(), 1);
    let fetch = r#"<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-userteams"/><condition attribute="name" operator="like" value="TM-%"/></filter></entity></fetch>"#;
    let r = s.get(&format!("accounts?fetchXml={}", enc(fetch))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["value"].as_array().unwrap().len(), 1);

    let r = s.post(&format!("teams({team})/Microsoft.Dynamics.CRM.RemoveMembersTeam"), &format!(r#"{{"Members":[{{"systemuserid":"{CALLER}"}}]}}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(members(&s, &team).await, vec![AGENT.to_string()]);
    let r = s.get(&format!("accounts?$select=name&$filter={}", enc("Microsoft.Dynamics.CRM.EqualUserTeams(PropertyName='ownerid') and startswith(name,'TM-')"))).await;
    assert_eq!(r.json["value"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn team_member_errors_change_nothing() {
    let s = Server::start().await;
    let team = new_team(&s, "Ops").await;
    let missing = "5b3d8c1e-2f4a-4e6b-9c7d-0000000000ff";
    // One unknown user fails the whole call.
    let body = format!(r#"{{"Members":[{{"systemuserid":"{AGENT}"}},{{"systemuserid":"{missing}"}}]}}"#);
    s.post(&format!("teams({team})/Microsoft.Dynamics.CRM.AddMembersTeam"), &body).await.assert_error(404, "0x80040217");
    assert!(members(&s, &team).await.is_empty());
    // The default business unit team's membership is implicit.
    let body = format!(r#"{{"Members":[{{"systemuserid":"{AGENT}"}}]}}"#);
    s.post(&format!("teams({TEAM})/Microsoft.Dynamics.CRM.AddMembersTeam"), &body).await.assert_error(400, "0x80040203");
    // Bound to teams only; Members is required; GET is not allowed.
    s.post(&format!("accounts({FABRIKAM})/Microsoft.Dynamics.CRM.AddMembersTeam"), &body).await.assert_error(404, "0x80060888");
    assert!(s.post(&format!("teams({team})/Microsoft.Dynamics.CRM.AddMembersTeam"), "{}").await.assert_error(400, "0x80048d19").contains("Members"));
    s.get(&format!("teams({team})/Microsoft.Dynamics.CRM.AddMembersTeam")).await.assert_error(404, "0x80060888");
    // Unknown team.
    s.post(&format!("teams({missing})/Microsoft.Dynamics.CRM.AddMembersTeam"), &body).await.assert_error(404, "0x80040217");
}
