//! `import-schema` from a `$metadata` CSDL document: a hand-made document in the service's
//! shape, the emulator's own `$metadata` round-tripped, and a CSDL combined with an
//! EntityDefinitions dump.

use dataverse_emulator::replay::csdl_import::read_csdl;
use dataverse_emulator::replay::schema_import::{import, import_with_csdl, tables_in};
use dataverse_emulator::{Clock, Org};
use serde_json::{json, Value};

/// The documented CSDL shape (reference §6.6) for two custom tables, an activity deriving
/// from `activitypointer`, a polymorphic customer lookup, an enum-typed choice, an
/// alternate key and an N:N relationship.
const CSDL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="crmbaseentity" Abstract="true" />
      <EntityType Name="account" BaseType="mscrm.crmbaseentity">
        <Key><PropertyRef Name="accountid" /></Key>
        <Property Name="accountid" Type="Edm.Guid" />
        <Property Name="name" Type="Edm.String" Unicode="false" MaxLength="160" />
        <NavigationProperty Name="new_account_new_widget" Type="Collection(mscrm.new_widget)" Partner="new_customerid_account" />
      </EntityType>
      <EntityType Name="contact" BaseType="mscrm.crmbaseentity">
        <Key><PropertyRef Name="contactid" /></Key>
        <Property Name="contactid" Type="Edm.Guid" />
        <Property Name="fullname" Type="Edm.String" Unicode="false" />
      </EntityType>
      <EntityType Name="new_widget" BaseType="mscrm.crmbaseentity">
        <Key><PropertyRef Name="new_widgetid" /></Key>
        <Property Name="new_widgetid" Type="Edm.Guid" />
        <Property Name="new_name" Type="Edm.String" Unicode="false" MaxLength="100" />
        <Property Name="new_notes" Type="Edm.String" Unicode="false" MaxLength="100000" />
        <Property Name="new_price" Type="Edm.Decimal" Scale="4" />
        <Property Name="new_count" Type="Edm.Int32" />
        <Property Name="new_big" Type="Edm.Int64" />
        <Property Name="new_ratio" Type="Edm.Double" />
        <Property Name="new_active" Type="Edm.Boolean" />
        <Property Name="new_due" Type="Edm.Date" />
        <Property Name="createdon" Type="Edm.DateTimeOffset" />
        <Property Name="new_size" Type="mscrm.new_widget_size" />
        <Property Name="new_blob" Type="Edm.Binary" />
        <Property Name="_new_customerid_value" Type="Edm.Guid" />
        <NavigationProperty Name="new_customerid_account" Type="mscrm.account" Partner="new_account_new_widget">
          <ReferentialConstraint Property="_new_customerid_value" ReferencedProperty="accountid" />
        </NavigationProperty>
        <NavigationProperty Name="new_customerid_contact" Type="mscrm.contact" Partner="new_contact_new_widget">
          <ReferentialConstraint Property="_new_customerid_value" ReferencedProperty="contactid" />
        </NavigationProperty>
        <NavigationProperty Name="new_widget_contact" Type="Collection(mscrm.contact)" Partner="new_widget_contact" />
        <Annotation Term="OData.Community.Keys.V1.AlternateKeys">
          <Collection><Record Type="OData.Community.Keys.V1.AlternateKey"><PropertyValue Property="Key"><Collection>
            <Record Type="OData.Community.Keys.V1.PropertyRef">
              <PropertyValue Property="Alias" String="new_name" /><PropertyValue Property="Name" PropertyPath="new_name" />
            </Record>
          </Collection></PropertyValue></Record></Collection>
        </Annotation>
      </EntityType>
      <EntityType Name="activitypointer" BaseType="mscrm.crmbaseentity">
        <Key><PropertyRef Name="activityid" /></Key>
        <Property Name="activityid" Type="Edm.Guid" />
        <Property Name="subject" Type="Edm.String" Unicode="false" MaxLength="400" />
      </EntityType>
      <EntityType Name="task" BaseType="mscrm.activitypointer">
        <Property Name="percentcomplete" Type="Edm.Int32" />
      </EntityType>
      <EnumType Name="new_widget_size">
        <Member Name="Small" Value="100000000" />
        <Member Name="Large" Value="100000001" />
      </EnumType>
      <EntityContainer Name="System">
        <EntitySet Name="accounts" EntityType="Microsoft.Dynamics.CRM.account" />
        <EntitySet Name="contacts" EntityType="Microsoft.Dynamics.CRM.contact" />
        <EntitySet Name="new_widgets" EntityType="Microsoft.Dynamics.CRM.new_widget" />
        <EntitySet Name="activitypointers" EntityType="Microsoft.Dynamics.CRM.activitypointer" />
        <EntitySet Name="tasks" EntityType="Microsoft.Dynamics.CRM.task" />
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>"#;

fn column<'a>(table: &'a Value, name: &str) -> &'a Value {
    table["Attributes"].as_array().unwrap().iter().find(|a| a["LogicalName"] == name).unwrap_or_else(|| panic!("no column {name} in {}", table["LogicalName"]))
}

fn has_column(table: &Value, name: &str) -> bool {
    table["Attributes"].as_array().unwrap().iter().any(|a| a["LogicalName"] == name)
}

#[test]
fn csdl_entity_types_become_fixture_tables() {
    let mut calls = Vec::new();
    let csdl = read_csdl(CSDL.as_bytes(), |bytes, types| calls.push((bytes, types))).unwrap();
    assert_eq!(calls.last().unwrap(), &(CSDL.len() as u64, 6), "the last progress call is the whole document");
    let imported = import_with_csdl(Some(csdl), Vec::new(), None);
    assert_eq!(imported.tables.keys().collect::<Vec<_>>(), ["account", "activitypointer", "contact", "new_widget", "task"]);
    let w = &imported.tables["new_widget"];
    assert_eq!(w["EntitySetName"], "new_widgets");
    assert_eq!(w["PrimaryIdAttribute"], "new_widgetid");
    assert_eq!(w["PrimaryNameAttribute"], "new_name");
    assert_eq!(column(w, "new_name")["AttributeType"], "String");
    assert_eq!(column(w, "new_name")["MaxLength"], 100);
    assert_eq!(column(w, "new_notes")["AttributeType"], "Memo");
    assert_eq!(column(w, "new_price")["AttributeType"], "Decimal");
    assert_eq!(column(w, "new_price")["Precision"], 4);
    assert_eq!(column(w, "new_count")["AttributeType"], "Integer");
    assert_eq!(column(w, "new_big")["AttributeType"], "BigInt");
    assert_eq!(column(w, "new_ratio")["AttributeType"], "Double");
    assert_eq!(column(w, "new_active")["AttributeType"], "Boolean");
    assert_eq!(column(w, "new_due")["AttributeType"], "DateTime");
    assert_eq!(column(w, "new_due")["DateTimeBehavior"], "DateOnly");
    assert_eq!(column(w, "new_size")["AttributeType"], "Picklist");
    assert_eq!(column(w, "new_size")["OptionSet"]["Options"][1]["Value"], 100000001);
    assert_eq!(column(w, "new_size")["OptionSet"]["Options"][1]["Label"], "Large");
    let customer = column(w, "new_customerid");
    assert_eq!(customer["AttributeType"], "Customer");
    assert_eq!(customer["Targets"], json!(["account", "contact"]));
    assert!(!has_column(w, "new_blob"), "Edm.Binary is not a column the CSDL can type");
    assert!(imported.warnings.iter().any(|x| x.contains("new_widget.new_blob")), "{:?}", imported.warnings);
    assert_eq!(w["Keys"][0]["KeyAttributes"], json!(["new_name"]));
    let m2o = w["ManyToOneRelationships"].as_array().unwrap();
    assert_eq!(m2o.len(), 2);
    assert_eq!(m2o[0]["SchemaName"], "new_account_new_widget");
    assert_eq!(m2o[0]["ReferencedEntity"], "account");
    assert_eq!(m2o[0]["ReferencingAttribute"], "new_customerid");
    assert_eq!(m2o[0]["ReferencingEntityNavigationPropertyName"], "new_customerid_account");
    let o2m = imported.tables["account"]["OneToManyRelationships"].as_array().unwrap();
    assert_eq!(o2m[0]["ReferencedEntityNavigationPropertyName"], "new_account_new_widget");
    assert_eq!(w["ManyToManyRelationships"][0]["Entity2LogicalName"], "contact");
    let task = &imported.tables["task"];
    assert_eq!(task["PrimaryIdAttribute"], "activityid", "a derived type inherits its base's key");
    assert!(has_column(task, "subject") && has_column(task, "percentcomplete"));
    assert_eq!(task["IsActivity"], true);
}

#[test]
fn the_table_filter_applies_to_csdl_tables() {
    let csdl = read_csdl(CSDL.as_bytes(), |_, _| {}).unwrap();
    let imported = import_with_csdl(Some(csdl), Vec::new(), Some(&["new_widget".to_string()]));
    assert_eq!(imported.tables.keys().collect::<Vec<_>>(), ["account", "contact", "new_widget"]);
}

#[test]
fn a_dump_wins_over_the_csdl_for_what_the_csdl_cannot_say() {
    let csdl = read_csdl(CSDL.as_bytes(), |_, _| {}).unwrap();
    let dump = json!({ "value": [{
        "LogicalName": "new_widget", "SchemaName": "new_Widget", "EntitySetName": "new_widgets", "PrimaryIdAttribute": "new_widgetid",
        "PrimaryNameAttribute": "new_name", "DisplayName": { "UserLocalizedLabel": { "Label": "Widget" } },
        "Attributes": [
            { "LogicalName": "new_count", "SchemaName": "new_Count", "AttributeType": "Picklist", "RequiredLevel": { "Value": "ApplicationRequired", "CanBeChanged": true },
              "OptionSet": { "Options": [ { "Value": 1, "Label": { "UserLocalizedLabel": { "Label": "One" } } } ] } }
        ]
    }]});
    let imported = import_with_csdl(Some(csdl), tables_in(dump), None);
    let w = &imported.tables["new_widget"];
    assert_eq!(w["SchemaName"], "new_Widget");
    assert_eq!(w["DisplayName"], "Widget");
    let count = column(w, "new_count");
    assert_eq!(count["AttributeType"], "Picklist", "the dump knows this Edm.Int32 is a choice");
    assert_eq!(count["RequiredLevel"], "ApplicationRequired");
    assert_eq!(count["OptionSet"]["Options"][0]["Label"], "One");
    assert_eq!(column(w, "new_name")["MaxLength"], 100, "columns only the CSDL lists are kept");
    assert_eq!(w["ManyToOneRelationships"].as_array().unwrap().len(), 2, "the dump's empty list does not erase the CSDL's");
}

#[test]
fn a_document_that_is_not_csdl_is_an_error() {
    assert!(read_csdl(&b"{\"value\": []}"[..], |_, _| {}).unwrap_err().contains("not a CSDL document"));
    assert!(read_csdl(&b"<edmx:Edmx><Schema><EntityType Name=\"a\"></Schema>"[..], |_, _| {}).is_err());
}

/// The emulator's own `$metadata` imported back: every table keeps its entity set,
/// primary id, OData properties and lookup targets, and the result loads as an org.
#[test]
fn the_emulators_own_metadata_round_trips() {
    let org = Org::default_org(Clock::system()).unwrap();
    let metadata = org.metadata();
    let doc = metadata.csdl();
    let imported = import_with_csdl(Some(read_csdl(&doc[..], |_, _| {}).unwrap()), Vec::new(), None);
    let expected = import(
        fixtures::DEFAULT_ORG.iter().filter(|(p, _)| p.starts_with("tables/")).map(|(_, t)| serde_json::from_str(t).unwrap()).collect(),
        None,
    );
    assert_eq!(imported.tables.keys().collect::<Vec<_>>(), expected.tables.keys().collect::<Vec<_>>());
    for (name, table) in &expected.tables {
        let got = &imported.tables[name];
        assert_eq!(got["EntitySetName"], table["EntitySetName"], "{name}");
        assert_eq!(got["PrimaryIdAttribute"], table["PrimaryIdAttribute"], "{name}");
        let entity = metadata.entity(name).unwrap();
        // Image columns are `Edm.Binary`, which the CSDL cannot tell from other binary data.
        for a in entity.attributes.iter().filter(|a| a.is_odata_property() && a.kind.edm_type() != "Edm.Binary") {
            let col = column(got, &a.logical_name);
            if a.kind.is_lookup() && a.logical_name != "ownerid" {
                // The CSDL names a lookup's targets through its navigation properties.
                let mut want: Vec<String> = entity
                    .many_to_one
                    .iter()
                    .filter(|r| r.referencing_attribute == a.logical_name && r.referencing_nav.is_some() && metadata.entity(&r.referenced_entity).is_some())
                    .map(|r| r.referenced_entity.clone())
                    .collect();
                let mut have: Vec<String> = col.get("Targets").and_then(Value::as_array).into_iter().flatten().map(|t| t.as_str().unwrap().to_string()).collect();
                have.sort();
                want.sort();
                want.dedup();
                assert_eq!(have, want, "{name}.{}", a.logical_name);
            }
        }
    }
    // What was imported is a schema the fixture loader takes.
    let mut files: Vec<(String, String)> = fixtures::DEFAULT_ORG.iter().filter(|(p, _)| !p.starts_with("tables/")).map(|(p, t)| (p.to_string(), t.to_string())).collect();
    files.extend(imported.tables.iter().map(|(n, t)| (format!("tables/{n}.json"), t.to_string())));
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let rebuilt = Org::from_files(&refs, Clock::system()).map_err(|e| e.message().to_string());
    assert!(rebuilt.is_ok(), "{:?}", rebuilt.err());
}

/// Live import reads `$metadata` and the EntityDefinitions: the CSDL brings the tables the
/// named one references, the definitions bring its labels and choices.
#[tokio::test]
async fn live_import_combines_the_orgs_metadata_with_its_definitions() {
    use conformance_runner::http::Client;
    use conformance_runner::target::Target;
    use dataverse_emulator::replay::schema_import::{fetch_live, fetch_live_csdl};
    let live = dataverse_emulator::Emulator::builder().start().await;
    let target = Target::new("org", live.url(), Client::new(None).unwrap(), None).unwrap();
    let keep = ["contact".to_string()];
    let csdl = fetch_live_csdl(&target).await.unwrap();
    let definitions = fetch_live(&target, Some(&keep)).await.unwrap();
    let imported = import_with_csdl(Some(csdl), definitions, Some(&keep));
    assert!(imported.tables.contains_key("account"), "contact.parentcustomerid targets account");
    let contact = &imported.tables["contact"];
    assert_eq!(contact["DisplayName"], "Contact", "labels come from the definitions");
    assert_eq!(column(contact, "statuscode")["AttributeType"], "Status");
    assert_eq!(imported.tables["account"]["PrimaryNameAttribute"], "name");
}

/// The CLI tells a CSDL file from JSON by its content, shows progress on stderr, and
/// refuses two CSDL documents.
#[test]
fn the_cli_imports_a_csdl_file_with_a_progress_line() {
    let dir = std::env::temp_dir().join(format!("dve-csdl-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("metadata.xml");
    std::fs::write(&file, CSDL).unwrap();
    let exe = env!("CARGO_BIN_EXE_dataverse-emulator");
    let out = std::process::Command::new(exe).arg("import-schema").arg(&file).args(["--tables", "new_widget", "--out"]).arg(dir.join("out")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("100% (6 entity types)"), "{stderr}");
    assert!(stderr.contains("warning: column new_widget.new_blob"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 3 table(s)"));
    assert!(dir.join("out/tables/new_widget.json").exists() && dir.join("out/tables/contact.json").exists());
    let twice = std::process::Command::new(exe).arg("import-schema").arg(&file).arg(&file).arg("--out").arg(dir.join("out2")).output().unwrap();
    assert_eq!(twice.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("only one $metadata document"));
    let _ = std::fs::remove_dir_all(&dir);
}
