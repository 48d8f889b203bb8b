//! `$expand`: lookups as nested records, `$ref`, collection expands with their options,
//! nested and many-to-many expands, annotations on expanded records, the refusals, and
//! `$expand` on create/update with `return=representation` (§2.6).

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::{json, Value};

const FV: &str = "@OData.Community.Display.V1.FormattedValue";
const ANNOTATIONS: (&str, &str) = ("Prefer", "odata.include-annotations=\"*\"");
const SINGLE_ONLY: &str =
    "Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship.";

/// The keys of a JSON object, in body order.
#[track_caller]
fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect()
}

#[track_caller]
fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

#[track_caller]
fn assert_etag(v: &Value) {
    assert!(v["@odata.etag"].as_str().is_some_and(|e| e.starts_with("W/\"")), "no @odata.etag: {v}");
}

fn context(s: &Server, projection: &str) -> String {
    format!("{}$metadata#{projection}", s.base)
}

/// A contact `first last`, optionally under an account.
async fn contact(s: &Server, first: &str, last: &str, account: Option<&str>) -> String {
    let bind = account.map(|a| format!(r#","parentcustomerid_account@odata.bind":"/accounts({a})""#)).unwrap_or_default();
    s.create("contacts", &format!(r#"{{"firstname":"{first}","lastname":"{last}"{bind}}}"#)).await
}

async fn account_with_contact(s: &Server, name: &str, contact: &str) -> String {
    s.create("accounts", &format!(r#"{{"name":"{name}","primarycontactid@odata.bind":"/contacts({contact})"}}"#)).await
}

#[tokio::test]
async fn lookup_expand_on_retrieve() {
    let s = Server::start().await;
    let c = contact(&s, "Quinn", "Expand", None).await;
    let a = account_with_contact(&s, "QE-Single", &c).await;
    let r = s.get_ok(&format!("accounts({a})?$select=name&$expand={}", enc("primarycontactid($select=fullname)")), &[]).await;
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name,primarycontactid(fullname))/$entity"));
    assert!(r.header("etag").is_some_and(|e| e.starts_with("W/\"")), "{:?}", r.headers);
    assert_eq!(keys(&r.json), ["@odata.context", "@odata.etag", "name", "accountid", "primarycontactid"]);
    assert_eq!(r.json["name"], "QE-Single");
    assert_eq!(r.json["accountid"], a.as_str());
    let pc = &r.json["primarycontactid"];
    assert_eq!(keys(pc), ["@odata.etag", "fullname", "contactid"]);
    assert_eq!(pc["fullname"], "Quinn Expand");
    assert_eq!(pc["contactid"], c.as_str());
    // The nested etag is the contact's own.
    let own = s.get(&format!("contacts({c})?$select=fullname")).await;
    assert_eq!(pc["@odata.etag"].as_str(), own.header("etag"));

    // An unset lookup expands to an explicit null.
    let bare = s.create("accounts", r#"{"name":"QE-Single-None"}"#).await;
    let r = s.get_ok(&format!("accounts({bare})?$select=name&$expand={}", enc("primarycontactid($select=fullname)")), &[]).await;
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name,primarycontactid(fullname))/$entity"));
    assert!(r.json.as_object().unwrap().contains_key("primarycontactid"), "{}", r.text);
    assert_eq!(r.json["primarycontactid"], Value::Null);
}

#[tokio::test]
async fn lookup_expand_on_retrieve_multiple() {
    let s = Server::start().await;
    let c = contact(&s, "Mia", "Multiple", None).await;
    account_with_contact(&s, "QE-M1", &c).await;
    s.create("accounts", r#"{"name":"QE-M2"}"#).await;
    let q = format!("accounts?$select=name&$filter={}&$orderby=name&$expand={}", enc("startswith(name,'QE-M')"), enc("primarycontactid($select=fullname)"));
    let r = s.get_ok(&q, &[]).await;
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name,primarycontactid(fullname))"));
    assert_eq!(column_of(&r, "name"), ["QE-M1", "QE-M2"]);
    let rows = arr(&r.json["value"]);
    assert_etag(&rows[0]["primarycontactid"]);
    assert_eq!(rows[0]["primarycontactid"]["fullname"], "Mia Multiple");
    assert_eq!(rows[0]["primarycontactid"]["contactid"], c.as_str());
    assert!(rows[1].as_object().unwrap().contains_key("primarycontactid"), "{}", r.text);
    assert_eq!(rows[1]["primarycontactid"], Value::Null);
}

#[tokio::test]
async fn lookup_ref_expand() {
    let s = Server::start().await;
    let c = contact(&s, "Rhea", "Ref", None).await;
    let a = account_with_contact(&s, "QE-R1", &c).await;
    s.create("accounts", r#"{"name":"QE-R2"}"#).await;
    let q = format!("accounts?$select=name&$filter={}&$orderby=name&$expand=primarycontactid/$ref", enc("startswith(name,'QE-R')"));
    let r = s.get_ok(&q, &[]).await;
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name,primarycontactid,primarycontactid/$ref())"));
    let rows = arr(&r.json["value"]);
    assert_eq!(rows.len(), 2, "{}", r.text);
    assert_eq!(rows[0]["primarycontactid"], json!({ "@odata.id": format!("{}contacts({c})", s.base) }));
    assert_eq!(rows[1]["primarycontactid"], Value::Null);

    let r = s.get_ok(&format!("accounts({a})?$select=name&$expand=primarycontactid/$ref"), &[]).await;
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name,primarycontactid,primarycontactid/$ref())/$entity"));
    assert_eq!(r.json["primarycontactid"], json!({ "@odata.id": format!("{}contacts({c})", s.base) }));
}

#[tokio::test]
async fn collection_expand_with_filter_orderby_top() {
    let s = Server::start().await;
    let a = s.create("accounts", r#"{"name":"QE-Coll"}"#).await;
    for last in ["Alpha", "Bravo", "Charlie", "Delta"] {
        contact(&s, "QE", last, Some(&a)).await;
    }
    let expand = "contact_customer_accounts($select=fullname;$filter=lastname ne 'Bravo';$orderby=fullname desc;$top=2)";
    let r = s.get_ok(&format!("accounts({a})?$select=name&$expand={}", enc(expand)), &[]).await;
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name,contact_customer_accounts(fullname))/$entity"));
    let rows = arr(&r.json["contact_customer_accounts"]);
    let names: Vec<&str> = rows.iter().map(|c| c["fullname"].as_str().unwrap()).collect();
    assert_eq!(names, ["QE Delta", "QE Charlie"]);
    for row in rows {
        assert_eq!(keys(row), ["@odata.etag", "fullname", "contactid"]);
        assert_etag(row);
    }
    assert_eq!(r.json["contact_customer_accounts@odata.nextLink"], format!("{}accounts({a})/contact_customer_accounts?$select=fullname", s.base));
    // The link comes right after the array.
    assert!(r.pos("\"contact_customer_accounts\":[") < r.pos("\"contact_customer_accounts@odata.nextLink\""));

    // Without options: every related row, `nav()` in the context, a bare link.
    let r = s.get_ok(&format!("accounts({a})?$select=name&$expand=contact_customer_accounts"), &[]).await;
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name,contact_customer_accounts())/$entity"));
    assert_eq!(arr(&r.json["contact_customer_accounts"]).len(), 4);
    assert_eq!(r.json["contact_customer_accounts@odata.nextLink"], format!("{}accounts({a})/contact_customer_accounts", s.base));

    // A filter nothing matches gives an empty array.
    let r = s.get_ok(&format!("accounts({a})?$select=name&$expand={}", enc("contact_customer_accounts($select=fullname;$filter=lastname eq 'Zulu')")), &[]).await;
    assert_eq!(r.json["contact_customer_accounts"], json!([]));
}

#[tokio::test]
async fn nested_collection_under_collection() {
    let s = Server::start().await;
    let a = s.create("accounts", r#"{"name":"QE-Nested"}"#).await;
    let body = format!(
        r#"{{"subject":"QE nested call","regardingobjectid_account_phonecall@odata.bind":"/accounts({a})","phonecall_activity_parties":[
            {{"partyid_contact@odata.bind":"/contacts({NANCY})","participationtypemask":1}},
            {{"partyid_systemuser@odata.bind":"/systemusers({AGENT})","participationtypemask":2}}]}}"#
    );
    let call = s.create("phonecalls", &body).await;
    let expand = "Account_Phonecalls($select=subject;$expand=phonecall_activity_parties($select=participationtypemask))";
    let r = s.get_ok(&format!("accounts({a})?$select=name&$expand={}", enc(expand)), &[]).await;
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name,Account_Phonecalls(subject,phonecall_activity_parties(participationtypemask)))/$entity"));
    let calls = arr(&r.json["Account_Phonecalls"]);
    assert_eq!(calls.len(), 1, "{}", r.text);
    assert_eq!(calls[0]["subject"], "QE nested call");
    assert_eq!(calls[0]["activityid"], call.as_str());
    assert_etag(&calls[0]);
    let parties = arr(&calls[0]["phonecall_activity_parties"]);
    let mut masks: Vec<i64> = parties.iter().map(|p| p["participationtypemask"].as_i64().unwrap()).collect();
    masks.sort_unstable();
    assert_eq!(masks, [1, 2]);
    for p in parties {
        assert!(p["activitypartyid"].is_string(), "{p}");
        assert_etag(p);
    }
    let link = calls[0]["phonecall_activity_parties@odata.nextLink"].as_str().unwrap_or_else(|| panic!("no nested nextLink: {}", r.text));
    assert!(link.starts_with(&format!("{}phonecalls({call})/phonecall_activity_parties", s.base)), "{link}");
    assert_eq!(r.json["Account_Phonecalls@odata.nextLink"], format!("{}accounts({a})/Account_Phonecalls?$select=subject", s.base));

    // $filter is allowed on the nested collection.
    let filtered = "Account_Phonecalls($select=subject;$expand=phonecall_activity_parties($select=participationtypemask;$filter=participationtypemask eq 2))";
    let r = s.get_ok(&format!("accounts({a})?$select=name&$expand={}", enc(filtered)), &[]).await;
    let parties = arr(&r.json["Account_Phonecalls"][0]["phonecall_activity_parties"]);
    assert_eq!(parties.len(), 1, "{}", r.text);
    assert_eq!(parties[0]["participationtypemask"], 2);

    // The seed phonecall hangs off Fabrikam.
    let r = s.get_ok(&format!("accounts({FABRIKAM})?$select=name&$expand={}", enc(expand)), &[]).await;
    let calls = arr(&r.json["Account_Phonecalls"]);
    assert_eq!(calls.len(), 1, "{}", r.text);
    assert_eq!(calls[0]["activityid"], PHONECALL);
    assert_eq!(arr(&calls[0]["phonecall_activity_parties"]).len(), 2);
}

#[tokio::test]
async fn lookups_nested_under_collections_and_lookups() {
    let s = Server::start().await;
    let a = s.create("accounts", r#"{"name":"QE-Under"}"#).await;
    let c = contact(&s, "Una", "Under", Some(&a)).await;
    let expand = "contact_customer_accounts($select=fullname;$expand=createdby($select=fullname),parentcustomerid_account($select=name))";
    let r = s.get_ok(&format!("accounts({a})?$select=name&$expand={}", enc(expand)), &[]).await;
    assert_eq!(
        r.json["@odata.context"],
        context(&s, "accounts(name,contact_customer_accounts(fullname,createdby(fullname),parentcustomerid_account(name)))/$entity")
    );
    let rows = arr(&r.json["contact_customer_accounts"]);
    assert_eq!(rows.len(), 1, "{}", r.text);
    assert_eq!(rows[0]["contactid"], c.as_str());
    assert_eq!(keys(&rows[0]["createdby"]), ["@odata.etag", "fullname", "systemuserid"]);
    assert_eq!(rows[0]["createdby"]["fullname"], "Emulator Admin");
    assert_eq!(rows[0]["createdby"]["systemuserid"], CALLER);
    assert_eq!(rows[0]["parentcustomerid_account"]["name"], "QE-Under");
    assert_eq!(rows[0]["parentcustomerid_account"]["accountid"], a.as_str());

    // A lookup and a collection under a lookup.
    let a2 = account_with_contact(&s, "QE-Under-2", &c).await;
    let expand = "primarycontactid($select=fullname;$expand=parentcustomerid_account($select=name),account_primary_contact($select=name))";
    let r = s.get_ok(&format!("accounts({a2})?$select=name&$expand={}", enc(expand)), &[]).await;
    assert_eq!(
        r.json["@odata.context"],
        context(&s, "accounts(name,primarycontactid(fullname,parentcustomerid_account(name),account_primary_contact(name)))/$entity")
    );
    let primary_of = arr(&r.json["primarycontactid"]["account_primary_contact"]);
    assert_eq!(primary_of.iter().map(|x| x["accountid"].as_str().unwrap()).collect::<Vec<_>>(), [a2.as_str()]);
    assert_eq!(primary_of[0]["name"], "QE-Under-2");
    assert_eq!(r.json["primarycontactid"]["fullname"], "Una Under");
    assert_eq!(r.json["primarycontactid"]["parentcustomerid_account"]["name"], "QE-Under");
    assert_eq!(r.json["primarycontactid"]["parentcustomerid_account"]["accountid"], a.as_str());
}

#[tokio::test]
async fn many_to_many_expand_both_ways() {
    let s = Server::start().await;
    let a = s.create("accounts", r#"{"name":"QE-NN"}"#).await;
    let mut leads = Vec::new();
    for last in ["Lead1", "Lead2", "Lead3"] {
        leads.push(s.create("leads", &format!(r#"{{"firstname":"QE","lastname":"{last}"}}"#)).await);
    }
    for l in &leads[..2] {
        let body = json!({ "@odata.id": format!("{}leads({l})", s.base) }).to_string();
        let r = s.post(&format!("accounts({a})/accountleads_association/$ref"), &body).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "associate: {}", r.text);
    }
    let r = s.get_ok(&format!("accounts({a})?$select=name&$expand={}", enc("accountleads_association($select=fullname;$orderby=fullname desc)")), &[]).await;
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name,accountleads_association(fullname))/$entity"));
    let rows = arr(&r.json["accountleads_association"]);
    let got: Vec<(&str, &str)> = rows.iter().map(|l| (l["fullname"].as_str().unwrap(), l["leadid"].as_str().unwrap())).collect();
    assert_eq!(got, [("QE Lead2", leads[1].as_str()), ("QE Lead1", leads[0].as_str())]);
    assert_eq!(r.json["accountleads_association@odata.nextLink"], format!("{}accounts({a})/accountleads_association?$select=fullname", s.base));

    let r = s.get_ok(&format!("leads({})?$select=fullname&$expand={}", leads[0], enc("accountleads_association($select=name)")), &[]).await;
    assert_eq!(r.json["@odata.context"], context(&s, "leads(fullname,accountleads_association(name))/$entity"));
    let rows = arr(&r.json["accountleads_association"]);
    assert_eq!(rows.len(), 1, "{}", r.text);
    assert_eq!(rows[0]["name"], "QE-NN");
    assert_eq!(rows[0]["accountid"], a.as_str());
    let r = s.get_ok(&format!("leads({})?$select=fullname&$expand=accountleads_association", leads[2]), &[]).await;
    assert_eq!(r.json["accountleads_association"], json!([]));
}

#[tokio::test]
async fn annotations_on_expanded_records() {
    let s = Server::start().await;
    let a = s.create("accounts", &format!(r#"{{"name":"QE-Ann","revenue":2500,"primarycontactid@odata.bind":"/contacts({YVONNE})"}}"#)).await;
    let c = contact(&s, "Ann", "Notated", Some(&a)).await;
    let expand = "parentcustomerid_account($select=name,revenue,_primarycontactid_value)";
    let r = s.get_ok(&format!("contacts({c})?$select=fullname&$expand={}", enc(expand)), &[ANNOTATIONS]).await;
    let acc = &r.json["parentcustomerid_account"];
    assert_eq!(acc["revenue"].as_f64(), Some(2500.0), "{}", r.text);
    assert_eq!(acc[format!("revenue{FV}")], "$2,500.00", "{}", r.text);
    assert_eq!(acc["_primarycontactid_value"], YVONNE);
    assert_eq!(acc[format!("_primarycontactid_value{FV}")], "Yvonne McKay");
    assert_eq!(acc["_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname"], "contact");
    assert_eq!(acc["_transactioncurrencyid_value"], BASE_CURRENCY);
    assert!(acc[format!("_transactioncurrencyid_value{FV}")].is_string(), "{}", r.text);

    // In a collection expand too.
    let expand = "contact_customer_accounts($select=fullname,_parentcustomerid_value)";
    let r = s.get_ok(&format!("accounts({a})?$select=name&$expand={}", enc(expand)), &[ANNOTATIONS]).await;
    let rows = arr(&r.json["contact_customer_accounts"]);
    assert_eq!(rows.len(), 1, "{}", r.text);
    assert_eq!(rows[0]["_parentcustomerid_value"], a.as_str());
    assert_eq!(rows[0][format!("_parentcustomerid_value{FV}")], "QE-Ann");
    assert_eq!(rows[0]["_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"], "account");
    assert_eq!(rows[0]["_parentcustomerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"], "parentcustomerid_account");

    // Without the preference there are none.
    let r = s.get_ok(&format!("contacts({c})?$select=fullname&$expand={}", enc("parentcustomerid_account($select=revenue)")), &[]).await;
    assert!(!r.text.contains("FormattedValue"), "{}", r.text);
}

/// GETs `accounts?$expand=<expand>` and returns the error message after asserting 400 0x80060888.
async fn refused(s: &Server, expand: &str) -> String {
    let r = s.get(&format!("accounts?$select=name&$expand={}", enc(expand))).await;
    r.assert_error(400, "0x80060888").to_string()
}

#[tokio::test]
async fn top_and_orderby_only_on_top_level_collections() {
    let s = Server::start().await;
    for expand in [
        "primarycontactid($select=fullname;$top=1)",
        "primarycontactid($orderby=fullname)",
        "Account_Phonecalls($select=subject;$expand=phonecall_activity_parties($top=1))",
        "Account_Phonecalls($expand=phonecall_activity_parties($orderby=participationtypemask))",
        "contact_customer_accounts($expand=parentcustomerid_account($top=1))",
        "primarycontactid($expand=account_primary_contact($top=1))",
        "primarycontactid($expand=account_primary_contact($orderby=name))",
    ] {
        assert_eq!(refused(&s, expand).await, SINGLE_ONLY, "{expand}");
    }
    // $top/$orderby on a top-level collection and $filter on a lookup are fine.
    s.get_ok(&format!("accounts?$select=name&$expand={}", enc("contact_customer_accounts($orderby=fullname;$top=1)")), &[]).await;
    s.get_ok(&format!("accounts?$select=name&$expand={}", enc("primarycontactid($select=fullname;$filter=fullname ne null)")), &[]).await;
}

#[tokio::test]
async fn ref_unknown_property_and_unknown_column_refusals() {
    let s = Server::start().await;
    assert_eq!(refused(&s, "contact_customer_accounts/$ref").await, "Expand with $ref is only supported on lookup type navigation property.");
    assert_eq!(refused(&s, "x").await, "Could not find a property named 'x' on type 'Microsoft.Dynamics.CRM.account'.");
    assert_eq!(
        refused(&s, "primarycontactid($select=nope)").await,
        "Could not find a property named 'nope' on type 'Microsoft.Dynamics.CRM.contact'."
    );
    assert_eq!(
        refused(&s, "contact_customer_accounts($select=fullname,nope)").await,
        "Could not find a property named 'nope' on type 'Microsoft.Dynamics.CRM.contact'."
    );
    // Same refusal on a single retrieve.
    let r = s.get(&format!("accounts({FABRIKAM})?$expand=x")).await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Could not find a property named 'x' on type 'Microsoft.Dynamics.CRM.account'.");
}

#[tokio::test]
async fn skip_and_count_inside_expand_are_refused() {
    let s = Server::start().await;
    for expand in ["contact_customer_accounts($skip=1)", "contact_customer_accounts($count=true)", "primarycontactid($select=fullname;$skip=1)"] {
        let r = s.get(&format!("accounts?$select=name&$expand={}", enc(expand))).await;
        r.assert_error(400, "0x80060888");
    }
}

#[tokio::test]
async fn at_most_fifteen_navigation_properties() {
    let s = Server::start().await;
    let navs = [
        "masterid", "originatingleadid", "parentaccountid", "primarycontactid", "owningbusinessunit", "createdby",
        "createdonbehalfby", "modifiedby", "modifiedonbehalfby", "ownerid", "preferredsystemuserid", "owningteam",
        "transactioncurrencyid", "owninguser", "contact_customer_accounts", "Account_Tasks",
    ];
    let r = s.get_ok(&format!("accounts({FABRIKAM})?$select=name&$expand={}", navs[..15].join(",")), &[]).await;
    assert_eq!(r.json["primarycontactid"]["contactid"], YVONNE);
    assert_eq!(r.json["createdby"]["systemuserid"], CALLER);
    let r = s.get(&format!("accounts({FABRIKAM})?$select=name&$expand={}", navs.join(","))).await;
    r.assert_error(400, "0x80060888");
    // Nested expands count too.
    let nested = format!("contact_customer_accounts($expand={})", navs[..14].join(","));
    let r = s.get(&format!("accounts?$select=name&$expand={}", enc(&format!("primarycontactid,{nested}")))).await;
    r.assert_error(400, "0x80060888");
}

#[tokio::test]
async fn expand_on_create_and_update_with_representation() {
    let s = Server::start().await;
    let c = contact(&s, "Cora", "Create", None).await;
    let prefer = [("Prefer", "return=representation")];
    let body = format!(r#"{{"name":"QE-Create","primarycontactid@odata.bind":"/contacts({c})"}}"#);
    let r = s.post_with(&format!("accounts?$select=name&$expand={}", enc("primarycontactid($select=fullname)")), &prefer, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.header("preference-applied"), Some("return=representation"));
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name,primarycontactid(fullname))/$entity"));
    assert_eq!(keys(&r.json), ["@odata.context", "@odata.etag", "name", "accountid", "primarycontactid"]);
    assert_eq!(r.json["primarycontactid"]["fullname"], "Cora Create");
    assert_eq!(r.json["primarycontactid"]["contactid"], c.as_str());
    let id = r.json["accountid"].as_str().unwrap().to_string();

    // Update ignores $expand (documented): no expanded property, none in the context.
    let r = s.patch(&format!("accounts({id})?$select=name&$expand={}", enc("primarycontactid($select=fullname)")), &prefer, r#"{"name":"QE-Updated"}"#).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name)/$entity"));
    assert_eq!(r.json["name"], "QE-Updated");
    assert_eq!(keys(&r.json), ["@odata.context", "@odata.etag", "name", "accountid"]);
}

#[tokio::test]
async fn paging_keeps_the_expand() {
    let s = Server::start().await;
    let c = contact(&s, "Pam", "Paging", None).await;
    for name in ["QE-P1", "QE-P2", "QE-P3"] {
        account_with_contact(&s, name, &c).await;
    }
    let q = format!("accounts?$select=name&$filter={}&$orderby=name&$expand={}", enc("startswith(name,'QE-P')"), enc("primarycontactid($select=fullname)"));
    let r = s.get_ok(&q, &[("Prefer", "odata.maxpagesize=2")]).await;
    assert_eq!(column_of(&r, "name"), ["QE-P1", "QE-P2"]);
    let next = r.json["@odata.nextLink"].as_str().unwrap_or_else(|| panic!("no nextLink: {}", r.text)).to_string();
    let next = next.strip_prefix(&s.base).unwrap_or_else(|| panic!("not absolute: {next}"));
    let r = s.get_ok(next, &[("Prefer", "odata.maxpagesize=2")]).await;
    assert_eq!(r.json["@odata.context"], context(&s, "accounts(name,primarycontactid(fullname))"));
    assert_eq!(column_of(&r, "name"), ["QE-P3"]);
    assert_eq!(r.json["value"][0]["primarycontactid"]["fullname"], "Pam Paging");
    assert_eq!(r.json.get("@odata.nextLink"), None, "{}", r.text);
}
