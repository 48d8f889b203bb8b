//! The org's schema: tables, columns, option sets, relationships and keys.
//!
//! This is the single source of truth the store validates against and every endpoint
//! reads. It is loaded from the fixture JSON (`load.rs`) and shared read-only behind an
//! `Arc` by everything that serves the org.

mod attribute;
pub mod csdl;
pub mod definitions;
mod load;
mod navigation;
pub mod save;
mod option_set;

pub use attribute::{AttributeDef, AttributeType, DateTimeKind, OptionDef};
pub use load::{attribute_from_json, load_tables, relationship_from_json, table_from_json, MetadataError};
pub use navigation::{Navigation, SingleValued};
pub use option_set::OptionSetDef;

/// `FileAttributeMetadata.MaxSizeInKB` when a column doesn't say (32 MB, Dataverse's default).
pub const DEFAULT_FILE_MAX_KB: u32 = 32_768;

/// `ImageAttributeMetadata.MaxSizeInKB` when a column doesn't say (10 MB, Dataverse's default).
pub const DEFAULT_IMAGE_MAX_KB: u32 = 10_240;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::store::LogicalName;

/// A table (entity) definition.
#[derive(Debug, Clone)]
pub struct EntityDef {
    /// `account`
    pub logical_name: String,
    /// `Account`
    pub schema_name: String,
    /// `accounts`
    pub entity_set_name: String,
    /// `accounts` (metadata's `LogicalCollectionName`)
    pub logical_collection_name: String,
    /// `Accounts` (metadata's `CollectionSchemaName`)
    pub collection_schema_name: String,
    /// `accountid`
    pub primary_id: String,
    /// `name` (absent on intersect-like tables such as activityparty)
    pub primary_name: Option<String>,
    /// Documented object type code (account 1, contact 2, …).
    pub object_type_code: i32,
    /// `UserOwned`, `OrganizationOwned`, `BusinessOwned`, `None`.
    pub ownership: String,
    /// Activity tables (phonecall, task, …) share `activityid` and activity parties.
    pub is_activity: bool,
    /// Custom tables (`IsCustomEntity`); every fixture table today is a system table.
    pub is_custom: bool,
    /// Display name, e.g. `Account`.
    pub display_name: Option<String>,
    /// Plural display name, e.g. `Accounts`.
    pub display_collection_name: Option<String>,
    /// The table's description, if the fixture has one.
    pub description: Option<String>,
    /// Columns in definition order.
    pub attributes: Vec<AttributeDef>,
    /// Column index by logical name.
    attribute_index: HashMap<String, usize, foldhash::fast::RandomState>,
    /// The defaults of the two-option columns a create may set: every new row gets them.
    /// Kept with the index so a create doesn't scan every column (hundreds on standard
    /// tables) for them, nor look their names up.
    two_option_defaults: Vec<(LogicalName, bool)>,
    /// Where the money columns are (not their `_base` copies), for the same reason.
    money_columns: Vec<usize>,
    /// Where the image columns are, for the same reason.
    image_columns: Vec<usize>,
    /// Alternate keys: name and the columns that make them up.
    pub keys: Vec<KeyDef>,
    /// 1:N relationships where this table is the referenced (parent) side.
    pub one_to_many: Vec<Relationship>,
    /// N:1 relationships where this table is the referencing (child) side.
    pub many_to_one: Vec<Relationship>,
    /// N:N relationships.
    pub many_to_many: Vec<ManyToMany>,
}

/// An alternate key.
#[derive(Debug, Clone)]
pub struct KeyDef {
    /// The key's logical name.
    pub logical_name: String,
    /// The key's schema name (`AccountNumberKey`).
    pub schema_name: String,
    /// Display label.
    pub display_name: Option<String>,
    /// Columns, in the order they make up the key.
    pub attributes: Vec<String>,
    /// Created over the API; fixture keys are the system's own.
    pub is_custom: bool,
}

/// A one-to-many relationship, seen from either side.
#[derive(Debug, Clone)]
pub struct Relationship {
    /// `contact_customer_accounts`
    pub schema_name: String,
    /// The parent table (`account`), or a virtual base type such as `owner`.
    pub referenced_entity: String,
    /// The parent's primary key column.
    pub referenced_attribute: String,
    /// The child table (`contact`).
    pub referencing_entity: String,
    /// The lookup column on the child (`parentcustomerid`).
    pub referencing_attribute: String,
    /// Collection-valued navigation property on the parent (`contact_customer_accounts`).
    pub referenced_nav: Option<String>,
    /// Single-valued navigation property on the child (`parentcustomerid_account`).
    pub referencing_nav: Option<String>,
    /// What deleting the parent does to children: `Cascade`, `RemoveLink`, `Restrict`, `NoCascade`.
    pub cascade_delete: String,
    /// The table's hierarchy (parent/child on the same table), used by Above/Under.
    pub is_hierarchical: bool,
    /// The whole cascade configuration as `(action, behaviour)` pairs, for metadata readers;
    /// empty when the fixture gave none.
    pub cascade: Vec<(String, String)>,
    /// Whether the relationship may be customized (reported by metadata only).
    pub is_customizable: bool,
    /// Created over the API (`IsCustomRelationship`): only these can be deleted.
    pub is_custom: bool,
}

/// A many-to-many relationship.
#[derive(Debug, Clone)]
pub struct ManyToMany {
    /// Relationship schema name; also the intersect set's identity in the store.
    pub schema_name: String,
    /// Intersect table name.
    pub intersect_entity: String,
    /// First table.
    pub entity1: String,
    /// Navigation property on the first table.
    pub entity1_nav: String,
    /// The intersect table's column for the first table, when the fixture names it.
    pub entity1_intersect_attribute: Option<String>,
    /// Second table.
    pub entity2: String,
    /// Navigation property on the second table.
    pub entity2_nav: String,
    /// The intersect table's column for the second table, when the fixture names it.
    pub entity2_intersect_attribute: Option<String>,
    /// Whether the relationship may be customized (reported by metadata only).
    pub is_customizable: bool,
    /// Created over the API (`IsCustomRelationship`): only these can be deleted.
    pub is_custom: bool,
}

impl EntityDef {
    /// Builds the index; call after filling `attributes`.
    pub fn reindex(&mut self) {
        self.attribute_index =
            self.attributes.iter().enumerate().map(|(i, a)| (a.logical_name.clone(), i)).collect();
        self.two_option_defaults = self
            .attributes
            .iter()
            .filter(|a| a.kind == AttributeType::Boolean && a.valid_for_create)
            .filter_map(|a| match a.default_value {
                Some(serde_json::Value::Bool(b)) => Some((LogicalName::new(&a.logical_name), b)),
                _ => None,
            })
            .collect();
        // In name order, so a new row takes them without moving anything.
        self.two_option_defaults.sort_by_key(|a| a.0);
        self.money_columns = self
            .attributes
            .iter()
            .enumerate()
            .filter(|(_, a)| a.kind == AttributeType::Money && !a.logical_name.ends_with("_base"))
            .map(|(i, _)| i)
            .collect();
        self.image_columns = self.attributes.iter().enumerate().filter(|(_, a)| a.kind == AttributeType::Image).map(|(i, _)| i).collect();
    }

    /// The defaults of the two-option columns a create may set (see [`EntityDef::reindex`]).
    pub fn two_option_defaults(&self) -> &[(LogicalName, bool)] {
        &self.two_option_defaults
    }

    /// The image columns.
    pub fn image_columns(&self) -> impl Iterator<Item = &AttributeDef> {
        self.image_columns.iter().map(|&i| &self.attributes[i])
    }

    /// The money columns, without their `_base` copies.
    pub fn money_columns(&self) -> impl Iterator<Item = &AttributeDef> {
        self.money_columns.iter().map(|&i| &self.attributes[i])
    }

    /// A column by logical name.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attribute_index.get(name).map(|&i| &self.attributes[i])
    }

    /// A column that is exposed as an OData structural property (see
    /// [`AttributeDef::is_odata_property`]), found by its *property* name: lookups are
    /// addressed as `_x_value`.
    pub fn property(&self, property_name: &str) -> Option<&AttributeDef> {
        let logical = property_name
            .strip_prefix('_')
            .and_then(|s| s.strip_suffix("_value"))
            .unwrap_or(property_name);
        let attr = self.attribute(logical)?;
        if !attr.is_odata_property() {
            return None;
        }
        (attr.property_name() == property_name).then_some(attr)
    }

    /// The OData type name, `Microsoft.Dynamics.CRM.account`.
    pub fn odata_type(&self) -> String {
        format!("Microsoft.Dynamics.CRM.{}", self.logical_name)
    }
}

/// The whole schema of one org.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    entities: HashMap<String, Arc<EntityDef>, foldhash::fast::RandomState>,
    by_set: HashMap<String, String>,
    /// Global choices by lower-cased name (sorted, so listings are stable).
    option_sets: BTreeMap<String, Arc<OptionSetDef>>,
    /// Bumped by every schema change ([`Metadata::touch`]), so caches derived from the
    /// schema can tell that they are stale even when the catalog was changed in place.
    generation: u64,
    /// The `$metadata` document, rendered on first use and keyed on `generation`.
    csdl: csdl::Cache,
    /// The org's Custom APIs (from its fixture): messages like the built-in ones, declared
    /// in `$metadata` with the tables.
    custom_apis: Vec<&'static crate::operation::message::custom_api::CustomApi>,
}

impl Metadata {
    /// Builds the catalog from table definitions.
    pub fn new(tables: Vec<EntityDef>) -> Self {
        let mut m = Metadata::default();
        for t in tables {
            m.by_set.insert(t.entity_set_name.clone(), t.logical_name.clone());
            m.entities.insert(t.logical_name.clone(), Arc::new(t));
        }
        m
    }

    /// Declares the org's Custom APIs.
    pub fn set_custom_apis(&mut self, apis: Vec<&'static crate::operation::message::custom_api::CustomApi>) {
        self.custom_apis = apis;
        self.touch();
    }

    /// The org's Custom APIs.
    pub fn custom_apis(&self) -> &[&'static crate::operation::message::custom_api::CustomApi] {
        &self.custom_apis
    }

    /// A table by logical name.
    pub fn entity(&self, logical_name: &str) -> Option<&Arc<EntityDef>> {
        self.entities.get(logical_name)
    }

    /// A table by entity set name. Set names are case-sensitive in Dataverse.
    pub fn entity_by_set(&self, set: &str) -> Option<&Arc<EntityDef>> {
        self.by_set.get(set).and_then(|l| self.entities.get(l))
    }

    /// All tables, in no particular order.
    pub fn entities(&self) -> impl Iterator<Item = &Arc<EntityDef>> {
        self.entities.values()
    }

    /// All tables, by logical name: the order every metadata listing uses, so that
    /// responses and `$metadata` are byte-for-byte stable across runs.
    pub fn entities_sorted(&self) -> Vec<&Arc<EntityDef>> {
        let mut all: Vec<_> = self.entities.values().collect();
        all.sort_by(|a, b| a.logical_name.cmp(&b.logical_name));
        all
    }

    /// Adds a table, or replaces the one with the same logical name.
    pub fn put_entity(&mut self, e: EntityDef) {
        if let Some(old) = self.entities.get(&e.logical_name) {
            self.by_set.remove(&old.entity_set_name);
        }
        self.by_set.insert(e.entity_set_name.clone(), e.logical_name.clone());
        self.entities.insert(e.logical_name.clone(), Arc::new(e));
    }

    /// Removes a table, returning it.
    pub fn remove_entity(&mut self, logical_name: &str) -> Option<Arc<EntityDef>> {
        let e = self.entities.remove(logical_name)?;
        self.by_set.remove(&e.entity_set_name);
        Some(e)
    }

    /// A table to change in place (copied first if a snapshot still shares it). The caller
    /// must [`EntityDef::reindex`] after changing its columns, and [`Metadata::touch`].
    pub fn entity_mut(&mut self, logical_name: &str) -> Option<&mut EntityDef> {
        self.entities.get_mut(logical_name).map(Arc::make_mut)
    }

    /// A global choice by name (names are case-insensitive).
    pub fn option_set(&self, name: &str) -> Option<&Arc<OptionSetDef>> {
        self.option_sets.get(&name.to_lowercase())
    }

    /// All global choices, by name.
    pub fn option_sets(&self) -> impl Iterator<Item = &Arc<OptionSetDef>> {
        self.option_sets.values()
    }

    /// Adds a global choice, or replaces the one with the same name, and copies its options
    /// into every column that uses it (the store validates values against the column).
    pub fn put_option_set(&mut self, set: OptionSetDef) {
        let key = set.name.to_lowercase();
        let users: Vec<(String, String)> = self.option_set_users(&set.name);
        for (table, column) in users {
            if let Some(e) = self.entity_mut(&table) {
                if let Some(a) = e.attributes.iter_mut().find(|a| a.logical_name == column) {
                    a.options = set.options.clone();
                }
            }
        }
        self.option_sets.insert(key, Arc::new(set));
    }

    /// Removes a global choice, returning it.
    pub fn remove_option_set(&mut self, name: &str) -> Option<Arc<OptionSetDef>> {
        self.option_sets.remove(&name.to_lowercase())
    }

    /// The `(table, column)` pairs whose options come from the global choice `name`.
    pub fn option_set_users(&self, name: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for e in self.entities_sorted() {
            for a in &e.attributes {
                if a.global_option_set.as_deref().is_some_and(|g| g.eq_ignore_ascii_case(name)) {
                    out.push((e.logical_name.clone(), a.logical_name.clone()));
                }
            }
        }
        out
    }

    /// The schema's generation: changes whenever the schema does.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Records a schema change. Whatever edits tables or columns must call this, so that
    /// the cached `$metadata` document (and any later cache keyed on the generation) is
    /// rebuilt on next use.
    pub fn touch(&mut self) {
        self.generation += 1;
    }

    /// The `$metadata` CSDL document for the current generation, rendered once and then
    /// shared (cloning `Bytes` is a reference-count bump).
    pub fn csdl(&self) -> bytes::Bytes {
        self.csdl.get_or_render(self.generation, || csdl::render(self))
    }
}
