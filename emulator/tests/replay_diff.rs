//! `diff-schema`: differences between two schemas, in the library and through the CLI.

use std::path::PathBuf;
use std::process::Command;

use dataverse_emulator::replay::schema_diff::{diff, load_schema, Difference};
use dataverse_emulator::{Clock, Org};
use serde_json::{json, Value};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dve-diff-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn widget(size_options: Value, name_length: u32, extra: Option<Value>) -> Value {
    let mut attributes = vec![
        json!({ "LogicalName": "new_widgetid", "SchemaName": "new_WidgetId", "AttributeType": "Uniqueidentifier" }),
        json!({ "LogicalName": "new_name", "SchemaName": "new_Name", "AttributeType": "String", "MaxLength": name_length }),
        json!({ "LogicalName": "new_size", "SchemaName": "new_Size", "AttributeType": "Picklist", "OptionSet": { "Options": size_options } }),
    ];
    attributes.extend(extra);
    json!({ "LogicalName": "new_widget", "SchemaName": "new_Widget", "EntitySetName": "new_widgets", "PrimaryIdAttribute": "new_widgetid",
            "PrimaryNameAttribute": "new_name", "Attributes": attributes })
}

fn gadget() -> Value {
    json!({ "LogicalName": "new_gadget", "SchemaName": "new_Gadget", "EntitySetName": "new_gadgets", "PrimaryIdAttribute": "new_gadgetid",
            "Attributes": [ { "LogicalName": "new_gadgetid", "SchemaName": "new_GadgetId", "AttributeType": "Uniqueidentifier" } ] })
}

/// Before: widget (name 100, sizes Small/Large) and gadget. After: no gadget, name 200,
/// Small relabelled, Large gone, Medium added, a new column.
fn write_pair() -> (PathBuf, PathBuf, PathBuf) {
    let dir = temp_dir("pair");
    let before = dir.join("before.json");
    let after = dir.join("after.json");
    let small_large = json!([{ "Value": 1, "Label": "Small" }, { "Value": 2, "Label": "Large" }]);
    std::fs::write(&before, json!({ "value": [widget(small_large, 100, None), gadget()] }).to_string()).unwrap();
    let tiny_medium = json!([{ "Value": 1, "Label": "Tiny" }, { "Value": 3, "Label": "Medium" }]);
    let colour = json!({ "LogicalName": "new_colour", "SchemaName": "new_Colour", "AttributeType": "String", "MaxLength": 20 });
    std::fs::write(&after, json!([widget(tiny_medium, 200, Some(colour))]).to_string()).unwrap();
    (dir, before, after)
}

#[test]
fn tables_columns_and_options_that_differ_are_listed() {
    let (dir, before, after) = write_pair();
    let differences = diff(&load_schema(&before).unwrap(), &load_schema(&after).unwrap());
    let t = |s: &str| s.to_string();
    assert_eq!(
        differences,
        [
            Difference::TableRemoved(t("new_gadget")),
            Difference::ColumnAdded(t("new_widget"), t("new_colour"), t("String")),
            Difference::ColumnChanged(t("new_widget"), t("new_name"), t("MaxLength"), t("100"), t("200")),
            Difference::OptionRelabelled(t("new_widget.new_size"), 1, t("Small"), t("Tiny")),
            Difference::OptionRemoved(t("new_widget.new_size"), 2, t("Large")),
            Difference::OptionAdded(t("new_widget.new_size"), 3, t("Medium")),
        ]
    );
    assert!(diff(&load_schema(&after).unwrap(), &load_schema(&after).unwrap()).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_fixture_directory_and_its_own_csdl_agree_on_tables_and_columns() {
    let dir = temp_dir("csdl");
    let csdl = dir.join("metadata.xml");
    std::fs::write(&csdl, Org::default_org(Clock::system()).unwrap().metadata().csdl()).unwrap();
    let fixture = dir.join("fixture");
    for (path, text) in fixtures::DEFAULT_ORG {
        let p = fixture.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let differences = diff(&load_schema(&fixture).unwrap(), &load_schema(&csdl).unwrap());
    // The CSDL cannot tell choices from integers, money from decimals or images from binary
    // data: those are the only differences, never a table.
    assert!(!differences.is_empty());
    for d in &differences {
        match d {
            Difference::ColumnChanged(_, _, p, ..) => assert!(p == "AttributeType" || p == "MaxLength" || p == "Precision" || p == "Targets", "{d}"),
            Difference::ColumnRemoved(..) | Difference::ColumnAdded(..) => {}
            other => panic!("unexpected: {other}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_cli_prints_the_differences_and_exits_1_on_difference_0_on_none_2_on_error() {
    let (dir, before, after) = write_pair();
    let exe = env!("CARGO_BIN_EXE_dataverse-emulator");
    let out = Command::new(exe).args(["diff-schema"]).arg(&before).arg(&after).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("- table new_gadget\n"), "{stdout}");
    assert!(stdout.contains("~ column new_widget.new_name: MaxLength 100 -> 200\n"), "{stdout}");
    assert!(stdout.contains("+ option new_widget.new_size 3 \"Medium\"\n"), "{stdout}");
    assert!(stdout.contains("6 difference(s)"), "{stdout}");
    let same = Command::new(exe).args(["diff-schema"]).arg(&after).arg(&after).output().unwrap();
    assert_eq!(same.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&same.stdout).contains("no differences (1 tables)"));
    let garbage = dir.join("garbage.txt");
    std::fs::write(&garbage, "hello").unwrap();
    let bad = Command::new(exe).args(["diff-schema"]).arg(&garbage).arg(&after).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("neither a fixture directory"));
    let _ = std::fs::remove_dir_all(&dir);
}
