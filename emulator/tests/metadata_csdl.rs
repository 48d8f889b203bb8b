//! `GET $metadata` (wire reference §6.6), read the way an independent consumer reads it:
//! parsed with quick-xml, then checked structurally (keys, navigation targets, partners,
//! referential constraints, entity sets), plus caching and its invalidation.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::*;
use http::StatusCode;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// A navigation property as declared.
#[derive(Debug, Default)]
struct Nav {
    name: String,
    ty: String,
    partner: Option<String>,
    /// `(Property, ReferencedProperty)` pairs.
    constraints: Vec<(String, String)>,
}

/// An entity type as declared.
#[derive(Debug, Default)]
struct EntityType {
    is_abstract: bool,
    base: Option<String>,
    keys: Vec<String>,
    properties: HashMap<String, String>,
    navs: Vec<Nav>,
    annotations: Vec<String>,
}

/// What the test reads out of the document.
#[derive(Debug, Default)]
struct Schema {
    namespace_alias: (String, String),
    types: HashMap<String, EntityType>,
    complex_types: HashSet<String>,
    functions: HashSet<String>,
    container: String,
    /// Entity set name → (entity type, navigation bindings as (path, target)).
    sets: HashMap<String, (String, Vec<(String, String)>)>,
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name).expect("well-formed attribute").map(|a| a.unescape_value().expect("valid escape").into_owned())
}

/// `mscrm.account`, `Microsoft.Dynamics.CRM.account` or `Collection(mscrm.task)` → `account`/`task`.
fn type_name(qualified: &str) -> &str {
    let inner = qualified.strip_prefix("Collection(").and_then(|s| s.strip_suffix(')')).unwrap_or(qualified);
    inner.strip_prefix("mscrm.").or_else(|| inner.strip_prefix("Microsoft.Dynamics.CRM.")).unwrap_or(inner)
}

/// Parses the document, failing on any well-formedness error (mismatched or unclosed tags).
fn parse(xml: &str) -> Schema {
    let mut reader = Reader::from_str(xml);
    let mut schema = Schema::default();
    let mut stack: Vec<String> = Vec::new();
    let mut current_type: Option<String> = None;
    let mut current_set: Option<String> = None;
    loop {
        let (e, is_empty) = match reader.read_event() {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()));
                match name.as_str() {
                    "EntityType" => current_type = None,
                    "EntitySet" => current_set = None,
                    _ => {}
                }
                continue;
            }
            Ok(Event::Eof) => break,
            Ok(_) => continue,
            Err(err) => panic!("not well-formed at {}: {err}", reader.error_position()),
        };
        let tag = String::from_utf8_lossy(e.name().as_ref()).into_owned();
        let parent = stack.last().cloned().unwrap_or_default();
        let ty = current_type.as_ref().and_then(|t| schema.types.get_mut(t));
        match (tag.as_str(), parent.as_str()) {
            ("Schema", _) => schema.namespace_alias = (attr(&e, "Namespace").unwrap(), attr(&e, "Alias").unwrap()),
            ("EntityType", _) => {
                let name = attr(&e, "Name").expect("EntityType Name");
                let t = EntityType { is_abstract: attr(&e, "Abstract").as_deref() == Some("true"), base: attr(&e, "BaseType"), ..Default::default() };
                assert!(schema.types.insert(name.clone(), t).is_none(), "EntityType {name} declared twice");
                current_type = (!is_empty).then_some(name);
            }
            ("PropertyRef", "Key") => ty.unwrap().keys.push(attr(&e, "Name").unwrap()),
            ("Property", "EntityType") => {
                let t = ty.unwrap();
                assert!(t.properties.insert(attr(&e, "Name").unwrap(), attr(&e, "Type").unwrap()).is_none(), "duplicate property");
            }
            ("NavigationProperty", "EntityType") => {
                let nav = Nav { name: attr(&e, "Name").unwrap(), ty: attr(&e, "Type").unwrap(), partner: attr(&e, "Partner"), constraints: vec![] };
                ty.unwrap().navs.push(nav);
            }
            ("ReferentialConstraint", "NavigationProperty") => {
                let nav = ty.unwrap().navs.last_mut().unwrap();
                nav.constraints.push((attr(&e, "Property").unwrap(), attr(&e, "ReferencedProperty").unwrap()));
            }
            ("Annotation", "EntityType") => ty.unwrap().annotations.push(attr(&e, "Term").unwrap()),
            ("ComplexType", _) => _ = schema.complex_types.insert(attr(&e, "Name").unwrap()),
            ("Function", _) => _ = schema.functions.insert(attr(&e, "Name").unwrap()),
            ("EntityContainer", _) => schema.container = attr(&e, "Name").unwrap(),
            ("EntitySet", _) => {
                let name = attr(&e, "Name").unwrap();
                schema.sets.insert(name.clone(), (attr(&e, "EntityType").unwrap(), vec![]));
                current_set = (!is_empty).then_some(name);
            }
            ("NavigationPropertyBinding", "EntitySet") => {
                let set = schema.sets.get_mut(current_set.as_ref().unwrap()).unwrap();
                set.1.push((attr(&e, "Path").unwrap(), attr(&e, "Target").unwrap()));
            }
            _ => {}
        }
        if !is_empty {
            stack.push(tag);
        }
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    schema
}

impl Schema {
    /// Properties of a type, its base types' included.
    fn properties_of(&self, name: &str) -> HashSet<&str> {
        let mut out = HashSet::new();
        let mut next = Some(name);
        while let Some(n) = next {
            let t = &self.types[n];
            out.extend(t.properties.keys().map(String::as_str));
            next = t.base.as_deref().map(type_name);
        }
        out
    }
}

async fn fetch_csdl(s: &Server) -> (Resp, Schema) {
    let r = s.get("$metadata").await;
    assert_eq!(r.status, StatusCode::OK);
    let schema = parse(&r.text);
    (r, schema)
}

#[tokio::test]
async fn csdl_is_well_formed_xml_with_the_real_skeleton() {
    let s = Server::start().await;
    let (r, schema) = fetch_csdl(&s).await;
    assert_eq!(r.header("content-type"), Some("application/xml"));
    assert!(r.text.starts_with(r#"<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">"#), "{}", &r.text[..200]);
    assert!(r.text.contains(r#"<edmx:DataServices><Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">"#));
    assert!(r.text.contains(r#"EntityType Name="account""#), "the dynamics-web-api conformance test looks for this");
    assert_eq!(schema.namespace_alias, ("Microsoft.Dynamics.CRM".to_string(), "mscrm".to_string()));
    assert!(schema.types["crmbaseentity"].is_abstract);
    assert_eq!(schema.types["account"].base.as_deref(), Some("mscrm.crmbaseentity"));
    assert!(schema.complex_types.contains("WhoAmIResponse"));
    assert!(schema.functions.contains("WhoAmI"));
    assert_eq!(schema.container, "System");
}

#[tokio::test]
async fn every_entity_type_has_a_key_and_every_navigation_resolves() {
    let s = Server::start().await;
    let (_, schema) = fetch_csdl(&s).await;
    for (name, t) in &schema.types {
        let props = schema.properties_of(name);
        if !t.is_abstract {
            assert!(!t.keys.is_empty(), "EntityType {name} has no Key");
        }
        for key in &t.keys {
            assert!(props.contains(key.as_str()), "{name}: key {key} is not a property");
        }
        let mut seen = HashSet::new();
        for nav in &t.navs {
            assert!(seen.insert(&nav.name), "{name}.{} declared twice", nav.name);
            assert!(!props.contains(nav.name.as_str()), "{name}.{} shadows a property", nav.name);
            let target = type_name(&nav.ty);
            let target_type = schema.types.get(target).unwrap_or_else(|| panic!("{name}.{}: type {} is not in the schema", nav.name, nav.ty));
            if let Some(partner) = &nav.partner {
                let back = target_type.navs.iter().find(|n| &n.name == partner).unwrap_or_else(|| panic!("{name}.{}: partner {partner} missing on {target}", nav.name));
                assert_eq!(back.partner.as_deref(), Some(nav.name.as_str()), "{name}.{} ↔ {target}.{partner}", nav.name);
            }
            let target_props = schema.properties_of(target);
            for (own, referenced) in &nav.constraints {
                assert!(props.contains(own.as_str()), "{name}.{}: constraint property {own}", nav.name);
                assert!(target_props.contains(referenced.as_str()), "{name}.{}: referenced {target}.{referenced}", nav.name);
            }
        }
    }
}

#[tokio::test]
async fn lookups_keys_and_entity_sets_follow_the_service() {
    let s = Server::start().await;
    let (_, schema) = fetch_csdl(&s).await;
    let account = &schema.types["account"];
    assert_eq!(account.keys, ["accountid"]);
    assert_eq!(account.properties["_primarycontactid_value"], "Edm.Guid");
    assert_eq!(account.properties["name"], "Edm.String");
    assert_eq!(account.properties["revenue"], "Edm.Decimal");
    assert!(!account.properties.contains_key("primarycontactid"), "lookups are `_x_value` properties");
    let primary = account.navs.iter().find(|n| n.name == "primarycontactid").expect("single-valued navigation");
    assert_eq!(primary.ty, "mscrm.contact");
    assert_eq!(primary.constraints, [("_primarycontactid_value".to_string(), "contactid".to_string())]);
    let children = account.navs.iter().find(|n| n.name == "contact_customer_accounts").expect("collection navigation");
    assert_eq!(children.ty, "Collection(mscrm.contact)");
    assert_eq!(children.partner.as_deref(), Some("parentcustomerid_account"));
    assert!(account.annotations.iter().any(|a| a == "OData.Community.Keys.V1.AlternateKeys"));
    assert_eq!(schema.types["contact"].properties["birthdate"], "Edm.Date", "date-only columns are Edm.Date");

    // One EntitySet per table, the same sets the service document lists.
    let doc = s.get("").await;
    let mut listed: Vec<String> = column_of(&doc, "name").into_iter().filter(|n| !n.ends_with("Definitions")).collect();
    let mut sets: Vec<String> = schema.sets.keys().cloned().collect();
    listed.sort();
    sets.sort();
    assert_eq!(sets, listed);
    for (set, (ty, bindings)) in &schema.sets {
        let t = &schema.types[type_name(ty)];
        for (path, target) in bindings {
            assert!(t.navs.iter().any(|n| &n.name == path), "{set}: binding {path} is not a navigation property");
            assert!(schema.sets.contains_key(target), "{set}: binding target {target}");
        }
    }
}

#[tokio::test]
async fn the_document_is_cached_and_fast() {
    let s = Server::start().await;
    let first = s.get("$metadata").await;
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let again = s.get("$metadata").await;
        best = best.min(started.elapsed());
        assert_eq!(again.text, first.text);
    }
    assert!(best < Duration::from_millis(5), "cached $metadata took {best:?}");
}

#[test]
fn touching_the_schema_rebuilds_the_document() {
    use dataverse_emulator::metadata::{load_tables, Metadata};
    let tables = fixtures::DEFAULT_ORG.iter().filter(|(p, _)| p.starts_with("tables/")).map(|(p, t)| (*p, *t));
    let mut m = Metadata::new(load_tables(tables).expect("tables load"));
    let a = m.csdl();
    assert_eq!(m.csdl().as_ptr(), a.as_ptr(), "second call is served from the cache");
    let generation = m.generation();
    m.touch();
    assert_eq!(m.generation(), generation + 1);
    let b = m.csdl();
    assert_ne!(b.as_ptr(), a.as_ptr(), "a new generation renders again");
    assert_eq!(b, a, "same schema, same document");
    let copy = m.clone();
    assert_eq!(copy.csdl().as_ptr(), b.as_ptr(), "a clone shares the rendering until it changes");
}
