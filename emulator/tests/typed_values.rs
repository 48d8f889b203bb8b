//! Typed values in and out: conversions, unknown properties, option values, lengths,
//! money scale, date-times, date-only, booleans, and direct lookup writes.

use crate::common;

use common::*;
use http::StatusCode;

async fn rejected(s: &Server, body: &str, status: u16, code: &str) -> String {
    let before = s.count("accounts").await;
    let r = s.post("accounts", body).await;
    let msg = r.assert_error(status, code).to_string();
    assert_eq!(s.count("accounts").await, before, "a rejected create stores nothing");
    msg
}

#[tokio::test]
async fn string_into_an_integer_column_is_a_payload_error() {
    let s = Server::start().await;
    let msg = rejected(&s, r#"{"name":"T","numberofemployees":"twelve"}"#, 400, "0x80048d19").await;
    assert!(msg.contains("'twelve'"), "{msg}");
    assert!(msg.contains("Edm.Int32"), "{msg}");
}

#[tokio::test]
async fn fraction_into_an_integer_column_is_a_payload_error() {
    let s = Server::start().await;
    let msg = rejected(&s, r#"{"name":"T","numberofemployees":1.5}"#, 400, "0x80048d19").await;
    assert!(msg.contains("Edm.Int32"), "{msg}");
}

#[tokio::test]
async fn unknown_property_is_a_payload_error() {
    let s = Server::start().await;
    let msg = rejected(&s, r#"{"name":"T","foo":1}"#, 400, "0x80048d19").await;
    assert!(msg.contains("Invalid property 'foo' was found in entity 'Microsoft.Dynamics.CRM.account'"), "{msg}");
}

#[tokio::test]
async fn bad_option_value_is_rejected_with_the_accepted_values() {
    let s = Server::start().await;
    let msg = rejected(&s, r#"{"name":"T","industrycode":99999}"#, 400, "0x8004431a").await;
    assert!(msg.contains("industrycode"), "{msg}");
    assert!(msg.contains("Accepted Values"), "{msg}");
}

#[tokio::test]
async fn good_option_value_round_trips_with_its_label() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"T","industrycode":7,"accountcategorycode":1}"#).await;
    let r = s.get_with(&format!("accounts({id})?$select=industrycode,accountcategorycode"), &[("Prefer", "odata.include-annotations=\"*\"")]).await;
    assert_eq!(r.json["industrycode"], 7);
    assert_eq!(r.json["industrycode@OData.Community.Display.V1.FormattedValue"], "Consulting");
    assert_eq!(r.json["accountcategorycode"], 1);
    assert!(r.json["accountcategorycode@OData.Community.Display.V1.FormattedValue"].is_string());
}

#[tokio::test]
async fn string_over_max_length_is_a_validation_error() {
    let s = Server::start().await;
    let msg = rejected(&s, r#"{"name":"T","accountnumber":"123456789012345678901"}"#, 400, "0x80044331").await;
    assert!(msg.contains("'accountnumber'"), "{msg}");
    assert!(msg.contains("'20'"), "{msg}");
    // Exactly at the limit is fine.
    s.create("accounts", r#"{"name":"T","accountnumber":"12345678901234567890"}"#).await;
}

#[tokio::test]
async fn money_is_returned_with_scale() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})?$select=revenue")).await;
    assert!(r.text.contains(r#""revenue":1500000.0000"#), "{}", r.text);
    let id = s.create("accounts", r#"{"name":"M","revenue":12.5,"creditlimit":7}"#).await;
    let r = s.get(&format!("accounts({id})?$select=revenue,creditlimit")).await;
    assert!(r.text.contains(r#""revenue":12.5000"#), "{}", r.text);
    assert!(r.text.contains(r#""creditlimit":7.0000"#), "{}", r.text);
}

#[tokio::test]
async fn money_as_a_string_is_a_payload_error() {
    let s = Server::start().await;
    let msg = rejected(&s, r#"{"name":"T","revenue":"1000"}"#, 400, "0x80048d19").await;
    assert!(msg.contains("Edm.Decimal"), "{msg}");
}

#[tokio::test]
async fn date_times_are_normalised_to_utc_whole_seconds() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"D","lastonholdtime":"2024-05-01T10:20:30.123+02:00"}"#).await;
    let r = s.get(&format!("accounts({id})?$select=lastonholdtime")).await;
    assert!(r.text.contains(r#""lastonholdtime":"2024-05-01T08:20:30Z""#), "{}", r.text);

    // lastusedincampaign is writable on update only.
    let p = s.patch(&format!("accounts({id})"), &[], r#"{"lastusedincampaign":"2024-05-01T10:20:30.123+02:00"}"#).await;
    assert_eq!(p.status, StatusCode::NO_CONTENT, "body: {}", p.text);
    let r = s.get(&format!("accounts({id})?$select=lastusedincampaign")).await;
    assert!(r.text.contains(r#""lastusedincampaign":"2024-05-01T08:20:30Z""#), "{}", r.text);
}

#[tokio::test]
async fn a_bad_date_time_is_a_payload_error() {
    let s = Server::start().await;
    let msg = rejected(&s, r#"{"name":"T","lastonholdtime":"yesterday"}"#, 400, "0x80048d19").await;
    assert!(msg.contains("Edm.DateTimeOffset"), "{msg}");
}

#[tokio::test]
async fn date_only_columns_are_plain_dates() {
    let s = Server::start().await;
    let id = s.create("contacts", r#"{"lastname":"Born","birthdate":"1990-05-17"}"#).await;
    let r = s.get(&format!("contacts({id})?$select=birthdate")).await;
    assert!(r.text.contains(r#""birthdate":"1990-05-17""#), "{}", r.text);
}

#[tokio::test]
async fn booleans_round_trip_and_reject_strings() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"B","creditonhold":true,"donotemail":false}"#).await;
    let r = s.get(&format!("accounts({id})?$select=creditonhold,donotemail")).await;
    assert!(r.text.contains(r#""creditonhold":true"#) && r.text.contains(r#""donotemail":false"#), "{}", r.text);
    let msg = rejected(&s, r#"{"name":"B","creditonhold":"true"}"#, 400, "0x80048d19").await;
    assert!(msg.contains("Edm.Boolean"), "{msg}");
}

#[tokio::test]
async fn doubles_are_rounded_to_the_column_precision() {
    // The doc example sends 47.639583 to address1_latitude (precision 5) and reads 47.63958.
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"Geo","address1_latitude":47.639583}"#).await;
    let r = s.get(&format!("accounts({id})?$select=address1_latitude")).await;
    assert_eq!(r.json["address1_latitude"].as_f64(), Some(47.63958), "{}", r.text);
}

#[tokio::test]
async fn setting_a_lookup_value_property_directly_is_rejected() {
    let s = Server::start().await;
    let msg = rejected(&s, &format!(r#"{{"name":"L","_primarycontactid_value":"{YVONNE}"}}"#), 400, "0x80048d19").await;
    assert!(!msg.is_empty());
    let r = s.patch(&format!("accounts({CONTOSO})"), &[], &format!(r#"{{"_primarycontactid_value":"{YVONNE}"}}"#)).await;
    r.assert_error(400, "0x80048d19");
    assert_eq!(s.fetch(&format!("accounts({CONTOSO})?$select=_primarycontactid_value")).await["_primarycontactid_value"], SUSANNA);
}

#[tokio::test]
async fn integers_and_big_numbers_round_trip() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"N","numberofemployees":1000000,"address1_longitude":-122.13}"#).await;
    let r = s.get(&format!("accounts({id})?$select=numberofemployees,address1_longitude")).await;
    assert_eq!(r.json["numberofemployees"], 1_000_000);
    assert_eq!(r.json["address1_longitude"].as_f64(), Some(-122.13));
}

#[tokio::test]
async fn money_and_choice_formatted_values() {
    let s = Server::start().await;
    let r = s
        .get_with(&format!("accounts({FABRIKAM})?$select=revenue,industrycode,creditonhold"), &[("Prefer", "odata.include-annotations=\"*\"")])
        .await;
    assert_eq!(r.json["revenue@OData.Community.Display.V1.FormattedValue"], "$1,500,000.00");
    assert_eq!(r.json["industrycode@OData.Community.Display.V1.FormattedValue"], "Consulting");
    assert!(r.json["creditonhold@OData.Community.Display.V1.FormattedValue"].is_string(), "{}", r.text);
    assert!(r.pos("\"revenue@OData.Community.Display.V1.FormattedValue\"") < r.pos("\"revenue\":"));
    assert!(r.pos("\"industrycode@OData.Community.Display.V1.FormattedValue\"") < r.pos("\"industrycode\":"));
}
