//! Update and upsert: `PATCH /{entityset}(key)` with and without conditions (§1.3, §1.4).

use crate::common;

use common::*;
use http::StatusCode;

const NEW_ID: &str = "0badf00d-0000-4000-8000-00000000abcd";

#[tokio::test]
async fn patch_updates_with_204_and_entity_id() {
    let s = Server::start().await;
    let before = s.get(&format!("accounts({FABRIKAM})")).await;
    let r = s.patch(&format!("accounts({FABRIKAM})"), &[], r#"{"name":"Fabrikam Updated","creditonhold":true}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.text, "");
    assert_eq!(r.header("odata-entityid"), Some(format!("{}accounts({FABRIKAM})", s.base).as_str()));
    assert_eq!(r.header("preference-applied"), None);
    let after = s.get(&format!("accounts({FABRIKAM})")).await;
    assert_eq!(after.json["name"], "Fabrikam Updated");
    assert_eq!(after.json["creditonhold"], true);
    // Columns not in the body are untouched.
    assert_eq!(after.json["accountnumber"], "ACC-0001");
    assert_eq!(after.json["address1_city"], "Redmond");
    assert!(after.etag_version() > before.etag_version());
}

#[tokio::test]
async fn patch_on_a_missing_record_creates_it_with_the_url_id() {
    let s = Server::start().await;
    let before = s.count("accounts").await;
    let r = s.patch(&format!("accounts({NEW_ID})"), &[], r#"{"name":"Upserted"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.header("odata-entityid"), Some(format!("{}accounts({NEW_ID})", s.base).as_str()));
    assert_eq!(s.count("accounts").await, before + 1);
    let rec = s.fetch(&format!("accounts({NEW_ID})?$select=name,createdon")).await;
    assert_eq!(rec["accountid"], NEW_ID);
    assert_eq!(rec["name"], "Upserted");
    assert_eq!(rec["createdon"], NOW);
}

#[tokio::test]
async fn if_match_star_on_a_missing_record_is_404_and_creates_nothing() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({NEW_ID})"), &[("If-Match", "*")], r#"{"name":"Nope"}"#).await;
    let msg = r.assert_error(404, "0x80040217");
    assert_eq!(msg, format!("Entity 'account' With Id = {NEW_ID} Does Not Exist"));
    s.get(&format!("accounts({NEW_ID})")).await.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn if_match_star_on_an_existing_record_updates() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({CONTOSO})"), &[("If-Match", "*")], r#"{"name":"Contoso Updated"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.header("odata-entityid"), Some(format!("{}accounts({CONTOSO})", s.base).as_str()));
    assert_eq!(s.fetch(&format!("accounts({CONTOSO})?$select=name")).await["name"], "Contoso Updated");
}

#[tokio::test]
async fn if_match_stale_version_is_412_and_leaves_the_record_unchanged() {
    let s = Server::start().await;
    let path = format!("accounts({FABRIKAM})");
    let old = s.get(&path).await.header("etag").unwrap().to_string();
    assert_eq!(s.patch(&path, &[], r#"{"name":"Second Writer"}"#).await.status, StatusCode::NO_CONTENT);
    let current = s.get(&path).await;

    let r = s.patch(&path, &[("If-Match", &old)], r#"{"name":"Lost Update"}"#).await;
    let msg = r.assert_error(412, "0x80060882");
    assert_eq!(msg, "The version of the existing record doesn't match the RowVersion property provided.");
    let after = s.get(&path).await;
    assert_eq!(after.json["name"], "Second Writer");
    assert_eq!(after.header("etag"), current.header("etag"), "no write happened");
}

#[tokio::test]
async fn if_match_current_version_updates() {
    let s = Server::start().await;
    let path = format!("accounts({FABRIKAM})");
    let etag = s.get(&path).await.header("etag").unwrap().to_string();
    let r = s.patch(&path, &[("If-Match", &etag)], r#"{"telephone1":"555-0199"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    let after = s.get(&path).await;
    assert_eq!(after.json["telephone1"], "555-0199");
    assert!(after.etag_version() > parse_etag(&etag));
}

#[tokio::test]
async fn if_match_version_on_a_missing_record_is_404() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({NEW_ID})"), &[("If-Match", "W/\"1\"")], r#"{"name":"x"}"#).await;
    r.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn if_none_match_star_on_an_existing_record_is_412() {
    let s = Server::start().await;
    let path = format!("accounts({FABRIKAM})");
    let before = s.get(&path).await;
    let r = s.patch(&path, &[("If-None-Match", "*")], r#"{"name":"Should Not Apply"}"#).await;
    let msg = r.assert_error(412, "0x80040237");
    assert_eq!(msg, "A record with matching key values already exists.");
    let after = s.get(&path).await;
    assert_eq!(after.json["name"], "Fabrikam, Inc.");
    assert_eq!(after.header("etag"), before.header("etag"));
}

#[tokio::test]
async fn if_none_match_star_on_a_missing_record_creates() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({NEW_ID})"), &[("If-None-Match", "*")], r#"{"name":"Created Only"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.header("odata-entityid"), Some(format!("{}accounts({NEW_ID})", s.base).as_str()));
    assert_eq!(s.fetch(&format!("accounts({NEW_ID})?$select=name")).await["name"], "Created Only");
}

#[tokio::test]
async fn return_representation_is_200_on_update() {
    let s = Server::start().await;
    let r = s
        .patch(&format!("accounts({FABRIKAM})?$select=name,telephone1"), &[("Prefer", "return=representation")], r#"{"name":"Returned"}"#)
        .await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert_eq!(r.header("preference-applied"), Some("return=representation"));
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#accounts(name,telephone1)/$entity", s.base));
    assert_eq!(r.json["name"], "Returned");
    assert_eq!(r.json["telephone1"], "+1 425 555 0100");
    assert_eq!(r.json["accountid"], FABRIKAM);
    assert_eq!(r.json["@odata.etag"].as_str(), r.header("etag"));
    let fresh = s.get(&format!("accounts({FABRIKAM})")).await;
    assert_eq!(fresh.header("etag"), r.header("etag"), "the representation shows the stored version");
}

#[tokio::test]
async fn return_representation_is_201_on_upsert_create() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({NEW_ID})?$select=name"), &[("Prefer", "return=representation")], r#"{"name":"Made"}"#).await;
    assert_eq!(r.status, StatusCode::CREATED, "body: {}", r.text);
    assert_eq!(r.header("preference-applied"), Some("return=representation"));
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#accounts(name)/$entity", s.base));
    assert_eq!(r.json["accountid"], NEW_ID);
    assert_eq!(r.json["name"], "Made");
    assert_eq!(r.json["@odata.etag"].as_str(), r.header("etag"));
}

#[tokio::test]
async fn versions_increase_across_the_whole_org() {
    let s = Server::start().await;
    let a = s.patch(&format!("accounts({FABRIKAM})"), &[("Prefer", "return=representation")], r#"{"name":"A"}"#).await;
    let b = s.patch(&format!("contacts({YVONNE})"), &[("Prefer", "return=representation")], r#"{"jobtitle":"B"}"#).await;
    let c = s.patch(&format!("accounts({CONTOSO})"), &[("Prefer", "return=representation")], r#"{"name":"C"}"#).await;
    let d = s.post_with("contacts", &[("Prefer", "return=representation")], r#"{"lastname":"D"}"#).await;
    let versions: Vec<u64> = [&a, &b, &c, &d].iter().map(|r| r.etag_version()).collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "versions must strictly increase: {versions:?}");
    // versionnumber carries the same number as the ETag.
    let rec = s.get(&format!("accounts({CONTOSO})?$select=versionnumber")).await;
    assert_eq!(rec.json["versionnumber"].as_u64(), Some(versions[2]));
    assert_eq!(rec.etag_version(), versions[2]);
}

#[tokio::test]
async fn patch_with_an_invalid_body_changes_nothing() {
    let s = Server::start().await;
    let path = format!("accounts({FABRIKAM})");
    let before = s.get(&path).await;
    let r = s.patch(&path, &[], r#"{"name":"Half","numberofemployees":"many"}"#).await;
    r.assert_error(400, "0x80048d19");
    let after = s.get(&path).await;
    assert_eq!(after.json["name"], "Fabrikam, Inc.");
    assert_eq!(after.header("etag"), before.header("etag"));
}

#[tokio::test]
async fn null_clears_a_column() {
    let s = Server::start().await;
    let path = format!("accounts({FABRIKAM})");
    let r = s.patch(&path, &[], r#"{"telephone1":null}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    let rec = s.fetch(&format!("{path}?$select=telephone1")).await;
    assert_eq!(rec["telephone1"], serde_json::Value::Null);
    assert!(rec.as_object().unwrap().contains_key("telephone1"));
}
