//! The metadata endpoints, read side: `EntityDefinitions` (tables, with their columns, keys
//! and relationships), `RelationshipDefinitions`, `GlobalOptionSetDefinitions` and the
//! `$metadata` CSDL document.
//!
//! [`route`] resolves the path against the catalog (so an unknown table is a 404 before
//! anything runs) into a [`DefinitionPath`]; one file per endpoint builds the reply from the
//! JSON in [`crate::metadata::definitions`]. Writes (creating, changing and deleting tables,
//! columns, keys and relationships) are in [`write`](mod@write).

mod attributes;
mod csdl;
mod entity_definitions;
mod filter;
mod option_sets;
mod query;
mod relationships;
pub mod write;

use std::sync::Arc;

use http::Method;
use odata_parser::ast::{Literal, Parens, Segment};
use uuid::Uuid;

use crate::error::{Code, Error, Result};
use crate::metadata::definitions::attribute::{attribute_id, option_set_id, AttributeClass};
use crate::metadata::definitions::{self as defs, RelationshipDef, RelationshipKind};
use crate::metadata::{AttributeDef, EntityDef, Metadata, OptionSetDef};
use crate::wire::response::Reply;

use super::{Ctx, Operation};

pub(super) use csdl::apply as csdl;

/// The entity sets of metadata, as the service document lists them.
pub const DEFINITION_SETS: [&str; 3] = ["EntityDefinitions", "RelationshipDefinitions", "GlobalOptionSetDefinitions"];

/// Which relationships of a table a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `OneToManyRelationships`: the table is the referenced (parent) side.
    OneToMany,
    /// `ManyToOneRelationships`: the table is the referencing (child) side.
    ManyToOne,
    /// `ManyToManyRelationships`
    ManyToMany,
}

impl Side {
    fn from_name(name: &str) -> Option<Side> {
        match name {
            "OneToManyRelationships" => Some(Side::OneToMany),
            "ManyToOneRelationships" => Some(Side::ManyToOne),
            "ManyToManyRelationships" => Some(Side::ManyToMany),
            _ => None,
        }
    }

    /// The navigation property's name.
    pub fn name(self) -> &'static str {
        match self {
            Side::OneToMany => "OneToManyRelationships",
            Side::ManyToOne => "ManyToOneRelationships",
            Side::ManyToMany => "ManyToManyRelationships",
        }
    }
}

/// A metadata resource, resolved against the catalog.
#[derive(Debug)]
pub enum DefinitionPath {
    /// `EntityDefinitions`
    Entities,
    /// `EntityDefinitions(LogicalName='account')` or `EntityDefinitions(<MetadataId>)`
    Entity(Arc<EntityDef>),
    /// `EntityDefinitions(…)/Attributes[/Microsoft.Dynamics.CRM.<Type>AttributeMetadata]`
    Attributes {
        /// The table.
        entity: Arc<EntityDef>,
        /// The derived type cast to, if any.
        cast: Option<AttributeClass>,
    },
    /// `EntityDefinitions(…)/Attributes(LogicalName='name')[/cast]` or `Attributes(<MetadataId>)`
    Attribute {
        /// The table.
        entity: Arc<EntityDef>,
        /// The column (boxed: the largest part of the enum).
        attribute: Box<AttributeDef>,
        /// The derived type cast to, if any (always one the column is).
        cast: Option<AttributeClass>,
    },
    /// `EntityDefinitions(…)/Keys` or `Keys(LogicalName='x')` / `Keys(<MetadataId>)`
    Keys {
        /// The table.
        entity: Arc<EntityDef>,
        /// The one key addressed, by logical name.
        key: Option<String>,
    },
    /// `EntityDefinitions(…)/OneToManyRelationships` (or `ManyToOne…`, `ManyToMany…`), optionally `(SchemaName='x')`
    EntityRelationships {
        /// The table.
        entity: Arc<EntityDef>,
        /// Which collection.
        side: Side,
        /// The one relationship addressed.
        one: Option<RelationshipDef>,
    },
    /// `RelationshipDefinitions[/cast]`
    Relationships {
        /// The derived type cast to, if any.
        cast: Option<RelationshipKind>,
    },
    /// `RelationshipDefinitions(SchemaName='x')[/cast]` or `(<MetadataId>)`
    Relationship {
        /// The relationship.
        def: RelationshipDef,
        /// The derived type cast to, if any (always the relationship's own).
        cast: Option<RelationshipKind>,
    },
    /// `GlobalOptionSetDefinitions[/Microsoft.Dynamics.CRM.OptionSetMetadata]`
    OptionSets {
        /// Whether the path casts to `OptionSetMetadata` (the only type of global choice).
        cast: bool,
    },
    /// `GlobalOptionSetDefinitions(Name='x')[/cast]` or `(<MetadataId>)`
    OptionSet {
        /// The global choice.
        set: Arc<OptionSetDef>,
        /// Whether the path casts to `OptionSetMetadata`.
        cast: bool,
    },
}

/// Runs a metadata read.
pub(super) fn apply(ctx: &Ctx<'_, '_>, path: DefinitionPath) -> Result<Reply> {
    match path {
        DefinitionPath::Entities => entity_definitions::list(ctx),
        DefinitionPath::Entity(e) => entity_definitions::one(ctx, &e),
        DefinitionPath::Attributes { entity, cast } => attributes::list(ctx, &entity, cast),
        DefinitionPath::Attribute { entity, attribute, cast } => attributes::one(ctx, &entity, &attribute, cast),
        DefinitionPath::Keys { entity, key } => entity_definitions::keys(ctx, &entity, key.as_deref()),
        DefinitionPath::EntityRelationships { entity, side, one } => relationships::of_entity(ctx, &entity, side, one.as_ref()),
        DefinitionPath::Relationships { cast } => relationships::list(ctx, cast),
        DefinitionPath::Relationship { def, cast } => relationships::one(ctx, &def, cast),
        DefinitionPath::OptionSets { cast } => option_sets::list(ctx, cast),
        DefinitionPath::OptionSet { set, cast } => option_sets::one(ctx, &set, cast),
    }
}

/// A metadata key in parentheses: `(<MetadataId>)` or `(<name key>='x')`.
enum KeyRef<'a> {
    Id(Uuid),
    Name(&'a str),
}

fn key_ref<'a>(parens: &'a Parens, key_name: &str, type_name: &str) -> Result<KeyRef<'a>> {
    match parens {
        Parens::Single(Literal::Guid(id)) => Ok(KeyRef::Id(*id)),
        Parens::Named(pairs) => match pairs.as_slice() {
            [(name, Literal::String(value))] if name == key_name => Ok(KeyRef::Name(value)),
            _ => Err(Error::invalid_key(type_name)),
        },
        _ => Err(Error::invalid_key(type_name)),
    }
}

fn not_found(message: String) -> Error {
    Error::new(Code::ObjectDoesNotExist, message)
}

/// Routes `EntityDefinitions…`, `RelationshipDefinitions…` and `GlobalOptionSetDefinitions…`:
/// GETs are reads, the other methods writes (see [`write`](mod@write)).
pub fn route(method: &Method, segs: &[Segment], metadata: &Metadata) -> Result<Operation> {
    if method != Method::GET {
        return write::route(method, segs, || read_path(segs, metadata));
    }
    Ok(Operation::Definitions { path: Box::new(read_path(segs, metadata)?) })
}

/// The metadata resource a path names.
fn read_path(segs: &[Segment], metadata: &Metadata) -> Result<DefinitionPath> {
    let Some((Segment::Identifier { name, parens }, rest)) = segs.split_first() else {
        return Err(Error::internal("metadata route without a root segment"));
    };
    let parens = parens.as_ref().filter(|p| !matches!(p, Parens::Empty));
    let path = match (name.as_str(), parens) {
        ("EntityDefinitions", None) => only(rest, DefinitionPath::Entities)?,
        ("EntityDefinitions", Some(p)) => entity_path(find_entity(metadata, p)?, rest)?,
        ("RelationshipDefinitions", None) => match cast_segment(rest)? {
            None => DefinitionPath::Relationships { cast: None },
            Some(c) => DefinitionPath::Relationships { cast: Some(RelationshipKind::from_type_name(c).ok_or_else(|| Error::segment_not_found(c))?) },
        },
        ("RelationshipDefinitions", Some(p)) => {
            let def = find_relationship(metadata, p)?;
            let cast = cast_segment(rest)?.map(|c| RelationshipKind::from_type_name(c).filter(|k| *k == def.kind()).ok_or_else(|| Error::segment_not_found(c))).transpose()?;
            DefinitionPath::Relationship { def, cast }
        }
        ("GlobalOptionSetDefinitions", None) => DefinitionPath::OptionSets { cast: option_set_cast(rest)? },
        ("GlobalOptionSetDefinitions", Some(p)) => {
            let set = find_option_set(metadata, p)?;
            DefinitionPath::OptionSet { set, cast: option_set_cast(rest)? }
        }
        _ => return Err(Error::segment_not_found(name)),
    };
    Ok(path)
}

/// `path` when nothing follows, else the usual error for the first extra segment.
fn only(rest: &[Segment], path: DefinitionPath) -> Result<DefinitionPath> {
    match rest.first() {
        None => Ok(path),
        Some(seg) => Err(Error::segment_not_found(&segment_name(seg))),
    }
}

/// The cast after a collection or item: none, or one qualified identifier without parentheses.
fn cast_segment(rest: &[Segment]) -> Result<Option<&str>> {
    match rest {
        [] => Ok(None),
        [Segment::Identifier { name, parens: None }] => Ok(Some(name)),
        [seg, ..] => Err(Error::segment_not_found(&segment_name(seg))),
    }
}

fn segment_name(seg: &Segment) -> String {
    match seg {
        Segment::Identifier { name, .. } => name.clone(),
        Segment::Ref => "$ref".into(),
        Segment::Value => "$value".into(),
        Segment::Count => "$count".into(),
        Segment::Metadata => "$metadata".into(),
        Segment::Batch => "$batch".into(),
    }
}

fn find_entity(m: &Metadata, p: &Parens) -> Result<Arc<EntityDef>> {
    match key_ref(p, "LogicalName", "EntityMetadata")? {
        KeyRef::Name(n) => m.entity(&n.to_lowercase()).cloned().ok_or_else(|| {
            not_found(format!("Could not find an entity with name {n} and id 00000000-0000-0000-0000-000000000000."))
        }),
        KeyRef::Id(id) => m.entities().find(|e| defs::entity_id(e) == id).cloned().ok_or_else(|| not_found(format!("Could not find an entity with name  and id {id}."))),
    }
}

/// A global choice by `(Name='x')` or `(<MetadataId>)`, with Dataverse's messages when missing.
fn find_option_set(m: &Metadata, p: &Parens) -> Result<Arc<OptionSetDef>> {
    match key_ref(p, "Name", "OptionSetMetadataBase")? {
        KeyRef::Name(n) => m.option_set(n).cloned().ok_or_else(|| not_found(format!("An OptionSetMetadata with the name {n} does not exist."))),
        KeyRef::Id(id) => m
            .option_sets()
            .find(|s| option_set_id(&s.name) == id)
            .cloned()
            .ok_or_else(|| not_found(format!("Could not find optionset with optionset id: {id}"))),
    }
}

/// Whether what follows `GlobalOptionSetDefinitions[(…)]` is the `OptionSetMetadata` cast.
fn option_set_cast(rest: &[Segment]) -> Result<bool> {
    match cast_segment(rest)? {
        None => Ok(false),
        Some("Microsoft.Dynamics.CRM.OptionSetMetadata") => Ok(true),
        Some(other) => Err(Error::segment_not_found(other)),
    }
}

fn find_relationship(m: &Metadata, p: &Parens) -> Result<RelationshipDef> {
    let all = defs::relationships(m);
    let found = match key_ref(p, "SchemaName", "RelationshipMetadataBase")? {
        KeyRef::Name(n) => all.into_iter().find(|r| r.schema_name().eq_ignore_ascii_case(n)),
        KeyRef::Id(id) => all.into_iter().find(|r| defs::relationship_id(r.schema_name()) == id),
    };
    found.ok_or_else(|| not_found(format!("Could not find relationship {}.", describe(p))))
}

/// `'x'` or the GUID, for messages.
fn describe(p: &Parens) -> String {
    match p {
        Parens::Named(pairs) => pairs.iter().map(|(_, v)| v.to_string()).collect::<Vec<_>>().join(","),
        Parens::Single(v) => v.to_string(),
        Parens::Empty => String::new(),
    }
}

/// What follows `EntityDefinitions(…)`.
fn entity_path(entity: Arc<EntityDef>, rest: &[Segment]) -> Result<DefinitionPath> {
    let Some((Segment::Identifier { name, parens }, tail)) = rest.split_first() else {
        return only(rest, DefinitionPath::Entity(entity));
    };
    let parens = parens.as_ref().filter(|p| !matches!(p, Parens::Empty));
    match (name.as_str(), parens) {
        ("Attributes", None) => {
            let cast = cast_segment(tail)?.map(|c| AttributeClass::from_type_name(c).ok_or_else(|| Error::segment_not_found(c))).transpose()?;
            Ok(DefinitionPath::Attributes { entity, cast })
        }
        ("Attributes", Some(p)) => {
            let attribute = Box::new(find_attribute(&entity, p)?);
            let own = AttributeClass::of(attribute.kind);
            let cast = cast_segment(tail)?.map(|c| AttributeClass::from_type_name(c).filter(|k| own.is_a(*k)).ok_or_else(|| Error::segment_not_found(c))).transpose()?;
            Ok(DefinitionPath::Attribute { entity, attribute, cast })
        }
        ("Keys", p) => {
            let key = match p {
                None => None,
                Some(p) => Some(find_key(&entity, p)?),
            };
            only(tail, DefinitionPath::Keys { entity, key })
        }
        (nav, p) => {
            let side = Side::from_name(nav).ok_or_else(|| Error::segment_not_found(nav))?;
            let one = match p {
                None => None,
                Some(p) => Some(find_entity_relationship(&entity, side, p)?),
            };
            only(tail, DefinitionPath::EntityRelationships { entity, side, one })
        }
    }
}

fn find_attribute(e: &EntityDef, p: &Parens) -> Result<AttributeDef> {
    // The wording follows the platform's message for an unknown column on a record query.
    let (found, wanted) = match key_ref(p, "LogicalName", "AttributeMetadata")? {
        KeyRef::Name(n) => (e.attribute(&n.to_lowercase()), format!("Name = '{n}'")),
        KeyRef::Id(id) => (e.attributes.iter().find(|a| attribute_id(e, a) == id), format!("MetadataId = '{id}'")),
    };
    found.cloned().ok_or_else(|| not_found(format!("'{}' entity doesn't contain attribute with {wanted}.", e.logical_name)))
}

fn find_key(e: &EntityDef, p: &Parens) -> Result<String> {
    let found = match key_ref(p, "LogicalName", "EntityKeyMetadata")? {
        KeyRef::Name(n) => e.keys.iter().find(|k| k.logical_name.eq_ignore_ascii_case(n)),
        KeyRef::Id(id) => e.keys.iter().find(|k| defs::key_id(e, k) == id),
    };
    found.map(|k| k.logical_name.clone()).ok_or_else(|| not_found(format!("Could not find entity key {} on entity '{}'.", describe(p), e.logical_name)))
}

fn find_entity_relationship(e: &EntityDef, side: Side, p: &Parens) -> Result<RelationshipDef> {
    let all: Vec<RelationshipDef> = match side {
        Side::OneToMany => e.one_to_many.iter().cloned().map(RelationshipDef::OneToMany).collect(),
        Side::ManyToOne => e.many_to_one.iter().cloned().map(RelationshipDef::OneToMany).collect(),
        Side::ManyToMany => e.many_to_many.iter().cloned().map(RelationshipDef::ManyToMany).collect(),
    };
    let found = match key_ref(p, "SchemaName", "RelationshipMetadataBase")? {
        KeyRef::Name(n) => all.into_iter().find(|r| r.schema_name().eq_ignore_ascii_case(n)),
        KeyRef::Id(id) => all.into_iter().find(|r| defs::relationship_id(r.schema_name()) == id),
    };
    found.ok_or_else(|| not_found(format!("Could not find relationship {}.", describe(p))))
}
