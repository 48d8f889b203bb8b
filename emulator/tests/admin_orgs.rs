//! Isolated orgs and the admin API (`/_emulator/…`): health, creating, listing and deleting
//! orgs, routing by path prefix and host name, isolation under parallel writes, reset,
//! snapshots (save, restore, export, import), the state file, and the in-process
//! `Emulator` builder. Everything runs through the embedded emulator on 127.0.0.1:0.

use crate::common;

use std::sync::Arc;

use bytes::Bytes;
use common::{Resp, FABRIKAM, NOW};
use dataverse_emulator::persist::{temp_path, write_atomically, StateFile};
use dataverse_emulator::{Clock, Emulator};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

/// An HTTP client for one emulator; paths are origin-relative (`/org/a/api/data/v9.2/…`).
struct Http {
    origin: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Http {
    fn new(emu: &Emulator) -> Http {
        Http { origin: emu.url().to_string(), client: Client::builder(TokioExecutor::new()).build_http() }
    }

    async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Resp {
        let mut req = Request::builder().method(method).uri(format!("{}{path}", self.origin));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(Full::new(Bytes::from(body.unwrap_or("").to_string()))).unwrap();
        let res = self.client.request(req).await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, text, json }.checked()
    }

    async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, &[], None).await
    }

    async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::POST, path, &[], Some(&body.to_string())).await
    }

    async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, &[], None).await
    }

    /// Creates an org from the default fixture.
    async fn create_org(&self, name: &str) -> Resp {
        let r = self.post("/_emulator/orgs", &json!({ "name": name })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r
    }

    /// Creates an account in the org behind `api` (a Web API root path) and returns its id.
    async fn create_account(&self, api: &str, name: &str) -> String {
        let r = self.post(&format!("{api}accounts"), &json!({ "name": name })).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        r.entity_id()
    }

    /// The names of the accounts of the org behind `api`, sorted.
    async fn account_names(&self, api: &str) -> Vec<String> {
        let r = self.get(&format!("{api}accounts?$select=name&$orderby=name")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json["value"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap_or_default().to_string()).collect()
    }
}

const DEFAULT_API: &str = "/api/data/v9.2/";

fn api(org: &str) -> String {
    format!("/org/{org}/api/data/v9.2/")
}

async fn start() -> (Emulator, Http) {
    let emu = Emulator::builder().clock(Clock::fixed(time::macros::datetime!(2026-11-23 09:30:15 UTC))).start().await;
    let http = Http::new(&emu);
    (emu, http)
}

/// Asserts the admin error shape.
#[track_caller]
fn assert_admin_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(r.json["error"]["code"], code, "{}", r.text);
    assert!(r.json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn health_reports_status_and_version() {
    let (_emu, http) = start().await;
    let r = http.get("/_emulator/health").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(r.json["status"], "Healthy");
    assert_eq!(r.json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(r.json["defaultOrg"], "default");
    assert_eq!(r.json["orgs"], 1);
    assert!(r.json["dataverseVersion"].as_str().unwrap().starts_with("9.2."));
    let r = http.post("/_emulator/health", &json!({})).await;
    assert_admin_error(&r, 405, "MethodNotAllowed");
    assert_eq!(r.header("allow"), Some("GET"));
    assert_admin_error(&http.get("/_emulator/nothing").await, 404, "NotFound");
    assert_admin_error(&http.get("/_emulator").await, 404, "NotFound");
}

#[tokio::test]
async fn orgs_are_created_listed_described_and_deleted() {
    let (emu, http) = start().await;
    let r = http.create_org("Team-A").await;
    let origin = emu.url();
    assert_eq!(r.header("location"), Some(format!("{origin}/_emulator/orgs/team-a").as_str()));
    assert_eq!(r.json["name"], "team-a", "names are host labels: lower case");
    assert_eq!(r.json["default"], false);
    assert_eq!(r.json["fixture"], "default");
    assert_eq!(r.json["url"], format!("{origin}/org/team-a/api/data/v9.2/"));
    let port = emu.address().port();
    assert_eq!(r.json["hostUrl"], format!("http://team-a.localhost:{port}/api/data/v9.2/"));
    assert!(r.json["rows"].as_u64().unwrap() > 10, "the fixture's seed rows");
    assert_eq!(r.json["snapshots"], json!([]));

    let list = http.get("/_emulator/orgs").await;
    assert_eq!(list.status, StatusCode::OK);
    let names: Vec<&str> = list.json["value"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["default", "team-a"]);
    assert_eq!(list.json["value"][0]["default"], true);
    assert_eq!(list.json["fixtures"], json!(["default"]));
    assert_eq!(http.get("/_emulator/orgs/TEAM-A").await.json["name"], "team-a");

    // Mistakes.
    assert_admin_error(&http.post("/_emulator/orgs", &json!({ "name": "team-a" })).await, 409, "Conflict");
    assert_admin_error(&http.post("/_emulator/orgs", &json!({ "name": "no_underscores" })).await, 400, "BadRequest");
    assert_admin_error(&http.post("/_emulator/orgs", &json!({ "from": "default" })).await, 400, "BadRequest");
    assert_admin_error(&http.post("/_emulator/orgs", &json!({ "name": "b", "from": "nothing" })).await, 404, "NotFound");
    assert_admin_error(&http.send(Method::POST, "/_emulator/orgs", &[], Some("{not json")).await, 400, "BadRequest");
    let r = http.send(Method::PUT, "/_emulator/orgs", &[], None).await;
    assert_admin_error(&r, 405, "MethodNotAllowed");
    assert_eq!(r.header("allow"), Some("GET, POST"));
    assert_admin_error(&http.get("/_emulator/orgs/nope").await, 404, "NotFound");
    assert_admin_error(&http.delete("/_emulator/orgs/default").await, 409, "Conflict");

    let r = http.delete("/_emulator/orgs/team-a").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_admin_error(&http.get("/_emulator/orgs/team-a").await, 404, "NotFound");
    assert_admin_error(&http.delete("/_emulator/orgs/team-a").await, 404, "NotFound");
    // A deleted org's prefix is an error, never the default org.
    let r = http.get(&format!("{}accounts", api("team-a"))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json["error"]["code"], "0x80060888");
}

#[tokio::test]
async fn the_path_prefix_picks_the_org_and_stays_in_every_url() {
    let (emu, http) = start().await;
    http.create_org("alpha").await;
    let origin = emu.url();
    let r = http.post(&format!("{}accounts", api("alpha")), &json!({ "name": "Only in alpha" })).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let entity_id = r.header("odata-entityid").unwrap().to_string();
    assert!(entity_id.starts_with(&format!("{origin}/org/alpha/api/data/v9.2/accounts(")), "{entity_id}");
    let id = r.entity_id();

    let got = http.get(&format!("{}accounts({id})?$select=name", api("alpha"))).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json["@odata.context"], format!("{origin}/org/alpha/api/data/v9.2/$metadata#accounts(name)/$entity"));
    assert_eq!(http.get(&format!("{DEFAULT_API}accounts({id})")).await.status, StatusCode::NOT_FOUND);

    // nextLink keeps the prefix.
    let page = http.send(Method::GET, &format!("{}accounts?$select=name", api("alpha")), &[("Prefer", "odata.maxpagesize=1")], None).await;
    let next = page.json["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&format!("{origin}/org/alpha/api/data/v9.2/accounts?")), "{next}");
    let page2 = http.get(next.strip_prefix(origin).unwrap()).await;
    assert_eq!(page2.status, StatusCode::OK, "{}", page2.text);

    // The default org answers under its own name too; unknown names are 404.
    assert_eq!(http.get(&format!("{}accounts({FABRIKAM})?$select=name", api("default"))).await.status, StatusCode::OK);
    let r = http.get(&format!("{}accounts", api("zeta"))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json["error"]["code"], "0x80060888");

    // WhoAmI and a $batch with relative part URLs run in the prefixed org.
    assert_eq!(http.get(&format!("{}WhoAmI", api("alpha"))).await.status, StatusCode::OK);
    let batch = "--b1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET accounts?$select=name&$filter=name%20eq%20'Only%20in%20alpha' HTTP/1.1\r\nAccept: application/json\r\n\r\n--b1--\r\n";
    let r = http.send(Method::POST, &format!("{}$batch", api("alpha")), &[("content-type", "multipart/mixed;boundary=b1")], Some(batch)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("Only in alpha"), "{}", r.text);
    assert!(r.text.contains(&format!("{origin}/org/alpha/api/data/v9.2/$metadata#accounts(name)")), "{}", r.text);
}

#[tokio::test]
async fn the_host_name_picks_the_org() {
    let (emu, http) = start().await;
    http.create_org("beta").await;
    let port = emu.address().port();
    let host = format!("beta.localhost:{port}");
    let r = http.send(Method::POST, &format!("{DEFAULT_API}accounts"), &[("host", &host)], Some(r#"{"name":"Via host"}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert!(r.header("odata-entityid").unwrap().starts_with(&format!("http://{host}/api/data/v9.2/accounts(")));
    assert_eq!(http.account_names(&api("beta")).await.iter().filter(|n| *n == "Via host").count(), 1);
    assert!(!http.account_names(DEFAULT_API).await.contains(&"Via host".to_string()));

    // The Dataverse host form works the same way.
    let r = http.send(Method::GET, &format!("{DEFAULT_API}accounts?$select=name&$filter=name eq 'Via host'").replace(' ', "%20"), &[("host", "beta.crm.dynamics.com")], None).await;
    assert_eq!(r.json["value"].as_array().unwrap().len(), 1, "{}", r.text);
    assert_eq!(r.json["@odata.context"], "http://beta.crm.dynamics.com/api/data/v9.2/$metadata#accounts(name)");
    // A host naming no org falls back to the default org.
    let r = http.send(Method::GET, &format!("{DEFAULT_API}accounts({FABRIKAM})?$select=name"), &[("host", "contoso.crm.dynamics.com")], None).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_tests_on_separate_orgs_never_see_each_others_data() {
    let (_emu, http) = start().await;
    let http = Arc::new(http);
    let seeded = http.account_names(DEFAULT_API).await.len();
    let mut tasks = Vec::new();
    for t in 0..6 {
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("par-{t}");
            http.create_org(&name).await;
            let api = api(&name);
            for i in 0..15 {
                http.create_account(&api, &format!("{name} account {i:02}")).await;
                // Delete a seed record in every org: each org loses it, only its own.
                if i == 0 {
                    assert_eq!(http.delete(&format!("{api}accounts({FABRIKAM})")).await.status, StatusCode::NO_CONTENT);
                }
            }
            let names = http.account_names(&api).await;
            assert_eq!(names.len(), seeded - 1 + 15, "{name}: {names:?}");
            let own = names.iter().filter(|n| n.starts_with(&format!("{name} "))).count();
            assert_eq!(own, 15);
            assert!(names.iter().all(|n| !n.starts_with("par-") || n.starts_with(&format!("{name} "))), "{name} sees another org's rows: {names:?}");
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(http.account_names(DEFAULT_API).await.len(), seeded, "the default org is untouched");
}

#[tokio::test]
async fn reset_puts_an_org_back_to_its_fixture() {
    let (emu, http) = start().await;
    http.create_org("gamma").await;
    let before = http.account_names(&api("gamma")).await;
    http.create_account(&api("gamma"), "Temporary").await;
    assert_eq!(http.delete(&format!("{}accounts({FABRIKAM})", api("gamma"))).await.status, StatusCode::NO_CONTENT);
    let r = http.post("/_emulator/orgs/gamma/reset", &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["name"], "gamma");
    assert_eq!(http.account_names(&api("gamma")).await, before);
    let got = http.get(&format!("{}accounts({FABRIKAM})?$select=createdon", api("gamma"))).await;
    assert_eq!(got.json["createdon"], NOW);

    // The default org resets too, and reset is POST only.
    http.create_account(DEFAULT_API, "Temporary").await;
    assert_eq!(http.post("/_emulator/orgs/default/reset", &json!({})).await.status, StatusCode::OK);
    assert_eq!(http.account_names(DEFAULT_API).await, before);
    assert_admin_error(&http.get("/_emulator/orgs/gamma/reset").await, 405, "MethodNotAllowed");
    assert_admin_error(&http.post("/_emulator/orgs/nope/reset", &json!({})).await, 404, "NotFound");
    drop(emu);
}

/// The documentation's bank-account table, a money column, and a lookup to account.
async fn add_bank_account_table(http: &Http, api: &str) {
    let label = |t: &str| json!({"LocalizedLabels": [{"Label": t, "LanguageCode": 1033}]});
    let table = json!({
        "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata", "SchemaName": "new_BankAccount", "OwnershipType": "UserOwned",
        "DisplayName": label("Bank Account"), "DisplayCollectionName": label("Bank Accounts"), "HasActivities": false, "HasNotes": false,
        "Attributes": [{"@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "SchemaName": "new_AccountName", "IsPrimaryName": true,
            "MaxLength": 100, "DisplayName": label("Account Name"), "RequiredLevel": {"Value": "None"}}]
    });
    let r = http.post(&format!("{api}EntityDefinitions"), &table).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let column = json!({"@odata.type": "Microsoft.Dynamics.CRM.MoneyAttributeMetadata", "SchemaName": "new_Balance", "PrecisionSource": 2, "DisplayName": label("Balance")});
    let r = http.post(&format!("{api}EntityDefinitions(LogicalName='new_bankaccount')/Attributes"), &column).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let relationship = json!({
        "SchemaName": "new_account_new_bankaccount", "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
        "ReferencedAttribute": "accountid", "ReferencedEntity": "account", "ReferencingEntity": "new_bankaccount",
        "Lookup": {"AttributeType": "Lookup", "DisplayName": label("Account"), "RequiredLevel": {"Value": "None"},
                   "SchemaName": "new_ParentAccountId", "@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata"}
    });
    let r = http.post(&format!("{api}RelationshipDefinitions"), &relationship).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

const BANK_QUERY: &str = "new_bankaccounts?$select=new_accountname,new_balance,_new_parentaccountid_value,createdon,versionnumber&$orderby=new_accountname";

#[tokio::test]
async fn snapshots_save_restore_export_and_import_with_their_schema() {
    let (_emu, http) = start().await;
    http.create_org("delta").await;
    let delta = api("delta");
    add_bank_account_table(&http, &delta).await;
    let body = json!({"new_accountname": "Savings", "new_balance": 12.5, "new_ParentAccountId@odata.bind": format!("/accounts({FABRIKAM})")});
    let r = http.post(&format!("{delta}new_bankaccounts"), &body).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // An N:N pair, so associations travel too.
    let r = http.post(&format!("{delta}systemusers(5b3d8c1e-2f4a-4e6b-9c7d-000000000008)/teammembership_association/$ref"), &json!({"@odata.id": format!("{}{delta}teams(5b3d8c1e-2f4a-4e6b-9c7d-000000000009)", http.origin)})).await;
    assert!(r.status.is_success(), "{}", r.text);
    let saved_rows = http.get(&format!("{delta}{BANK_QUERY}")).await.json["value"].clone();
    assert_eq!(saved_rows.as_array().unwrap().len(), 1);
    let saved_members = http.get(&format!("{delta}teams(5b3d8c1e-2f4a-4e6b-9c7d-000000000009)/teammembership_association?$select=fullname")).await.json["value"].clone();

    // Save.
    let r = http.post("/_emulator/orgs/delta/snapshots", &json!({"name": "with-bank"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["name"], "with-bank");
    assert_eq!(r.json["org"], "delta");
    assert_eq!(r.json["takenAt"], NOW);
    assert_eq!(http.post("/_emulator/orgs/delta/snapshots", &json!({"name": "with-bank"})).await.status, StatusCode::OK, "saving again replaces");
    let list = http.get("/_emulator/orgs/delta/snapshots").await;
    assert_eq!(list.json["value"].as_array().unwrap().len(), 1);
    assert_eq!(http.get("/_emulator/orgs/delta").await.json["snapshots"], json!(["with-bank"]));

    // Change things, then restore.
    let r = http.post(&format!("{delta}new_bankaccounts"), &json!({"new_accountname": "Later"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(http.delete(&format!("{delta}accounts({FABRIKAM})")).await.status, StatusCode::NO_CONTENT);
    let r = http.post("/_emulator/orgs/delta/snapshots/with-bank/restore", &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(http.get(&format!("{delta}{BANK_QUERY}")).await.json["value"], saved_rows);
    assert_eq!(http.get(&format!("{delta}accounts({FABRIKAM})?$select=name")).await.status, StatusCode::OK);

    // Reset drops the table (it isn't in the fixture); restore brings it back.
    http.post("/_emulator/orgs/delta/reset", &json!({})).await;
    assert_eq!(http.get(&format!("{delta}new_bankaccounts")).await.status, StatusCode::NOT_FOUND);
    http.post("/_emulator/orgs/delta/snapshots/with-bank/restore", &json!({})).await;
    assert_eq!(http.get(&format!("{delta}{BANK_QUERY}")).await.json["value"], saved_rows);

    // Export: a file with the schema additions, rows and associations.
    let file = http.get("/_emulator/orgs/delta/snapshots/with-bank/export").await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.header("content-disposition"), Some("attachment; filename=\"delta-with-bank.snapshot.json\""));
    assert_eq!(file.json["format"], "dataverse-emulator/snapshot");
    assert_eq!(file.json["formatVersion"], 1);
    assert_eq!(file.json["fixture"], "default");
    let tables: Vec<&str> = file.json["schema"]["tables"].as_array().unwrap().iter().map(|t| t["LogicalName"].as_str().unwrap()).collect();
    assert!(tables.contains(&"new_bankaccount"), "{tables:?}");
    assert!(tables.contains(&"account"), "account gained a relationship: {tables:?}");
    assert!(!tables.contains(&"contact"), "unchanged tables are not exported: {tables:?}");
    let balance = file.json["data"]["tables"]["new_bankaccount"][0]["attributes"]["new_balance"]["Money"].as_str().unwrap();
    assert_eq!(balance.parse::<f64>().unwrap(), 12.5, "typed: money as a decimal string");
    assert!(file.json["data"]["associations"]["teammembership_association"].as_array().is_some_and(|p| !p.is_empty()));

    // Import into a new org, restore, and the data is the same.
    http.create_org("echo").await;
    let r = http.send(Method::POST, "/_emulator/orgs/echo/snapshots/import?name=from-delta", &[], Some(&file.text)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["name"], "from-delta");
    assert_eq!(http.get(&format!("{}new_bankaccounts", api("echo"))).await.status, StatusCode::NOT_FOUND, "import alone changes nothing");
    assert_eq!(http.post("/_emulator/orgs/echo/snapshots/from-delta/restore", &json!({})).await.status, StatusCode::OK);
    assert_eq!(http.get(&format!("{}{BANK_QUERY}", api("echo"))).await.json["value"], saved_rows);
    let members = http.get(&format!("{}teams(5b3d8c1e-2f4a-4e6b-9c7d-000000000009)/teammembership_association?$select=fullname", api("echo"))).await;
    assert_eq!(members.json["value"], saved_members);
    // The schema came along: metadata and writes work on the imported table.
    let e = http.get(&format!("{}EntityDefinitions(LogicalName='new_bankaccount')?$select=EntitySetName,IsCustomEntity", api("echo"))).await;
    assert_eq!(e.json["EntitySetName"], "new_bankaccounts");
    assert_eq!(e.json["IsCustomEntity"], true);
    let r = http.post(&format!("{}new_bankaccounts", api("echo")), &json!({"new_accountname": "New in echo", "new_balance": 1})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // Re-exporting the import gives the same schema and data.
    http.post("/_emulator/orgs/echo/snapshots/from-delta/restore", &json!({})).await;
    http.post("/_emulator/orgs/echo/snapshots", &json!({"name": "again"})).await;
    let again = http.get("/_emulator/orgs/echo/snapshots/again/export").await;
    assert!(again.json["schema"] == file.json["schema"], "the same schema changes");
    assert!(again.json["data"]["tables"] == file.json["data"]["tables"], "the same rows");
    assert!(again.json["data"]["associations"] == file.json["data"]["associations"], "the same N:N pairs");
    // The row version counter never goes back (echo wrote a row after the import).
    assert!(again.json["data"]["rowVersion"].as_u64() > file.json["data"]["rowVersion"].as_u64());

    // An org can start from a snapshot; reset then goes back to that snapshot.
    let r = http.post("/_emulator/orgs", &json!({"name": "foxtrot", "from": "delta/with-bank"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(http.get(&format!("{}{BANK_QUERY}", api("foxtrot"))).await.json["value"], saved_rows);
    http.post(&format!("{}new_bankaccounts", api("foxtrot")), &json!({"new_accountname": "Extra"})).await;
    http.post("/_emulator/orgs/foxtrot/reset", &json!({})).await;
    assert_eq!(http.get(&format!("{}{BANK_QUERY}", api("foxtrot"))).await.json["value"], saved_rows);
    // A bare snapshot name works when only one org has it; two make it ambiguous.
    assert_eq!(http.post("/_emulator/orgs", &json!({"name": "golf", "from": "with-bank"})).await.status, StatusCode::CREATED);
    http.post("/_emulator/orgs/echo/snapshots", &json!({"name": "with-bank"})).await;
    assert_admin_error(&http.post("/_emulator/orgs", &json!({"name": "hotel", "from": "with-bank"})).await, 409, "Conflict");

    // Mistakes.
    assert_admin_error(&http.post("/_emulator/orgs/delta/snapshots", &json!({})).await, 400, "BadRequest");
    assert_admin_error(&http.post("/_emulator/orgs/delta/snapshots", &json!({"name": "a/b"})).await, 400, "BadRequest");
    assert_admin_error(&http.post("/_emulator/orgs/delta/snapshots", &json!({"name": "import"})).await, 400, "BadRequest");
    assert_admin_error(&http.post("/_emulator/orgs/delta/snapshots/nope/restore", &json!({})).await, 404, "NotFound");
    assert_admin_error(&http.get("/_emulator/orgs/delta/snapshots/nope/export").await, 404, "NotFound");
    assert_admin_error(&http.post("/_emulator/orgs/delta/snapshots/import", &json!({"format": "other"})).await, 400, "BadRequest");
    let mut future = file.json.clone();
    future["formatVersion"] = json!(99);
    assert_admin_error(&http.post("/_emulator/orgs/delta/snapshots/import", &future).await, 400, "BadRequest");
    let mut broken = file.json.clone();
    broken["data"]["tables"]["account"][0]["attributes"]["revenue"] = json!({"Money": "lots"});
    let r = http.post("/_emulator/orgs/delta/snapshots/import", &broken).await;
    assert_admin_error(&r, 400, "BadRequest");
    assert!(r.json["error"]["message"].as_str().unwrap().contains("table 'account', row 0: column 'revenue'"), "{}", r.text);
    let mut other_fixture = file.json.clone();
    other_fixture["fixture"] = json!("elsewhere");
    assert_admin_error(&http.post("/_emulator/orgs/delta/snapshots/import", &other_fixture).await, 400, "BadRequest");

    // Delete a snapshot.
    assert_eq!(http.delete("/_emulator/orgs/delta/snapshots/with-bank").await.status, StatusCode::NO_CONTENT);
    assert_admin_error(&http.get("/_emulator/orgs/delta/snapshots/with-bank").await, 404, "NotFound");
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dve-admin-orgs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn the_state_file_keeps_every_org_between_runs() {
    let dir = scratch_dir("roundtrip");
    let path = dir.join("state.json");
    let (first, http) = start().await;
    http.create_account(DEFAULT_API, "Kept in default").await;
    http.create_org("india").await;
    add_bank_account_table(&http, &api("india")).await;
    let r = http.post(&format!("{}new_bankaccounts", api("india")), &json!({"new_accountname": "Kept", "new_balance": 3.25})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    http.post("/_emulator/orgs/india/snapshots", &json!({"name": "s1"})).await;
    http.post(&format!("{}new_bankaccounts", api("india")), &json!({"new_accountname": "After s1"})).await;
    let india_rows = http.get(&format!("{}{BANK_QUERY}", api("india"))).await.json["value"].clone();
    let default_names = http.account_names(DEFAULT_API).await;
    StateFile::new(&path).save(first.app().orgs()).unwrap();
    drop(first);

    let (second, http) = start().await;
    assert_eq!(StateFile::new(&path).load(second.app().orgs()).unwrap(), 2);
    assert_eq!(http.account_names(DEFAULT_API).await, default_names);
    assert_eq!(http.get(&format!("{}{BANK_QUERY}", api("india"))).await.json["value"], india_rows);
    assert_eq!(http.get("/_emulator/orgs/india").await.json["snapshots"], json!(["s1"]));
    http.post("/_emulator/orgs/india/snapshots/s1/restore", &json!({})).await;
    assert_eq!(http.get(&format!("{}{BANK_QUERY}", api("india"))).await.json["value"].as_array().unwrap().len(), 1);
    // Row versions carry on from the saved ones: a new write gets a higher one.
    let max_version = india_rows.as_array().unwrap().iter().map(|r| r["versionnumber"].as_i64().unwrap()).max().unwrap();
    let id = http.create_account(&api("india"), "Newer").await;
    let v = http.get(&format!("{}accounts({id})?$select=versionnumber", api("india"))).await.json["versionnumber"].as_i64().unwrap();
    assert!(v > max_version, "{v} > {max_version}");

    // No file: nothing to load. A file that isn't a state file: an error naming it.
    assert_eq!(StateFile::new(dir.join("missing.json")).load(second.app().orgs()).unwrap(), 0);
    std::fs::write(dir.join("bad.json"), r#"{"format":"something else"}"#).unwrap();
    let e = StateFile::new(dir.join("bad.json")).load(second.app().orgs()).unwrap_err();
    assert!(e.contains("bad.json") && e.contains("format"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A deterministic emulator (seed 42, frozen clock) and its app, for saving its state.
async fn deterministic() -> (common::Server, dataverse_emulator::App) {
    use dataverse_emulator::{App, Config, IdGenerator, Org, Orgs};
    let org = Org::default_org_with(Clock::frozen_at(time::macros::datetime!(2026-01-01 00:00:00 UTC)), IdGenerator::seeded(42)).unwrap();
    let app = App::new(Orgs::single(org), Config { deterministic: true, ..Config::default() });
    (common::Server::start_app(app.clone()).await, app)
}

#[tokio::test]
async fn a_restarted_deterministic_emulator_goes_on_with_its_id_sequence() {
    let dir = scratch_dir("deterministic");
    let path = dir.join("state.json");
    let (first, app) = deterministic().await;
    let saved = first.create("accounts", r#"{"name":"Saved"}"#).await;
    let r = first.post("/_emulator/orgs", r#"{"name":"juliet"}"#).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let saved_juliet = first.create("/org/juliet/api/data/v9.2/accounts", r#"{"name":"Saved"}"#).await;
    StateFile::new(&path).save(app.orgs()).unwrap();
    drop(first);

    // The same seed after a restart: new rows get new ids (without the saved position the
    // first create would draw the first run's first ids again and collide with "Saved"),
    // in every org, and the saved rows are still there.
    let (second, app) = deterministic().await;
    StateFile::new(&path).load(app.orgs()).unwrap();
    let after = second.create("accounts", r#"{"name":"After restart"}"#).await;
    assert_ne!(after, saved);
    let juliet = second.create("/org/juliet/api/data/v9.2/accounts", r#"{"name":"After restart"}"#).await;
    assert_ne!(juliet, saved_juliet);
    assert_eq!(second.get(&format!("accounts({saved})?$select=name")).await.json["name"], "Saved");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_interrupted_save_leaves_the_previous_state_intact() {
    let dir = scratch_dir("interrupted");
    let path = dir.join("state.json");
    let (emu, http) = start().await;
    http.create_account(DEFAULT_API, "Good state").await;
    let file = StateFile::new(&path);
    file.save(emu.app().orgs()).unwrap();
    let good = std::fs::read(&path).unwrap();

    // A save that fails half-way through writing: the file is untouched, the temp file gone.
    http.create_account(DEFAULT_API, "Never saved").await;
    let err = write_atomically(&path, |w| {
        w.write_all(b"{\"format\":\"dataverse-emulator/state\",\"orgs\":[{\"na")?;
        Err(std::io::Error::other("killed mid-write"))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "killed mid-write");
    assert_eq!(std::fs::read(&path).unwrap(), good);
    assert!(!temp_path(&path).exists());

    // A process killed before the rename leaves a partial temp file: loading ignores it.
    std::fs::write(temp_path(&path), b"{\"format\":\"dataverse-emulator/state\",\"orgs\":[{\"na").unwrap();
    let (fresh, fresh_http) = start().await;
    file.load(fresh.app().orgs()).unwrap();
    let names = fresh_http.account_names(DEFAULT_API).await;
    assert!(names.contains(&"Good state".to_string()));
    assert!(!names.contains(&"Never saved".to_string()));
    // The next save replaces the stale temp file and completes.
    file.save(emu.app().orgs()).unwrap();
    assert!(!temp_path(&path).exists());
    let (third, third_http) = start().await;
    file.load(third.app().orgs()).unwrap();
    assert!(third_http.account_names(DEFAULT_API).await.contains(&"Never saved".to_string()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_builder_api_serves_orgs_in_process() {
    let emu = Emulator::builder().tls(false).start().await;
    assert!(emu.url().starts_with("http://127.0.0.1:"));
    assert_eq!(emu.web_api_url(), format!("{}/api/data/v9.2/", emu.url()));
    let http = Http::new(&emu);

    let org = emu.org("kilo");
    assert_eq!(org.name(), "kilo");
    assert_eq!(org.web_api_url(), format!("{}/org/kilo/api/data/v9.2/", emu.url()));
    assert_eq!(emu.org("kilo").org().settings.name, "kilo", "asking again gives the same org");
    let path = org.web_api_url().strip_prefix(emu.url()).unwrap().to_string();
    let before = http.account_names(&path).await;
    org.snapshot("clean");
    http.create_account(&path, "Builder").await;
    assert!(org.restore("clean"));
    assert!(!org.restore("missing"));
    assert_eq!(http.account_names(&path).await, before);
    http.create_account(&path, "Builder").await;
    org.reset();
    assert_eq!(http.account_names(&path).await, before);

    http.create_account(DEFAULT_API, "Default").await;
    emu.reset();
    assert_eq!(http.account_names(DEFAULT_API).await, before);
    assert_eq!(emu.org("default").web_api_url(), emu.web_api_url());
    assert!(emu.delete_org("kilo"));
    assert!(!emu.delete_org("default"));

    // A fixture directory that doesn't load is an error, not a panic.
    let e = Emulator::builder().fixture("/nonexistent/fixture").try_start().await.unwrap_err();
    assert!(e.contains("/nonexistent/fixture"), "{e}");
}
