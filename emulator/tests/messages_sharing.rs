//! Record sharing: GrantAccess, ModifyAccess, RevokeAccess, RetrievePrincipalAccess and
//! RetrieveSharedPrincipalsAndAccess, stored as `principalobjectaccess` rows.

use crate::common;

use common::*;
use http::StatusCode;

fn grant(action: &str, account: &str, user: &str, mask: &str) -> (String, String) {
    (
        action.to_string(),
        format!(
            r#"{{"Target":{{"@odata.type":"Microsoft.Dynamics.CRM.account","accountid":"{account}"}},"PrincipalAccess":{{"Principal":{{"@odata.type":"Microsoft.Dynamics.CRM.systemuser","systemuserid":"{user}"}},"AccessMask":"{mask}"}}}}"#
        ),
    )
}

async fn rights(s: &Server, principal: &str, account: &str) -> String {
    let path = format!("{principal}/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@t)?@t={}", enc(&format!("{{\"@odata.id\":\"accounts({account})\"}}")));
    let r = s.get(&path).await.checked();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#Microsoft.Dynamics.CRM.RetrievePrincipalAccessResponse", s.base));
    r.json["AccessRights"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn grant_modify_revoke_round_trip() {
    let s = Server::start().await;
    let account = s.create("accounts", r#"{"name":"Shared"}"#).await;
    let user = format!("systemusers({AGENT})");
    assert_eq!(rights(&s, &user, &account).await, "None");
    // The owner (the caller) has every right.
    assert_eq!(
        rights(&s, &format!("systemusers({CALLER})"), &account).await,
        "ReadAccess, WriteAccess, AppendAccess, AppendToAccess, CreateAccess, DeleteAccess, ShareAccess, AssignAccess"
    );

    let (a, b) = grant("GrantAccess", &account, AGENT, "ReadAccess");
    assert_eq!(s.post(&a, &b).await.status, StatusCode::NO_CONTENT);
    let (a, b) = grant("GrantAccess", &account, AGENT, "WriteAccess, AppendAccess");
    assert_eq!(s.post(&a, &b).await.status, StatusCode::NO_CONTENT);
    assert_eq!(rights(&s, &user, &account).await, "ReadAccess, WriteAccess, AppendAccess");

    // The grant is a principalobjectaccess row.
    let r = s.get(&format!("principalobjectaccessset?$filter={}", enc(&format!("objectid eq {account}")))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rows = r.json["value"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["principalid"], AGENT);
    assert_eq!(rows[0]["principaltypecode"], "systemuser");
    assert_eq!(rows[0]["objecttypecode"], "account");
    assert_eq!(rows[0]["accessrightsmask"], 7);

    let r = s.get(&format!("RetrieveSharedPrincipalsAndAccess(Target=@t)?@t={}", enc(&format!("{{\"@odata.id\":\"accounts({account})\"}}")))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let shares = r.json["PrincipalAccesses"].as_array().unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0]["AccessMask"], "ReadAccess, WriteAccess, AppendAccess");
    assert_eq!(shares[0]["Principal"]["@odata.type"], "#Microsoft.Dynamics.CRM.systemuser");
    assert_eq!(shares[0]["Principal"]["ownerid"], AGENT);

    // ModifyAccess replaces the mask; a number works as well as names.
    let (a, b) = grant("ModifyAccess", &account, AGENT, "ReadAccess");
    assert_eq!(s.post(&a, &b.replace("\"ReadAccess\"", "1")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(rights(&s, &user, &account).await, "ReadAccess");

    let body = format!(
        r#"{{"Target":{{"@odata.id":"accounts({account})"}},"Revokee":{{"@odata.type":"Microsoft.Dynamics.CRM.systemuser","systemuserid":"{AGENT}"}}}}"#
    );
    assert_eq!(s.post("RevokeAccess", &body).await.status, StatusCode::NO_CONTENT);
    assert_eq!(rights(&s, &user, &account).await, "None");
    assert_eq!(s.count("principalobjectaccessset").await, 0);
    // Revoking again is not an error.
    assert_eq!(s.post("RevokeAccess", &body).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn shares_with_a_team_reach_its_members() {
    let s = Server::start().await;
    let account = s.create("accounts", r#"{"name":"Team shared"}"#).await;
    let team = s.create("teams", &format!(r#"{{"name":"Sales","teamtype":0,"businessunitid@odata.bind":"/businessunits({BUSINESS_UNIT})"}}"#)).await;
    let body = format!(
        r#"{{"Target":{{"@odata.id":"accounts({account})"}},"PrincipalAccess":{{"Principal":{{"@odata.type":"Microsoft.Dynamics.CRM.team","teamid":"{team}"}},"AccessMask":"ReadAccess"}}}}"#
    );
    assert_eq!(s.post("GrantAccess", &body).await.status, StatusCode::NO_CONTENT);
    assert_eq!(rights(&s, &format!("teams({team})"), &account).await, "ReadAccess");
    assert_eq!(rights(&s, &format!("systemusers({AGENT})"), &account).await, "None");
    let r = s.post(&format!("teams({team})/Microsoft.Dynamics.CRM.AddMembersTeam"), &format!(r#"{{"Members":[{{"systemuserid":"{AGENT}"}}]}}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(rights(&s, &format!("systemusers({AGENT})"), &account).await, "ReadAccess");
}

#[tokio::test]
async fn sharing_errors() {
    let s = Server::start().await;
    let account = s.create("accounts", r#"{"name":"E"}"#).await;
    let missing = "a0000000-0000-4000-8000-0000000000ff";
    // Unknown record, unknown principal.
    let (a, b) = grant("GrantAccess", missing, AGENT, "ReadAccess");
    s.post(&a, &b).await.assert_error(404, "0x80040217");
    let (a, b) = grant("GrantAccess", &account, missing, "ReadAccess");
    s.post(&a, &b).await.assert_error(404, "0x80040217");
    // A mask member that doesn't exist.
    let (a, b) = grant("GrantAccess", &account, AGENT, "ReadAccess, FlyAccess");
    assert!(s.post(&a, &b).await.assert_error(400, "0x80048d19").contains("AccessRights"));
    // A principal that isn't a user or a team.
    let body = format!(r#"{{"Target":{{"@odata.id":"accounts({account})"}},"PrincipalAccess":{{"Principal":{{"@odata.id":"contacts({YVONNE})"}},"AccessMask":"ReadAccess"}}}}"#);
    s.post("GrantAccess", &body).await.assert_error(400, "0x80040203");
    // RetrievePrincipalAccess is bound to users and teams only.
    let path = format!("accounts({account})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@t)?@t={}", enc(&format!("{{\"@odata.id\":\"accounts({account})\"}}")));
    s.get(&path).await.assert_error(404, "0x80060888");
    // Nothing was stored by the failures.
    assert_eq!(s.count("principalobjectaccessset").await, 0);
}
