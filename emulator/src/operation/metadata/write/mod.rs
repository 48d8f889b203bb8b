//! The metadata endpoints, write side: creating, changing and deleting tables
//! (`EntityDefinitions`, and the `CreateEntities` action the Python SDK uses), columns
//! (`…/Attributes`), alternate keys (`…/Keys`), relationships (`RelationshipDefinitions`)
//! and global choices (`GlobalOptionSetDefinitions`).
//!
//! Every write works the same way (`commit`): inside one store transaction it copies the
//! current schema, changes the copy, and hands it to the store, which adds or drops the
//! tables' storage and re-indexes keys. The new schema is published only when the
//! transaction commits, so a failing definition changes nothing, and the next request
//! (including `$metadata`, whose cache is keyed on the schema's generation) sees it at once.

mod body;
mod column;
mod key;
mod names;
pub mod option_set;
mod relationship;
mod table;

use std::sync::Arc;

use http::{Method, StatusCode};
use odata_parser::ast::{Parens, Segment};

use crate::error::{Code, Error, Result};
use crate::metadata::definitions::RelationshipDef;
use crate::metadata::{AttributeDef, EntityDef, Metadata, OptionSetDef};
use crate::operation::{Ctx, Operation};
use crate::wire::response::Reply;

/// A metadata write, with its target resolved against the schema.
#[derive(Debug)]
pub enum SchemaWrite {
    /// `POST EntityDefinitions`
    CreateEntity,
    /// `POST CreateEntities`: several tables (the `Complex*` metadata shapes) at once.
    CreateEntities,
    /// `PUT EntityDefinitions(…)`
    UpdateEntity(Arc<EntityDef>),
    /// `DELETE EntityDefinitions(…)`
    DeleteEntity(Arc<EntityDef>),
    /// `POST EntityDefinitions(…)/Attributes`
    CreateAttribute(Arc<EntityDef>),
    /// `PUT EntityDefinitions(…)/Attributes(…)`
    UpdateAttribute(Arc<EntityDef>, AttributeDef),
    /// `DELETE EntityDefinitions(…)/Attributes(…)`
    DeleteAttribute(Arc<EntityDef>, AttributeDef),
    /// `POST EntityDefinitions(…)/Keys`
    CreateKey(Arc<EntityDef>),
    /// `DELETE EntityDefinitions(…)/Keys(…)`: the table and the key's logical name.
    DeleteKey(Arc<EntityDef>, String),
    /// `POST RelationshipDefinitions`
    CreateRelationship,
    /// `PUT RelationshipDefinitions(…)`
    UpdateRelationship(RelationshipDef),
    /// `DELETE RelationshipDefinitions(…)`
    DeleteRelationship(RelationshipDef),
    /// `POST GlobalOptionSetDefinitions`
    CreateOptionSet,
    /// `PUT GlobalOptionSetDefinitions(…)`
    UpdateOptionSet(Arc<OptionSetDef>),
    /// `DELETE GlobalOptionSetDefinitions(…)`
    DeleteOptionSet(Arc<OptionSetDef>),
}

/// Routes a non-GET request on a metadata resource. `read_path` resolves the same path the
/// way a GET would (so unknown tables, columns and keys get the read side's 404s).
pub(super) fn route(method: &Method, segs: &[Segment], read_path: impl FnOnce() -> Result<super::DefinitionPath>) -> Result<Operation> {
    use super::DefinitionPath as P;
    let root = match segs.first() {
        Some(Segment::Identifier { name, parens }) => (name.as_str(), parens.as_ref().is_some_and(|p| !matches!(p, Parens::Empty))),
        _ => return Err(Error::internal("metadata route without a root segment")),
    };
    let write = match (method.clone(), root, segs.len()) {
        (Method::POST, ("EntityDefinitions", false), 1) => SchemaWrite::CreateEntity,
        (Method::POST, ("RelationshipDefinitions", false), 1) => SchemaWrite::CreateRelationship,
        (Method::POST, ("GlobalOptionSetDefinitions", false), 1) => SchemaWrite::CreateOptionSet,
        (Method::POST, ("EntityDefinitions", true), 2) => match &segs[1] {
            Segment::Identifier { name, parens: None | Some(Parens::Empty) } if name == "Attributes" || name == "Keys" => {
                let entity = match read_path()? {
                    P::Attributes { entity, .. } | P::Keys { entity, .. } => entity,
                    _ => return Err(Error::internal("metadata write path")),
                };
                if name == "Attributes" { SchemaWrite::CreateAttribute(entity) } else { SchemaWrite::CreateKey(entity) }
            }
            _ => return Err(method_not_allowed(method)),
        },
        (Method::PUT | Method::DELETE, _, _) => match (read_path()?, method == Method::PUT) {
            (P::Entity(e), true) => SchemaWrite::UpdateEntity(e),
            (P::Entity(e), false) => SchemaWrite::DeleteEntity(e),
            (P::Attribute { entity, attribute, .. }, true) => SchemaWrite::UpdateAttribute(entity, *attribute),
            (P::Attribute { entity, attribute, .. }, false) => SchemaWrite::DeleteAttribute(entity, *attribute),
            (P::Keys { entity, key: Some(key) }, false) => SchemaWrite::DeleteKey(entity, key),
            (P::Relationship { def, .. }, false) => SchemaWrite::DeleteRelationship(def),
            (P::Relationship { def, .. }, true) => SchemaWrite::UpdateRelationship(def),
            (P::OptionSet { set, .. }, true) => SchemaWrite::UpdateOptionSet(set),
            (P::OptionSet { set, .. }, false) => SchemaWrite::DeleteOptionSet(set),
            _ => return Err(method_not_allowed(method)),
        },
        _ => return Err(method_not_allowed(method)),
    };
    Ok(Operation::SchemaWrite { write: Box::new(write) })
}

fn method_not_allowed(method: &Method) -> Error {
    Error::new(Code::MethodNotAllowed, format!("The requested resource does not support http method '{method}'."))
}

/// Runs a metadata write.
pub(crate) fn apply(ctx: &Ctx<'_, '_>, write: SchemaWrite) -> Result<Reply> {
    let location = match write {
        SchemaWrite::CreateEntity => table::create(ctx)?,
        SchemaWrite::CreateEntities => {
            table::create_many(ctx)?;
            return Ok(Reply::empty(StatusCode::NO_CONTENT));
        }
        SchemaWrite::UpdateEntity(e) => return table::update(ctx, &e).map(|()| Reply::empty(StatusCode::NO_CONTENT)),
        SchemaWrite::DeleteEntity(e) => return table::delete(ctx, &e).map(|()| Reply::empty(StatusCode::NO_CONTENT)),
        SchemaWrite::CreateAttribute(e) => column::create(ctx, &e)?,
        SchemaWrite::UpdateAttribute(e, a) => return column::update(ctx, &e, &a).map(|()| Reply::empty(StatusCode::NO_CONTENT)),
        SchemaWrite::DeleteAttribute(e, a) => return column::delete(ctx, &e, &a).map(|()| Reply::empty(StatusCode::NO_CONTENT)),
        SchemaWrite::CreateKey(e) => key::create(ctx, &e)?,
        SchemaWrite::DeleteKey(e, k) => return key::delete(ctx, &e, &k).map(|()| Reply::empty(StatusCode::NO_CONTENT)),
        SchemaWrite::CreateRelationship => relationship::create(ctx)?,
        SchemaWrite::UpdateRelationship(r) => return relationship::update(ctx, &r).map(|()| Reply::empty(StatusCode::NO_CONTENT)),
        SchemaWrite::DeleteRelationship(r) => return relationship::delete(ctx, &r).map(|()| Reply::empty(StatusCode::NO_CONTENT)),
        SchemaWrite::CreateOptionSet => option_set::create(ctx)?,
        SchemaWrite::UpdateOptionSet(s) => return option_set::update(ctx, &s).map(|()| Reply::empty(StatusCode::NO_CONTENT)),
        SchemaWrite::DeleteOptionSet(s) => return option_set::delete(ctx, &s).map(|()| Reply::empty(StatusCode::NO_CONTENT)),
    };
    Ok(Reply::empty(StatusCode::NO_CONTENT).header("odata-entityid", location))
}

/// Applies `change` to a copy of the current schema and swaps it in, atomically with the
/// storage changes it implies (see [`crate::store::Transaction::set_metadata`]).
fn commit<T>(ctx: &Ctx<'_, '_>, change: impl FnOnce(&mut Metadata) -> Result<T>) -> Result<T> {
    ctx.access.write(|tx| {
        let mut schema = (*tx.metadata()).clone();
        let out = change(&mut schema)?;
        schema.touch();
        tx.set_metadata(schema)?;
        Ok(out)
    })
}

/// The table by logical name in the schema being changed (it may have gone since routing).
fn entity_mut<'m>(m: &'m mut Metadata, logical_name: &str) -> Result<&'m mut EntityDef> {
    m.entity_mut(logical_name).ok_or_else(|| missing_table(logical_name))
}

/// Dataverse's answer for a table that doesn't exist.
fn missing_table(logical_name: &str) -> Error {
    Error::new(Code::ObjectDoesNotExist, format!("Could not find an entity with name {logical_name} and id 00000000-0000-0000-0000-000000000000."))
}

/// A schema addition, in the body shape of the Web API request that makes it: what fixture
/// layers declare, applied by the same code as those requests so a fixture table is exactly
/// what `POST EntityDefinitions` would have made.
#[derive(Debug, Clone, Copy)]
pub enum Addition<'a> {
    /// `POST GlobalOptionSetDefinitions` (`OptionSetMetadata`).
    OptionSet,
    /// `POST EntityDefinitions` (`EntityMetadata` with its `Attributes`).
    Table,
    /// `POST EntityDefinitions(LogicalName='…')/Attributes` on this table.
    Column(&'a str),
    /// `POST RelationshipDefinitions` (1:N with its `Lookup`, or N:N).
    Relationship,
    /// `POST EntityDefinitions(LogicalName='…')/Keys` on this table.
    Key(&'a str),
}

/// Applies one addition to `m` (a copy of the schema the caller hands to the store).
pub fn add(m: &mut Metadata, what: Addition<'_>, map: &serde_json::Map<String, serde_json::Value>) -> Result<()> {
    match what {
        Addition::OptionSet => option_set::add(m, map).map(drop),
        Addition::Table => table::add_table(m, map).map(drop),
        Addition::Column(t) => column::add_from_body(m, &t.to_lowercase(), map).map(drop),
        Addition::Relationship => relationship::add(m, map).map(drop),
        Addition::Key(t) => key::add(m, &t.to_lowercase(), map).map(drop),
    }
}
