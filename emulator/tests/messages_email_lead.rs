//! SendEmail / SendEmailFromTemplate (state changes, no delivery) and QualifyLead.

use crate::common;

use common::*;
use http::StatusCode;

async fn draft(s: &Server, with_recipient: bool) -> String {
    let parties = if with_recipient {
        format!(r#","email_activity_parties":[{{"partyid_contact@odata.bind":"/contacts({YVONNE})","participationtypemask":2}}]"#)
    } else {
        String::new()
    };
    s.create("emails", &format!(r#"{{"subject":"Quote","description":"Hello"{parties}}}"#)).await
}

#[tokio::test]
async fn send_email_marks_sent_or_pending_send() {
    let s = Server::start().await;
    let email = draft(&s, true).await;
    let r = s.post(&format!("emails({email})/Microsoft.Dynamics.CRM.SendEmail"), r#"{"IssueSend":false,"TrackingToken":"CRM:0001"}"#).await.checked();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#Microsoft.Dynamics.CRM.SendEmailResponse", s.base));
    assert_eq!(r.json["Subject"], "Quote CRM:0001");
    let e = s.fetch(&format!("emails({email})")).await;
    assert_eq!((e["statecode"].as_i64(), e["statuscode"].as_i64()), (Some(1), Some(3)));
    assert_eq!(e["trackingtoken"], "CRM:0001");
    assert_eq!(e["directioncode"], true);

    let email = draft(&s, true).await;
    let r = s.post(&format!("emails({email})/Microsoft.Dynamics.CRM.SendEmail"), r#"{"IssueSend":true}"#).await;
    assert_eq!(r.json["Subject"], "Quote", "{}", r.text);
    let e = s.fetch(&format!("emails({email})")).await;
    assert_eq!((e["statecode"].as_i64(), e["statuscode"].as_i64()), (Some(1), Some(6)));
    // Sending it again: it isn't a draft any more.
    s.post(&format!("emails({email})/Microsoft.Dynamics.CRM.SendEmail"), r#"{"IssueSend":true}"#).await.assert_error(400, "0x80040203");
}

#[tokio::test]
async fn send_email_errors() {
    let s = Server::start().await;
    let email = draft(&s, false).await;
    let m = s.post(&format!("emails({email})/Microsoft.Dynamics.CRM.SendEmail"), r#"{"IssueSend":true}"#).await.assert_error(400, "0x80040203").to_string();
    assert!(m.contains("at least one recipient"), "{m}");
    assert_eq!(s.fetch(&format!("emails({email})")).await["statecode"], 0);
    assert!(s.post(&format!("emails({email})/Microsoft.Dynamics.CRM.SendEmail"), "{}").await.assert_error(400, "0x80048d19").contains("IssueSend"));
    s.post(&format!("accounts({FABRIKAM})/Microsoft.Dynamics.CRM.SendEmail"), r#"{"IssueSend":true}"#).await.assert_error(404, "0x80060888");
    // No templates in the org: the template is not found.
    let body = format!(
        r#"{{"TemplateId":"07b94c1d-6b41-4d8b-9d0c-000000000001","RegardingId":"{FABRIKAM}","RegardingType":"account","Target":{{"@odata.type":"Microsoft.Dynamics.CRM.email","subject":"x"}}}}"#
    );
    let m = s.post("SendEmailFromTemplate", &body).await.assert_error(404, "0x80040217").to_string();
    assert!(m.contains("'template'"), "{m}");
}

#[tokio::test]
async fn qualify_lead_creates_account_contact_and_opportunity() {
    let s = Server::start().await;
    let lead = s
        .create(
            "leads",
            r#"{"subject":"Big deal","firstname":"Ana","lastname":"Silva","companyname":"Silva Trading","emailaddress1":"ana@silva.example","jobtitle":"CEO","estimatedamount":5000}"#,
        )
        .await;
    let body = r#"{"CreateAccount":true,"CreateContact":true,"CreateOpportunity":true,"Status":3}"#;
    let r = s.post(&format!("leads({lead})/Microsoft.Dynamics.CRM.QualifyLead"), body).await.checked();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)", s.base));
    let v = r.json["value"].as_array().unwrap();
    assert_eq!(v.len(), 3);
    assert_eq!(v[0]["@odata.type"], "#Microsoft.Dynamics.CRM.account");
    assert_eq!(v[1]["@odata.type"], "#Microsoft.Dynamics.CRM.contact");
    assert_eq!(v[2]["@odata.type"], "#Microsoft.Dynamics.CRM.opportunity");
    let (account, contact, opportunity) = (v[0]["accountid"].as_str().unwrap(), v[1]["contactid"].as_str().unwrap(), v[2]["opportunityid"].as_str().unwrap());

    let a = s.fetch(&format!("accounts({account})")).await;
    assert_eq!(a["name"], "Silva Trading");
    assert_eq!(a["_originatingleadid_value"], lead.as_str());
    let c = s.fetch(&format!("contacts({contact})")).await;
    assert_eq!((c["firstname"].as_str(), c["lastname"].as_str(), c["jobtitle"].as_str()), (Some("Ana"), Some("Silva"), Some("CEO")));
    assert_eq!(c["emailaddress1"], "ana@silva.example");
    assert_eq!(c["_parentcustomerid_value"], account);
    let o = s.fetch(&format!("opportunities({opportunity})")).await;
    assert_eq!(o["name"], "Big deal");
    assert_eq!(o["estimatedvalue"], 5000.0);
    assert_eq!(o["_customerid_value"], account);
    assert_eq!(o["_parentcontactid_value"], contact);
    assert_eq!(o["_originatingleadid_value"], lead.as_str());
    let l = s.fetch(&format!("leads({lead})")).await;
    assert_eq!((l["statecode"].as_i64(), l["statuscode"].as_i64()), (Some(1), Some(3)));
    assert_eq!(l["_qualifyingopportunityid_value"], opportunity);

    // A qualified lead is closed.
    s.post(&format!("leads({lead})/Microsoft.Dynamics.CRM.QualifyLead"), body).await.assert_error(400, "0x80040203");
}

#[tokio::test]
async fn qualify_lead_with_an_existing_customer_and_errors_are_atomic() {
    let s = Server::start().await;
    let lead = s.create("leads", r#"{"subject":"Renewal","lastname":"Fab","companyname":"Fabrikam again"}"#).await;
    let (accounts, contacts) = (s.count("accounts").await, s.count("contacts").await);
    // A status that isn't a Qualified status: nothing is created.
    let bad = r#"{"CreateAccount":true,"CreateContact":true,"CreateOpportunity":false,"Status":4}"#;
    let m = s.post(&format!("leads({lead})/Microsoft.Dynamics.CRM.QualifyLead"), bad).await.assert_error(400, "0x80040203").to_string();
    assert!(m.contains("not a valid status code"), "{m}");
    assert_eq!((s.count("accounts").await, s.count("contacts").await), (accounts, contacts));
    assert_eq!(s.fetch(&format!("leads({lead})")).await["statecode"], 0);
    // Only an opportunity, for an existing account.
    let body = format!(r#"{{"CreateAccount":false,"CreateContact":false,"CreateOpportunity":true,"Status":3,"OpportunityCustomerId":{{"@odata.type":"Microsoft.Dynamics.CRM.account","accountid":"{FABRIKAM}"}}}}"#);
    let r = s.post(&format!("leads({lead})/Microsoft.Dynamics.CRM.QualifyLead"), &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json["value"].as_array().unwrap();
    assert_eq!(v.len(), 1);
    let o = s.fetch(&format!("opportunities({})", v[0]["opportunityid"].as_str().unwrap())).await;
    assert_eq!(o["_customerid_value"], FABRIKAM);
    assert_eq!(s.count("accounts").await, accounts);
    // Bound to leads only; required flags.
    s.post(&format!("accounts({FABRIKAM})/Microsoft.Dynamics.CRM.QualifyLead"), &body).await.assert_error(404, "0x80060888");
    let other = s.create("leads", r#"{"lastname":"X"}"#).await;
    assert!(s.post(&format!("leads({other})/Microsoft.Dynamics.CRM.QualifyLead"), r#"{"Status":3}"#).await.assert_error(400, "0x80048d19").contains("CreateAccount"));
}
