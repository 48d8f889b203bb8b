//! Store transactions: all-or-nothing, with the alternate-key index kept in step.

use uuid::Uuid;

use super::{Attributes, Record, Store, Value};
use crate::error::{Code, Error};
use crate::metadata::{load_tables, Metadata};

fn metadata() -> Metadata {
    let tables = fixtures::DEFAULT_ORG.iter().filter(|(p, _)| p.starts_with("tables/")).map(|(p, t)| (*p, *t));
    Metadata::new(load_tables(tables).unwrap())
}

fn account(id: Uuid, number: &str) -> Record {
    let attributes = Attributes::from([("accountid", Value::Guid(id)), ("accountnumber", Value::String(number.to_string()))]);
    Record { id, version: 1, attributes }
}

#[test]
fn a_failed_write_leaves_no_trace() {
    let store = Store::new(std::sync::Arc::new(metadata()));
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    store.write(|tx| tx.put("account", account(a, "A-1")).map(|_| ())).unwrap();
    let err = store
        .write(|tx| {
            tx.put("account", account(b, "B-1"))?;
            tx.remove("account", a);
            Err::<(), _>(Error::new(Code::BadRequest, "changeset failed"))
        })
        .unwrap_err();
    assert_eq!(err.code(), Code::BadRequest);
    let state = store.read();
    assert!(state.get("account", a).is_some(), "the removed row is back");
    assert!(state.get("account", b).is_none(), "the inserted row is gone");
    assert_eq!(state.find_by_key("account", "accountnumber", &[Value::String("a-1".into())]), Some(a));
    assert_eq!(state.find_by_key("account", "accountnumber", &[Value::String("B-1".into())]), None);
}

#[test]
fn alternate_keys_are_unique_and_case_insensitive() {
    let store = Store::new(std::sync::Arc::new(metadata()));
    store.write(|tx| tx.put("account", account(Uuid::new_v4(), "ACC-1")).map(|_| ())).unwrap();
    let err = store.write(|tx| tx.put("account", account(Uuid::new_v4(), "acc-1")).map(|_| ())).unwrap_err();
    assert_eq!(err.code(), Code::DuplicateRecordEntityKey);
    assert_eq!(store.read().table("account").unwrap().len(), 1);
}

#[test]
fn a_panicking_write_is_undone() {
    let store = Store::new(std::sync::Arc::new(metadata()));
    let id = Uuid::new_v4();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = store.write(|tx| {
            tx.put("account", account(id, "P-1"))?;
            panic!("bug in the middle of a write");
            #[allow(unreachable_code)]
            Ok(())
        });
    }));
    assert!(result.is_err());
    assert!(store.read().get("account", id).is_none());
}

#[test]
fn versions_increase_across_the_org() {
    let store = Store::new(std::sync::Arc::new(metadata()));
    let v1 = store.write(|tx| Ok(tx.next_version())).unwrap();
    let v2 = store.write(|tx| Ok(tx.next_version())).unwrap();
    assert!(v2 > v1);
}

#[test]
fn committed_is_the_org_before_the_transaction_and_leaves_it_running() {
    let store = Store::new(std::sync::Arc::new(metadata()));
    let (kept, removed, added) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    store
        .write(|tx| {
            tx.put("account", account(kept, "K-1"))?;
            tx.put("account", account(removed, "R-1"))?;
            tx.set_association("accountleads_association", (kept, removed), true);
            Ok(())
        })
        .unwrap();
    let committed = store
        .write(|tx| {
            tx.put("account", account(kept, "K-2"))?;
            tx.remove("account", removed);
            tx.put("account", account(added, "A-1"))?;
            tx.set_association("accountleads_association", (kept, removed), false);
            Ok(tx.committed())
        })
        .unwrap();
    // The view: the rows, keys and pairs as they were before the second write.
    let before = &committed.state;
    assert_eq!(before.get("account", kept).unwrap().get("accountnumber"), &Value::String("K-1".into()));
    assert!(before.get("account", removed).is_some());
    assert!(before.get("account", added).is_none());
    assert_eq!(before.find_by_key("account", "accountnumber", &[Value::String("k-1".into())]), Some(kept));
    assert_eq!(before.find_by_key("account", "accountnumber", &[Value::String("K-2".into())]), None);
    assert_eq!(before.associations("accountleads_association").count(), 1);
    // The transaction itself went on and committed everything.
    let after = store.read();
    assert_eq!(after.get("account", kept).unwrap().get("accountnumber"), &Value::String("K-2".into()));
    assert!(after.get("account", removed).is_none());
    assert!(after.get("account", added).is_some());
    assert_eq!(after.associations("accountleads_association").count(), 0);
}

#[test]
fn deletes_are_remembered_for_change_tracking_unless_rolled_back() {
    let store = Store::new(std::sync::Arc::new(metadata()));
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    store.write(|tx| tx.put("account", account(a, "T-1")).and_then(|_| tx.put("account", account(b, "T-2"))).map(|_| ())).unwrap();
    let before = store.read().version();
    store.write(|tx| Ok(tx.remove("account", a))).unwrap();
    let _ = store.write(|tx| {
        tx.remove("account", b);
        Err::<(), _>(Error::new(Code::BadRequest, "rolled back"))
    });
    let state = store.read();
    let deleted: Vec<Uuid> = state.table("account").unwrap().deleted_since(before).map(|(_, id)| *id).collect();
    assert_eq!(deleted, [a], "the rolled-back delete left no record");
    assert!(state.table("account").unwrap().deleted_since(state.version()).next().is_none());
}

#[test]
fn deleted_rows_survive_an_export_and_import() {
    let metadata = metadata();
    let store = Store::new(std::sync::Arc::new(metadata.clone()));
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    store.write(|tx| tx.put("account", account(a, "E-1")).and_then(|_| tx.put("account", account(b, "E-2"))).map(|_| ())).unwrap();
    store.write(|tx| Ok(tx.remove("account", a))).unwrap();
    let exported = super::snapshot::rows_to_json(&store.read());
    assert_eq!(exported["deleted"]["account"].as_array().map(Vec::len), Some(1), "{exported}");
    let imported = super::snapshot::state_from_json(&metadata, &exported).unwrap();
    let deleted: Vec<Uuid> = imported.table("account").unwrap().deleted_since(0).map(|(_, id)| *id).collect();
    assert_eq!(deleted, [a]);
    assert_eq!(imported.version(), store.read().version());
    let bad = serde_json::json!({"deleted": {"account": [["x", "y"]]}});
    assert!(super::snapshot::state_from_json(&metadata, &bad).unwrap_err().contains("[row version, GUID]"));
}
