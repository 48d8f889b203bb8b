//! Schema import, the recording proxy and replay, all offline: a second in-process
//! emulator stands in for the live org.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use conformance_runner::http::Client;
use conformance_runner::target::Target;
use dataverse_emulator::replay::play::{replay, SCENARIO_FILE, SEED_FILE};
use dataverse_emulator::replay::proxy::Recorder;
use dataverse_emulator::replay::schema_import::{fetch_live, import, tables_in, write_tables};
use dataverse_emulator::{Clock, Emulator, Org};
use http::Method;
use serde_json::{json, Value};

fn label(text: &str) -> Value {
    json!({ "LocalizedLabels": [{ "Label": text, "LanguageCode": 1033 }], "UserLocalizedLabel": { "Label": text, "LanguageCode": 1033 } })
}

fn managed<T: serde::Serialize>(v: T) -> Value {
    json!({ "Value": v, "CanBeChanged": true, "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings" })
}

/// A hand-made `EntityDefinitions?$expand=Attributes,…` answer in the service's shape (the
/// wrapped labels and managed properties the Web API returns), for a custom table with a
/// lookup to account, a choice, a multi-select choice and a column type the emulator lacks.
fn service_export() -> Value {
    json!({
        "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#EntityDefinitions(Attributes(),Keys())",
        "value": [
            {
                "MetadataId": "8e4b1c1e-0000-4000-8000-000000000001",
                "LogicalName": "new_widget", "SchemaName": "new_Widget", "EntitySetName": "new_widgets",
                "LogicalCollectionName": "new_widgets", "CollectionSchemaName": "new_Widgets",
                "PrimaryIdAttribute": "new_widgetid", "PrimaryNameAttribute": "new_name",
                "ObjectTypeCode": 10042, "OwnershipType": "UserOwned", "IsActivity": false, "IsCustomEntity": true,
                "DisplayName": label("Widget"), "DisplayCollectionName": label("Widgets"), "Description": label("Things we make"),
                "IsCustomizable": managed(true),
                "Attributes": [
                    { "@odata.type": "#Microsoft.Dynamics.CRM.UniqueIdentifierAttributeMetadata", "LogicalName": "new_widgetid", "SchemaName": "new_WidgetId",
                      "AttributeType": "Uniqueidentifier", "AttributeTypeName": { "Value": "UniqueidentifierType" }, "DisplayName": label("Widget"),
                      "RequiredLevel": managed("SystemRequired"), "IsValidForCreate": true, "IsValidForUpdate": false, "IsValidForRead": true },
                    { "@odata.type": "#Microsoft.Dynamics.CRM.StringAttributeMetadata", "LogicalName": "new_name", "SchemaName": "new_Name",
                      "AttributeType": "String", "AttributeTypeName": { "Value": "StringType" }, "DisplayName": label("Name"), "MaxLength": 100,
                      "FormatName": { "Value": "Text" }, "RequiredLevel": managed("ApplicationRequired"), "IsValidForCreate": true, "IsValidForUpdate": true, "IsValidForRead": true },
                    { "LogicalName": "new_size", "SchemaName": "new_Size", "AttributeType": "Picklist", "AttributeTypeName": { "Value": "PicklistType" },
                      "DisplayName": label("Size"), "RequiredLevel": managed("None"), "IsValidForCreate": true, "IsValidForUpdate": true, "IsValidForRead": true,
                      "OptionSet": { "Name": "new_widget_new_size", "Options": [
                          { "Value": 100000000, "Label": label("Small") }, { "Value": 100000001, "Label": label("Large") } ] } },
                    { "LogicalName": "new_colours", "SchemaName": "new_Colours", "AttributeType": "Virtual", "AttributeTypeName": { "Value": "MultiSelectPicklistType" },
                      "DisplayName": label("Colours"), "RequiredLevel": managed("None"), "IsValidForCreate": true, "IsValidForUpdate": true, "IsValidForRead": true,
                      "OptionSet": { "Options": [ { "Value": 1, "Label": label("Red") }, { "Value": 2, "Label": label("Blue") } ] } },
                    { "LogicalName": "new_accountid", "SchemaName": "new_AccountId", "AttributeType": "Lookup", "AttributeTypeName": { "Value": "LookupType" },
                      "DisplayName": label("Account"), "RequiredLevel": managed("None"), "Targets": ["account"], "IsValidForCreate": true, "IsValidForUpdate": true, "IsValidForRead": true },
                    { "LogicalName": "new_schedule", "SchemaName": "new_Schedule", "AttributeType": "CalendarRules", "AttributeTypeName": { "Value": "CalendarRulesType" },
                      "DisplayName": label("Schedule"), "RequiredLevel": managed("None") }
                ],
                "Keys": [ { "LogicalName": "new_widget_name", "SchemaName": "new_widget_name", "DisplayName": label("Name key"), "KeyAttributes": ["new_name"] } ],
                "ManyToOneRelationships": [ {
                    "SchemaName": "new_account_new_widget", "ReferencedEntity": "account", "ReferencedAttribute": "accountid",
                    "ReferencingEntity": "new_widget", "ReferencingAttribute": "new_accountid",
                    "ReferencedEntityNavigationPropertyName": "new_account_new_widget", "ReferencingEntityNavigationPropertyName": "new_AccountId",
                    "IsCustomizable": managed(true), "IsCustomRelationship": true, "IsHierarchical": false,
                    "CascadeConfiguration": { "Assign": "NoCascade", "Delete": "RemoveLink", "Merge": "NoCascade", "Reparent": "NoCascade", "Share": "NoCascade", "Unshare": "NoCascade", "Archive": "NoCascade" } } ],
                "OneToManyRelationships": [], "ManyToManyRelationships": []
            },
            {
                "LogicalName": "new_gadget", "SchemaName": "new_Gadget", "EntitySetName": "new_gadgets", "PrimaryIdAttribute": "new_gadgetid",
                "PrimaryNameAttribute": "new_name", "OwnershipType": "OrganizationOwned", "DisplayName": label("Gadget"),
                "Attributes": [
                    { "LogicalName": "new_gadgetid", "SchemaName": "new_GadgetId", "AttributeType": "Uniqueidentifier", "RequiredLevel": managed("SystemRequired") },
                    { "LogicalName": "new_name", "SchemaName": "new_Name", "AttributeType": "String", "MaxLength": 50, "RequiredLevel": managed("None") }
                ]
            }
        ]
    })
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dve-replay-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn attribute<'a>(table: &'a Value, name: &str) -> &'a Value {
    table["Attributes"].as_array().unwrap().iter().find(|a| a["LogicalName"] == name).unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn import_schema_flattens_the_service_shape_into_fixture_tables() {
    let imported = import(tables_in(service_export()), None);
    assert_eq!(imported.tables.keys().collect::<Vec<_>>(), ["new_gadget", "new_widget"]);
    let widget = &imported.tables["new_widget"];
    assert_eq!(widget["DisplayName"], "Widget");
    assert_eq!(widget["Description"], "Things we make");
    assert_eq!(widget["EntitySetName"], "new_widgets");
    let name = attribute(widget, "new_name");
    assert_eq!(name["RequiredLevel"], "ApplicationRequired");
    assert_eq!(name["MaxLength"], 100);
    assert_eq!(name["DisplayName"], "Name");
    let size = attribute(widget, "new_size");
    assert_eq!(size["OptionSet"]["Options"], json!([{ "Value": 100000000, "Label": "Small" }, { "Value": 100000001, "Label": "Large" }]));
    assert_eq!(attribute(widget, "new_colours")["AttributeType"], "MultiSelectPicklist");
    assert_eq!(attribute(widget, "new_accountid")["Targets"], json!(["account"]));
    assert_eq!(widget["Keys"][0]["KeyAttributes"], json!(["new_name"]));
    assert_eq!(widget["ManyToOneRelationships"][0]["CascadeConfiguration"]["Delete"], "RemoveLink");
    assert!(!widget["Attributes"].as_array().unwrap().iter().any(|a| a["LogicalName"] == "new_schedule"));
    assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
    assert!(imported.warnings[0].contains("new_widget.new_schedule") && imported.warnings[0].contains("CalendarRules"));
}

#[tokio::test]
async fn an_imported_table_serves_in_an_org_built_from_the_fixture() {
    let dir = temp_dir("serve");
    write_tables(&dir, &import(tables_in(service_export()), Some(&["new_widget".to_string()]))).unwrap();
    let mut files: Vec<(String, String)> = fixtures::DEFAULT_ORG.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
    for entry in std::fs::read_dir(dir.join("tables")).unwrap() {
        let path = entry.unwrap().path();
        files.push((format!("tables/{}", path.file_name().unwrap().to_string_lossy()), std::fs::read_to_string(&path).unwrap()));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let org = Org::from_files(&refs, Clock::system()).map_err(|e| e.message().to_string()).unwrap();
    let widget = org.metadata().entity("new_widget").cloned().expect("the imported table");
    assert_eq!(widget.entity_set_name, "new_widgets");
    assert!(widget.attribute("new_colours").is_some());
    assert!(org.metadata().entity("new_gadget").is_none(), "not asked for and not referenced");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_table_filter_keeps_what_lookups_reference() {
    let mut export = tables_in(service_export());
    export.push(json!({ "LogicalName": "account", "SchemaName": "Account", "EntitySetName": "accounts", "PrimaryIdAttribute": "accountid", "PrimaryNameAttribute": "name",
        "Attributes": [ { "LogicalName": "accountid", "SchemaName": "AccountId", "AttributeType": "Uniqueidentifier" }, { "LogicalName": "name", "SchemaName": "Name", "AttributeType": "String" } ] }));
    let imported = import(export, Some(&["new_widget".to_string()]));
    assert_eq!(imported.tables.keys().collect::<Vec<_>>(), ["account", "new_widget"]);
}

#[tokio::test]
async fn import_from_a_live_org_round_trips_the_emulators_own_schema() {
    let live = Emulator::builder().start().await;
    let target = Target::new("org", live.url(), Client::new(None).unwrap(), None).unwrap();
    let imported = import(fetch_live(&target, Some(&["account".to_string()])).await.unwrap(), None);
    let account = &imported.tables["account"];
    let fixture: Value = serde_json::from_str(fixtures::DEFAULT_ORG.iter().find(|(p, _)| *p == "tables/account.json").unwrap().1).unwrap();
    let names = |t: &Value| {
        let mut n: Vec<String> = t["Attributes"].as_array().unwrap().iter().map(|a| a["LogicalName"].as_str().unwrap().to_string()).collect();
        n.sort();
        n
    };
    assert_eq!(names(account), names(&fixture));
    assert_eq!(attribute(account, "accountcategorycode")["OptionSet"]["Options"], attribute(&fixture, "accountcategorycode")["OptionSet"]["Options"]);
    assert_eq!(attribute(account, "name")["RequiredLevel"], attribute(&fixture, "name")["RequiredLevel"]);
    assert_eq!(account["PrimaryNameAttribute"], "name");
}

/// What an integration does through the proxy: reads seeded accounts, updates one,
/// creates a contact.
async fn integration(client: &Client, api: &str) -> Vec<u16> {
    let json_headers = vec![("Content-Type".to_string(), "application/json".to_string()), ("Authorization".to_string(), "Bearer secret-client-token".to_string())];
    let mut statuses = Vec::new();
    let list = client.send(Method::GET, &format!("{api}accounts?$select=name,revenue,accountnumber&$orderby=accountnumber&$top=3"), &json_headers, Bytes::new()).await.unwrap();
    statuses.push(list.status.as_u16());
    let body: Value = serde_json::from_slice(&list.body).unwrap();
    assert!(body["@odata.context"].as_str().unwrap().starts_with(api), "the proxy points links at itself: {body}");
    let id = body["value"][0]["accountid"].as_str().unwrap().to_string();
    let one = client.send(Method::GET, &format!("{api}accounts({id})?$select=name,telephone1"), &json_headers, Bytes::new()).await.unwrap();
    statuses.push(one.status.as_u16());
    let patch = client.send(Method::PATCH, &format!("{api}accounts({id})"), &json_headers, Bytes::from(r#"{"telephone1":"+1 425 555 0199"}"#)).await.unwrap();
    statuses.push(patch.status.as_u16());
    let mut prefer = json_headers.clone();
    prefer.push(("Prefer".to_string(), "return=representation".to_string()));
    let create = client.send(Method::POST, &format!("{api}contacts?$select=firstname,lastname"), &prefer, Bytes::from(r#"{"firstname":"Ada","lastname":"Lovelace"}"#)).await.unwrap();
    statuses.push(create.status.as_u16());
    let missing = client.send(Method::GET, &format!("{api}accounts(00000000-0000-0000-0000-00000000abcd)"), &json_headers, Bytes::new()).await.unwrap();
    statuses.push(missing.status.as_u16());
    statuses
}

async fn record_session(dir: &Path) {
    let live = Emulator::builder().start().await;
    let target = Target::new("org", live.url(), Client::new(None).unwrap(), None).unwrap();
    let recorder = Recorder::start(target, dir, 0).await.unwrap();
    let statuses = integration(&Client::new(None).unwrap(), &format!("{}/api/data/v9.2/", recorder.url())).await;
    assert_eq!(statuses, [200, 200, 204, 201, 404]);
    assert_eq!(recorder.count(), 5);
}

#[tokio::test]
async fn a_recording_through_the_proxy_is_a_scenario_plus_seed_state() {
    let dir = temp_dir("record");
    record_session(&dir).await;
    let scenario: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(SCENARIO_FILE)).unwrap()).unwrap();
    let steps = scenario["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 5);
    assert_eq!(steps[0]["request"]["path"], "accounts?$select=name,revenue,accountnumber&$orderby=accountnumber&$top=3");
    assert_eq!(steps[0]["expect"]["status"], 200);
    assert_eq!(steps[0]["expect"]["json"]["value"][0]["name"], "Fabrikam, Inc.");
    assert_eq!(steps[2]["request"]["json"], json!({ "telephone1": "+1 425 555 0199" }));
    assert_eq!(steps[3]["request"]["headers"]["prefer"], "return=representation");
    assert_eq!(steps[3]["expect"]["json"]["contactid"], json!({ "$match": "guid", "$capture": "created1" }), "a created id is captured for later steps");
    assert_eq!(steps[4]["expect"]["status"], 404);
    assert_eq!(steps[1]["recorded"]["query_shape"], "GET accounts({id})?$select=name,telephone1", "each exchange notes its normalised query shape");
    assert_eq!(steps[0]["recorded"]["query_shape"], "GET accounts?$orderby=accountnumber&$select=name,revenue,accountnumber&$top={number}");
    assert!(steps.iter().all(|s| s["recorded"]["elapsed_ms"].as_f64().is_some_and(|ms| ms > 0.0)), "and its timing");
    let text = std::fs::read_to_string(dir.join(SCENARIO_FILE)).unwrap();
    assert!(!text.contains("secret-client-token") && !text.to_ascii_lowercase().contains("authorization"), "credentials are never recorded");
    let seed: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(SEED_FILE)).unwrap()).unwrap();
    assert_eq!(seed["sets"]["accounts"].as_array().unwrap().len(), 4, "three listed and one read: {seed}");
    assert!(seed["sets"].get("contacts").is_none(), "what the integration wrote is replayed, not seeded: {seed}");
    assert!(seed["sets"]["accounts"][0].get("@odata.etag").is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn replaying_a_recording_reproduces_it_and_reports_an_injected_difference() {
    let dir = temp_dir("replay");
    record_session(&dir).await;
    let (result, notes) = replay(&dir, None).await.unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert!(result.failures.is_empty(), "a faithful replay differs nowhere: {:#?}", result.failures);
    assert!(dir.join("fixture/org.json").exists());

    // The seed says the first account is called something else: replay reports it.
    let seed_path = dir.join(SEED_FILE);
    let mut seed: Value = serde_json::from_str(&std::fs::read_to_string(&seed_path).unwrap()).unwrap();
    for account in seed["sets"]["accounts"].as_array_mut().unwrap() {
        if account["name"] == "Fabrikam, Inc." {
            account["name"] = json!("Fabrikam (renamed)");
        }
    }
    std::fs::write(&seed_path, seed.to_string()).unwrap();
    let (result, _) = replay(&dir, None).await.unwrap();
    assert!(!result.failures.is_empty());
    assert!(result.failures.iter().any(|f| f.contains("Fabrikam")), "{:#?}", result.failures);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_unreachable_target_is_a_502_not_a_crash() {
    let dir = temp_dir("unreachable");
    let port = { std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port() };
    let target = Target::new("org", &format!("http://127.0.0.1:{port}"), Client::new(None).unwrap(), None).unwrap();
    let recorder = Recorder::start(target, &dir, 0).await.unwrap();
    let resp = Client::new(None).unwrap().send(Method::GET, &format!("{}/api/data/v9.2/accounts", recorder.url()), &[], Bytes::new()).await.unwrap();
    assert_eq!(resp.status.as_u16(), 502);
    assert_eq!(recorder.count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A create, then reads and writes of the created record: the replayed emulator gives the
/// record another id, so later requests use the id captured from the create's response.
#[tokio::test]
async fn an_id_created_during_the_recording_is_captured_and_substituted_on_replay() {
    let dir = temp_dir("captures");
    let live = Emulator::builder().start().await;
    let target = Target::new("org", live.url(), Client::new(None).unwrap(), None).unwrap();
    let recorder = Recorder::start(target, &dir, 0).await.unwrap();
    let api = format!("{}/api/data/v9.2/", recorder.url());
    let client = Client::new(None).unwrap();
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let created = client.send(Method::POST, &format!("{api}contacts"), &headers, Bytes::from(r#"{"firstname":"Grace","lastname":"Hopper"}"#)).await.unwrap();
    assert_eq!(created.status.as_u16(), 204);
    let entity_id = created.headers.get("odata-entityid").unwrap().to_str().unwrap().to_string();
    let id = &entity_id[entity_id.len() - 37..entity_id.len() - 1];
    let read = client.send(Method::GET, &format!("{api}contacts({id})?$select=fullname"), &headers, Bytes::new()).await.unwrap();
    assert_eq!(read.status.as_u16(), 200);
    let bind = format!(r#"{{"subject":"Call Grace","regardingobjectid_contact_task@odata.bind":"/contacts({})"}}"#, id.to_ascii_uppercase());
    let task = client.send(Method::POST, &format!("{api}tasks"), &headers, Bytes::from(bind)).await.unwrap();
    assert_eq!(task.status.as_u16(), 204);
    let deleted = client.send(Method::DELETE, &format!("{api}contacts({id})"), &headers, Bytes::new()).await.unwrap();
    assert_eq!(deleted.status.as_u16(), 204);
    drop(recorder);

    let scenario: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(SCENARIO_FILE)).unwrap()).unwrap();
    let steps = scenario["steps"].as_array().unwrap();
    assert_eq!(steps[0]["expect"]["headers"]["OData-EntityId"]["$capture"], "created1");
    assert_eq!(steps[1]["request"]["path"], "contacts(${created1})?$select=fullname");
    assert_eq!(steps[2]["request"]["json"]["regardingobjectid_contact_task@odata.bind"], "/contacts(${created1})", "ids in bodies too, whatever their case");
    assert_eq!(steps[3]["request"]["path"], "contacts(${created1})");
    assert!(!std::fs::read_to_string(dir.join(SEED_FILE)).unwrap().contains(id), "the created contact is not seed state");

    let (result, _) = replay(&dir, None).await.unwrap();
    assert!(result.failures.is_empty(), "{:#?}", result.failures);
    assert_eq!(result.steps[1].status, Some(200), "the read found the record the replay created");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Records that existed before the recording, read with their lookups: the seed binds
/// the lookup (`_x_value` → `nav@odata.bind`), so the replayed read returns it too.
#[tokio::test]
async fn lookups_in_read_records_become_binds_in_the_seed() {
    let dir = temp_dir("lookups");
    let live = Emulator::builder().start().await;
    let client = Client::new(None).unwrap();
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let direct = format!("{}/api/data/v9.2/", live.url().trim_end_matches('/').trim_end_matches("/api/data/v9.2"));
    let account = client.send(Method::POST, &format!("{direct}accounts"), &headers, Bytes::from(r#"{"name":"Lookup Co"}"#)).await.unwrap();
    let account_url = account.headers.get("odata-entityid").unwrap().to_str().unwrap().to_string();
    let account_id = account_url[account_url.len() - 37..account_url.len() - 1].to_string();
    let contact = format!(r#"{{"firstname":"Lou","lastname":"Lookupson","parentcustomerid_account@odata.bind":"/accounts({account_id})"}}"#);
    assert_eq!(client.send(Method::POST, &format!("{direct}contacts"), &headers, Bytes::from(contact)).await.unwrap().status.as_u16(), 204);

    let target = Target::new("org", live.url(), Client::new(None).unwrap(), None).unwrap();
    let recorder = Recorder::start(target, &dir, 0).await.unwrap();
    let api = format!("{}/api/data/v9.2/", recorder.url());
    let mut annotated = headers.clone();
    annotated.push(("Prefer".to_string(), "odata.include-annotations=\"*\"".to_string()));
    let list = client.send(Method::GET, &format!("{api}contacts?$select=firstname,lastname,_parentcustomerid_value&$filter=lastname%20eq%20'Lookupson'"), &annotated, Bytes::new()).await.unwrap();
    assert_eq!(list.status.as_u16(), 200);
    let one = client.send(Method::GET, &format!("{api}accounts({account_id})?$select=name"), &headers, Bytes::new()).await.unwrap();
    assert_eq!(one.status.as_u16(), 200);
    drop(recorder);

    let seed = std::fs::read_to_string(dir.join(SEED_FILE)).unwrap();
    assert!(seed.contains("_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"), "the lookup's table is kept: {seed}");
    let (result, notes) = replay(&dir, None).await.unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert!(result.failures.is_empty(), "{:#?}", result.failures);
    let replayed = result.steps[0].json.as_ref().unwrap();
    assert_eq!(replayed["value"][0]["_parentcustomerid_value"], account_id.as_str(), "the replayed emulator holds the lookup");
    let contacts: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("fixture/data/seed-contacts.json")).unwrap()).unwrap();
    assert_eq!(contacts["records"][0]["parentcustomerid_account@odata.bind"], format!("/accounts({account_id})"));
    let org: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("fixture/org.json")).unwrap()).unwrap();
    let data: Vec<&str> = org["data"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    let pos = |f: &str| data.iter().position(|d| *d == f).unwrap_or_else(|| panic!("{f} not in {data:?}"));
    assert!(pos("seed-accounts.json") < pos("seed-contacts.json"), "a table's seed after the tables it points at: {data:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A lookup whose record is not in the fixture is left out, with a note, not a broken fixture.
#[tokio::test]
async fn a_lookup_to_a_record_outside_the_fixture_is_left_out_with_a_note() {
    let dir = temp_dir("lookup-missing");
    let seed = json!({ "sets": { "contacts": [ {
        "contactid": "c1000000-0000-4000-8000-000000000001", "lastname": "Orphan",
        "_parentcustomerid_value": "a9999999-0000-4000-8000-000000000009",
        "_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account"
    } ] } });
    std::fs::write(dir.join(SEED_FILE), seed.to_string()).unwrap();
    std::fs::write(dir.join(SCENARIO_FILE), json!({ "name": "orphan", "steps": [ {
        "request": { "method": "GET", "path": "contacts(c1000000-0000-4000-8000-000000000001)?$select=lastname" },
        "expect": { "status": 200, "json": { "lastname": "Orphan" } } } ] }).to_string()).unwrap();
    let (result, notes) = replay(&dir, None).await.unwrap();
    assert!(result.failures.is_empty(), "{:#?}", result.failures);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("contact.parentcustomerid: 1 lookup value(s) left out"), "{notes:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Secrets never reach the files; a personal-data rule pseudonymises a column everywhere
/// (responses, seed, request bodies and `$filter` literals), consistently, so the
/// redacted recording still replays.
#[tokio::test]
async fn redaction_hides_secrets_always_and_personal_columns_by_rule_and_still_replays() {
    use dataverse_emulator::replay::redact::Redactor;
    let dir = temp_dir("redact");
    let live = Emulator::builder().start().await;
    let target = Target::new("org", live.url(), Client::new(None).unwrap(), None).unwrap();
    let rules = Redactor::rules_from_file("# personal data\ncontact.emailaddress1\n\n*.telephone1  # phones everywhere\n");
    let recorder = Recorder::start_with(target, &dir, 0, Redactor::new(&rules).unwrap()).await.unwrap();
    let api = format!("{}/api/data/v9.2/", recorder.url());
    let client = Client::new(None).unwrap();
    let headers = vec![("Content-Type".to_string(), "application/json".to_string()), ("Authorization".to_string(), "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl".to_string())];
    let email = "yvonne@fabrikam.example";
    let list = client.send(Method::GET, &format!("{api}contacts?$select=firstname,emailaddress1,telephone1&$filter=emailaddress1%20eq%20'yvonne%40fabrikam.example'"), &headers, Bytes::new()).await.unwrap();
    assert_eq!(list.status.as_u16(), 200);
    assert!(String::from_utf8_lossy(&list.body).contains(email), "the client still sees the real data");
    let accounts = client.send(Method::GET, &format!("{api}accounts?$select=name,emailaddress1,telephone1&$top=2&$orderby=accountnumber"), &headers, Bytes::new()).await.unwrap();
    assert_eq!(accounts.status.as_u16(), 200);
    let account = client.send(Method::POST, &format!("{api}accounts"), &headers, Bytes::from(r#"{"name":"Open Co","emailaddress1":"hello@open.example"}"#)).await.unwrap();
    assert_eq!(account.status.as_u16(), 204);
    let create = client.send(Method::POST, &format!("{api}contacts"), &headers, Bytes::from(r#"{"lastname":"Secretive","emailaddress1":"secret@example.org","description":"password=hunter2&x=1"}"#)).await.unwrap();
    assert_eq!(create.status.as_u16(), 204);
    drop(recorder);

    let scenario = std::fs::read_to_string(dir.join(SCENARIO_FILE)).unwrap();
    let seed = std::fs::read_to_string(dir.join(SEED_FILE)).unwrap();
    for text in [&scenario, &seed] {
        if let Some(at) = text.find("fabrikam.example").or_else(|| text.find("yvonne%40")) { panic!("a redacted column's value is left: {}", &text[at.saturating_sub(300)..(at + 100).min(text.len())]); }
        assert!(!text.contains("secret@example.org") && !text.contains("hunter2") && !text.contains("eyJ"), "{text}");
        assert!(!text.contains("+1 425 555 01"), "telephone1 is redacted in every table: {text}");
    }
    let s: Value = serde_json::from_str(&scenario).unwrap();
    let pseudonym = s["steps"][0]["expect"]["json"]["value"][0]["emailaddress1"].as_str().unwrap().to_string();
    assert!(pseudonym.starts_with("redacted-"), "{pseudonym}");
    assert!(s["steps"][0]["request"]["path"].as_str().unwrap().contains(&format!("'{pseudonym}'")), "the $filter literal has the same pseudonym: {}", s["steps"][0]["request"]["path"]);
    assert_eq!(s["steps"][2]["request"]["json"]["emailaddress1"], "hello@open.example", "account e-mails are not under the contact rule");
    assert!(s["steps"][3]["request"]["json"]["emailaddress1"].as_str().unwrap().starts_with("redacted-"));
    assert_eq!(s["steps"][3]["request"]["json"]["description"], "password=[redacted]&x=1");
    let seeded: Value = serde_json::from_str(&seed).unwrap();
    assert_eq!(seeded["sets"]["accounts"][0]["name"], "Fabrikam, Inc.", "columns without a rule are kept");

    let (result, _) = replay(&dir, None).await.unwrap();
    assert!(result.failures.is_empty(), "the redacted recording replays: {:#?}", result.failures);
    assert!(Redactor::new(&["emailaddress1".to_string()]).is_err(), "a rule names its table");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `fixture-from-recording`: reads become the fixture's seed records, writes become a
/// scenario of expected exchanges, which passes against an emulator serving the fixture.
/// The base may be a directory of imported tables only (what `import-schema` writes).
#[tokio::test]
async fn a_recording_becomes_a_fixture_plus_expected_writes() {
    use dataverse_emulator::replay::play::{fixture_from_recording, WRITES_FILE};
    let dir = temp_dir("fixture");
    record_session(&dir).await;
    let imported = dir.join("imported");
    write_tables(&imported, &import(tables_in(service_export()), Some(&["new_widget".to_string()]))).unwrap();
    let out = dir.join("out");
    let (fixture, writes, notes) = fixture_from_recording(&dir, Some(&imported), Some(&out)).unwrap();
    assert_eq!(fixture, out);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(writes, 2, "the PATCH and the POST");
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(out.join(WRITES_FILE)).unwrap()).unwrap();
    let methods: Vec<&str> = expected["steps"].as_array().unwrap().iter().map(|s| s["request"]["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["PATCH", "POST"]);
    assert!(out.join("tables/new_widget.json").exists(), "the imported schema is part of the fixture");

    let emu = Emulator::builder().fixture(out.clone()).try_start().await.unwrap();
    let target = Target::new("emulator", &emu.web_api_url(), Client::new(None).unwrap(), None).unwrap();
    let scenario = conformance_runner::scenario::load_file(&out.join(WRITES_FILE)).unwrap();
    let result = conformance_runner::run::run_scenario(&target, &scenario, &conformance_runner::run::RunOptions::new(true)).await;
    assert!(result.failures.is_empty(), "{:#?}", result.failures);
    let widgets = Client::new(None).unwrap().send(Method::GET, &format!("{}new_widgets", emu.web_api_url()), &[], Bytes::new()).await.unwrap();
    assert_eq!(widgets.status.as_u16(), 200, "the fixture serves the imported table");

    let bad = dir.join("not-a-fixture");
    std::fs::create_dir_all(&bad).unwrap();
    assert!(fixture_from_recording(&dir, Some(&bad), Some(&dir.join("out2"))).unwrap_err().contains("neither a fixture"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Records read through `$expand` (single-valued, and a collection nested in it) are
/// seeded in their own tables, linked to the record they were expanded from.
#[tokio::test]
async fn expanded_records_are_seeded_in_their_tables() {
    let dir = temp_dir("expand");
    let live = Emulator::builder().start().await;
    let client = Client::new(None).unwrap();
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let direct = live.web_api_url();
    let id_of = |resp: &conformance_runner::http::Response| {
        let url = resp.headers.get("odata-entityid").unwrap().to_str().unwrap().to_string();
        url[url.len() - 37..url.len() - 1].to_string()
    };
    let account = client.send(Method::POST, &format!("{direct}accounts"), &headers, Bytes::from(r#"{"name":"Expand Co"}"#)).await.unwrap();
    let account_id = id_of(&account);
    let contact = format!(r#"{{"firstname":"Ex","lastname":"Pander","parentcustomerid_account@odata.bind":"/accounts({account_id})"}}"#);
    let contact_id = id_of(&client.send(Method::POST, &format!("{direct}contacts"), &headers, Bytes::from(contact)).await.unwrap());
    let task = format!(r#"{{"subject":"Follow up","regardingobjectid_account_task@odata.bind":"/accounts({account_id})"}}"#);
    assert_eq!(client.send(Method::POST, &format!("{direct}tasks"), &headers, Bytes::from(task)).await.unwrap().status.as_u16(), 204);

    let target = Target::new("org", live.url(), Client::new(None).unwrap(), None).unwrap();
    let recorder = Recorder::start(target, &dir, 0).await.unwrap();
    let url = format!("{}/api/data/v9.2/contacts({contact_id})?$select=firstname,lastname&$expand=parentcustomerid_account($select=name;$expand=Account_Tasks($select=subject))", recorder.url());
    let read = client.send(Method::GET, &url, &headers, Bytes::new()).await.unwrap();
    assert_eq!(read.status.as_u16(), 200, "{}", read.text());
    let body: Value = serde_json::from_slice(&read.body).unwrap();
    assert_eq!(body["parentcustomerid_account"]["Account_Tasks"][0]["subject"], "Follow up", "{body}");
    drop(recorder);

    let seed: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(SEED_FILE)).unwrap()).unwrap();
    assert_eq!(seed["expanded"].as_array().unwrap().len(), 2, "{seed}");
    assert!(seed["sets"]["contacts"][0].get("parentcustomerid_account").is_none(), "the expansion is not a column of the parent");
    let (result, notes) = replay(&dir, None).await.unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert!(result.failures.is_empty(), "the replayed emulator holds the expanded records and their links: {:#?}", result.failures);
    let _ = std::fs::remove_dir_all(&dir);
}
