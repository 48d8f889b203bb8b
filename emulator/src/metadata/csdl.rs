//! The `$metadata` document: the org's schema as OData 4.0 CSDL XML, in the structure the
//! real service uses (`Microsoft.Dynamics.CRM` namespace, alias `mscrm`, an abstract
//! `crmbaseentity` root, lookups as `_x_value` Edm.Guid properties plus navigation
//! properties with referential constraints, alternate keys as
//! `OData.Community.Keys.V1.AlternateKeys` annotations, the `System` container), and the
//! functions and actions of the message registry ([`crate::operation::message::MESSAGES`])
//! with the complex and enum types they use.
//!
//! Rendering walks every table and relationship, so the document is cached per schema
//! [generation](super::Metadata::generation) and served as shared [`Bytes`].
//!
//! Left out: the metadata types themselves (`EntityMetadata`, …), the keyless open type
//! `expando` (a non-abstract type without a key is invalid CSDL), the activity and principal type hierarchies (every table derives from
//! `crmbaseentity`; `ownerid` points at an abstract `principal`), and `?annotations=true`.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use bytes::Bytes;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event};
use quick_xml::Writer;

use super::{AttributeDef, AttributeType, DateTimeKind, EntityDef, Metadata};
use crate::operation::message::{self, types, Binding, Kind};

/// The rendered document and the schema generation it was rendered from.
#[derive(Default)]
pub struct Cache(Mutex<Option<(u64, Bytes)>>);

impl Cache {
    /// The cached document if it belongs to `generation`, else a fresh rendering (kept).
    /// The lock is held while rendering so that concurrent first requests render once.
    pub fn get_or_render(&self, generation: u64, render: impl FnOnce() -> Bytes) -> Bytes {
        let mut slot = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*slot {
            Some((g, doc)) if *g == generation => doc.clone(),
            _ => {
                let doc = render();
                *slot = Some((generation, doc.clone()));
                doc
            }
        }
    }
}

impl Clone for Cache {
    /// A copy keeps the rendering: it is keyed on the generation, so a copy whose schema is
    /// then changed (and [touched](super::Metadata::touch)) re-renders anyway.
    fn clone(&self) -> Self {
        Cache(Mutex::new(self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()))
    }
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("csdl::Cache")
    }
}

/// A thin writer over a `Vec`, which cannot fail: the `io::Result`s are dropped on purpose.
struct Xml(Writer<Vec<u8>>);

impl Xml {
    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let _ = self.0.write_event(Event::Start(BytesStart::new(name).with_attributes(attrs.iter().copied())));
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let _ = self.0.write_event(Event::Empty(BytesStart::new(name).with_attributes(attrs.iter().copied())));
    }

    fn end(&mut self, name: &str) {
        let _ = self.0.write_event(Event::End(BytesEnd::new(name)));
    }
}

/// A navigation property before partners are checked.
struct Nav {
    name: String,
    /// The target type's name in the schema (`account`, or `principal` for owners).
    target: String,
    /// The target's entity set, for `NavigationPropertyBinding` (none for abstract types).
    target_set: Option<String>,
    collection: bool,
    /// The navigation property on the target that is the other end, if it exists there.
    partner: Option<String>,
    /// `(_x_value, referenced key property)` for single-valued properties.
    constraint: Option<(String, String)>,
}

/// The Edm type of a column's property.
fn edm_type(a: &AttributeDef) -> &'static str {
    match a.kind {
        AttributeType::DateTime if a.date_kind == Some(DateTimeKind::DateOnly) => "Edm.Date",
        AttributeType::ManagedProperty => "mscrm.BooleanManagedProperty",
        kind => kind.edm_type(),
    }
}

/// The key property a lookup to `target` references, as an OData property name.
fn referenced_property(target: &EntityDef, attribute: &str) -> Option<String> {
    target.attribute(attribute).filter(|a| a.is_odata_property()).map(|a| a.property_name().to_string())
}

/// A table's navigation properties, each name once, none shadowing a structural property.
fn navigations(m: &Metadata, e: &EntityDef) -> Vec<Nav> {
    let mut out: Vec<Nav> = Vec::new();
    for r in &e.many_to_one {
        let Some(name) = r.referencing_nav.clone() else { continue };
        let (target, target_set, key) = match m.entity(&r.referenced_entity) {
            Some(t) => (t.logical_name.clone(), Some(t.entity_set_name.clone()), referenced_property(t, &r.referenced_attribute)),
            None if r.referenced_entity == "owner" => ("principal".to_string(), None, Some("ownerid".to_string())),
            None => continue,
        };
        let own = e.attribute(&r.referencing_attribute).filter(|a| a.is_odata_property()).map(|a| a.property_name().to_string());
        let constraint = own.zip(key);
        out.push(Nav { name, target, target_set, collection: false, partner: r.referenced_nav.clone(), constraint });
    }
    for r in &e.one_to_many {
        let (Some(name), Some(child)) = (r.referenced_nav.clone(), m.entity(&r.referencing_entity)) else { continue };
        let set = Some(child.entity_set_name.clone());
        out.push(Nav { name, target: child.logical_name.clone(), target_set: set, collection: true, partner: r.referencing_nav.clone(), constraint: None });
    }
    for r in &e.many_to_many {
        let ends = [(&r.entity1, &r.entity1_nav, &r.entity2, &r.entity2_nav), (&r.entity2, &r.entity2_nav, &r.entity1, &r.entity1_nav)];
        for (this, nav, other, other_nav) in ends {
            let Some(other) = m.entity(other).filter(|_| *this == e.logical_name) else { continue };
            let set = Some(other.entity_set_name.clone());
            out.push(Nav { name: nav.clone(), target: other.logical_name.clone(), target_set: set, collection: true, partner: Some(other_nav.clone()), constraint: None });
        }
    }
    let mut seen: HashSet<String> = e.attributes.iter().filter(|a| a.is_odata_property()).map(|a| a.property_name().to_string()).collect();
    out.retain(|n| seen.insert(n.name.clone()));
    out
}

/// Renders the whole document.
pub fn render(m: &Metadata) -> Bytes {
    let entities = m.entities_sorted();
    let mut navs: HashMap<&str, Vec<Nav>> = entities.iter().map(|e| (e.logical_name.as_str(), navigations(m, e))).collect();
    // A partner must exist on the target type; fixtures may list a relationship on one side only.
    let names: HashMap<String, HashSet<String>> =
        navs.iter().map(|(t, list)| (t.to_string(), list.iter().map(|n| n.name.clone()).collect())).collect();
    for list in navs.values_mut() {
        for n in list.iter_mut() {
            if !n.partner.as_ref().is_some_and(|p| names.get(&n.target).is_some_and(|s| s.contains(p))) {
                n.partner = None;
            }
        }
    }

    let mut x = Xml(Writer::new(Vec::with_capacity(512 * 1024)));
    let _ = x.0.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
    x.start("edmx:Edmx", &[("Version", "4.0"), ("xmlns:edmx", "http://docs.oasis-open.org/odata/ns/edmx")]);
    for (uri, namespace, alias) in [
        ("http://vocabularies.odata.org/OData.Community.Keys.V1.xml", "OData.Community.Keys.V1", "Keys"),
        ("http://vocabularies.odata.org/OData.Community.Display.V1.xml", "OData.Community.Display.V1", "Display"),
    ] {
        x.start("edmx:Reference", &[("Uri", uri)]);
        x.empty("edmx:Include", &[("Namespace", namespace), ("Alias", alias)]);
        x.empty("edmx:IncludeAnnotations", &[("TermNamespace", namespace)]);
        x.end("edmx:Reference");
    }
    x.start("edmx:DataServices", &[]);
    x.start("Schema", &[("Namespace", "Microsoft.Dynamics.CRM"), ("Alias", "mscrm"), ("xmlns", "http://docs.oasis-open.org/odata/ns/edm")]);
    x.empty("EntityType", &[("Name", "crmbaseentity"), ("Abstract", "true")]);
    x.start("EntityType", &[("Name", "principal"), ("BaseType", "mscrm.crmbaseentity"), ("Abstract", "true")]);
    x.start("Key", &[]);
    x.empty("PropertyRef", &[("Name", "ownerid")]);
    x.end("Key");
    x.empty("Property", &[("Name", "ownerid"), ("Type", "Edm.Guid"), ("Nullable", "false")]);
    x.end("EntityType");
    for e in &entities {
        entity_type(&mut x, e, &navs[e.logical_name.as_str()]);
    }
    complex_types(&mut x, m);
    operations(&mut x, m);
    x.start("EntityContainer", &[("Name", "System")]);
    for e in &entities {
        let ty = e.odata_type();
        x.start("EntitySet", &[("Name", &e.entity_set_name), ("EntityType", &ty)]);
        for n in &navs[e.logical_name.as_str()] {
            if let Some(set) = &n.target_set {
                x.empty("NavigationPropertyBinding", &[("Path", &n.name), ("Target", set)]);
            }
        }
        x.end("EntitySet");
    }
    operation_imports(&mut x, m);
    x.end("EntityContainer");
    x.end("Schema");
    x.end("edmx:DataServices");
    x.end("edmx:Edmx");
    Bytes::from(x.0.into_inner())
}

fn entity_type(x: &mut Xml, e: &EntityDef, navs: &[Nav]) {
    x.start("EntityType", &[("Name", &e.logical_name), ("BaseType", "mscrm.crmbaseentity")]);
    x.start("Key", &[]);
    x.empty("PropertyRef", &[("Name", &e.primary_id)]);
    x.end("Key");
    if e.property(&e.primary_id).is_none() {
        x.empty("Property", &[("Name", &e.primary_id), ("Type", "Edm.Guid"), ("Nullable", "false")]);
    }
    for a in e.attributes.iter().filter(|a| a.is_odata_property()) {
        let ty = edm_type(a);
        let mut attrs = vec![("Name", a.property_name()), ("Type", ty)];
        match ty {
            "Edm.String" => attrs.push(("Unicode", "false")),
            "Edm.Decimal" => attrs.push(("Scale", "Variable")),
            _ if a.logical_name == e.primary_id => attrs.push(("Nullable", "false")),
            _ => {}
        }
        x.empty("Property", &attrs);
    }
    for n in navs {
        let ty = if n.collection { format!("Collection(mscrm.{})", n.target) } else { format!("mscrm.{}", n.target) };
        let mut attrs = vec![("Name", n.name.as_str()), ("Type", ty.as_str())];
        if let Some(p) = &n.partner {
            attrs.push(("Partner", p));
        }
        match &n.constraint {
            Some((own, key)) => {
                x.start("NavigationProperty", &attrs);
                x.empty("ReferentialConstraint", &[("Property", own), ("ReferencedProperty", key)]);
                x.end("NavigationProperty");
            }
            None => x.empty("NavigationProperty", &attrs),
        }
    }
    if !e.keys.is_empty() {
        alternate_keys(x, e);
    }
    x.end("EntityType");
}

/// `<Annotation Term="OData.Community.Keys.V1.AlternateKeys">` with one record per key.
fn alternate_keys(x: &mut Xml, e: &EntityDef) {
    x.start("Annotation", &[("Term", "OData.Community.Keys.V1.AlternateKeys")]);
    x.start("Collection", &[]);
    for k in &e.keys {
        x.start("Record", &[("Type", "OData.Community.Keys.V1.AlternateKey")]);
        x.start("PropertyValue", &[("Property", "Key")]);
        x.start("Collection", &[]);
        for column in &k.attributes {
            let path = e.attribute(column).map_or(column.as_str(), |a| a.property_name());
            x.start("Record", &[("Type", "OData.Community.Keys.V1.PropertyRef")]);
            x.empty("PropertyValue", &[("Property", "Alias"), ("String", column)]);
            x.empty("PropertyValue", &[("Property", "Name"), ("PropertyPath", path)]);
            x.end("Record");
        }
        x.end("Collection");
        x.end("PropertyValue");
        x.end("Record");
    }
    x.end("Collection");
    x.end("Annotation");
}

/// The complex and enum types the declared properties and messages use.
fn complex_types(x: &mut Xml, m: &Metadata) {
    let custom = m.custom_apis().iter().filter_map(|c| c.response_type.as_ref().map(|(name, props)| (name.as_str(), props.as_slice())));
    for (name, properties) in types::COMPLEX_TYPES.iter().map(|(n, p)| (*n, *p)).chain(custom) {
        x.start("ComplexType", &[("Name", name)]);
        for (property, ty) in properties {
            x.empty("Property", &[("Name", property), ("Type", ty), ("Nullable", "false")]);
        }
        x.end("ComplexType");
    }
    for (name, members) in types::ENUM_TYPES {
        if types::FLAG_TYPES.contains(name) {
            x.start("EnumType", &[("Name", name), ("IsFlags", "true")]);
        } else {
            x.start("EnumType", &[("Name", name)]);
        }
        for (member, value) in *members {
            x.empty("Member", &[("Name", member), ("Value", &value.to_string())]);
        }
        x.end("EnumType");
    }
}

/// A `Function` or `Action` element per registered message; bound ones take the record or
/// set as their first parameter.
fn operations(x: &mut Xml, metadata: &Metadata) {
    for m in message::all(metadata) {
        let element = match m.kind {
            Kind::Function => "Function",
            Kind::Action => "Action",
        };
        let bound = m.binding != Binding::Unbound;
        x.start(element, &[("Name", m.name), ("IsBound", if bound { "true" } else { "false" })]);
        match m.binding {
            Binding::Unbound => {}
            Binding::Entity => x.empty("Parameter", &[("Name", "entity"), ("Type", "mscrm.crmbaseentity"), ("Nullable", "false")]),
            Binding::Collection => x.empty("Parameter", &[("Name", "entityset"), ("Type", "Collection(mscrm.crmbaseentity)"), ("Nullable", "false")]),
            Binding::Table(t) => x.empty("Parameter", &[("Name", "entity"), ("Type", &format!("mscrm.{t}")), ("Nullable", "false")]),
            Binding::TableSet(t) => x.empty("Parameter", &[("Name", "entityset"), ("Type", &format!("Collection(mscrm.{t})")), ("Nullable", "false")]),
        }
        for p in m.params {
            let mut attrs = vec![("Name", p.name), ("Type", p.ty), ("Nullable", if p.required { "false" } else { "true" })];
            if p.ty == "Edm.String" {
                attrs.push(("Unicode", "false"));
            }
            x.empty("Parameter", &attrs);
        }
        if let Some(ty) = m.returns {
            x.empty("ReturnType", &[("Type", ty), ("Nullable", "false")]);
        }
        x.end(element);
    }
}

/// `FunctionImport` / `ActionImport` for the unbound messages.
fn operation_imports(x: &mut Xml, metadata: &Metadata) {
    for m in message::all(metadata).filter(|m| m.binding == Binding::Unbound) {
        let qualified = format!("Microsoft.Dynamics.CRM.{}", m.name);
        match m.kind {
            Kind::Function => x.empty("FunctionImport", &[("Name", m.name), ("Function", &qualified), ("IncludeInServiceDocument", "false")]),
            Kind::Action => x.empty("ActionImport", &[("Name", m.name), ("Action", &qualified)]),
        }
    }
}
