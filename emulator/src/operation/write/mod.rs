//! The write pipeline every create, update, upsert, deep insert and seed record goes
//! through: decoded input → lookups resolved → defaults, system and computed columns →
//! validation → store. It runs inside a store transaction, so any error undoes the whole
//! request, nested records included.

mod columns;
pub mod files;
mod related;
mod validate;

pub use related::{associate, delete, disassociate};

use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{Code, Error, Result};
use crate::metadata::{EntityDef, SingleValued};
use crate::org::Org;
use crate::store::{Attributes, EntityRef, Record, Transaction, Value};
use crate::wire::input::{EntityInput, Field};

use super::target::{self, Locator};

/// Who writes, and when.
pub struct WriteContext<'a> {
    /// The org being written.
    pub org: &'a Org,
    /// The schema the request runs against.
    pub metadata: &'a crate::metadata::Metadata,
    /// The acting system user.
    pub caller: Uuid,
    /// The request's timestamp, shared by every record it writes.
    pub now: OffsetDateTime,
    /// Loading fixtures: the org's own data may set columns clients can't (isdefault, …).
    pub seeding: bool,
}

/// Whether a field is being applied to a new record or an existing one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Create,
    Update,
}

/// Resolves a bound record and checks the lookup may point at its table.
fn bind_target(tx: &Transaction<'_>, entity: &EntityDef, nav: &SingleValued, locator: &Locator) -> Result<EntityRef> {
    let allowed = match &nav.target {
        Some(t) => *t == locator.entity,
        None => entity.attribute(&nav.attribute).is_some_and(|a| a.targets.contains(&locator.entity)),
    };
    if !allowed {
        return Err(Error::new(
            Code::InvalidArgument,
            format!(
                "The navigation property '{}' of '{}' cannot refer to a record of type '{}'.",
                nav.nav, entity.logical_name, locator.entity
            ),
        ));
    }
    let id = target::resolve(tx.state(), locator).ok_or_else(|| target::not_found(locator))?;
    Ok(EntityRef { logical_name: (&locator.entity).into(), id })
}

/// Applies value and single-valued bind fields; returns the fields that need the record
/// to exist first (collection binds and collection deep inserts).
fn apply_fields(
    tx: &mut Transaction<'_>,
    w: &WriteContext<'_>,
    entity: &EntityDef,
    attrs: &mut Attributes,
    input: EntityInput,
    mode: Mode,
) -> Result<Vec<Field>> {
    let mut later = Vec::new();
    for field in input.fields {
        match field {
            Field::Value { attribute, value } => {
                let Some(attr) = entity.attribute(&attribute) else { continue };
                let writable = match mode {
                    Mode::Create => attr.valid_for_create,
                    Mode::Update => attr.valid_for_update,
                };
                // Read-only columns in a body are ignored, as the service does.
                if writable || w.seeding || (mode == Mode::Create && attribute == entity.primary_id) {
                    attrs.insert(attribute, value);
                }
            }
            Field::Bind { nav, target } => {
                let value = match target {
                    Some(l) => Value::Lookup(bind_target(tx, entity, &nav, &l)?),
                    None => Value::Null,
                };
                columns::set_lookup(entity, attrs, &nav.attribute, value);
            }
            Field::DeepSingle { nav, entity: target_entity, input } => {
                if mode == Mode::Update {
                    return Err(deep_update_error(&nav.nav));
                }
                let def = w.metadata.entity(&target_entity).ok_or_else(|| Error::internal("deep insert table"))?.clone();
                let created = create(tx, w, &def, None, input)?;
                columns::set_lookup(entity, attrs, &nav.attribute, Value::Lookup(EntityRef { logical_name: (&target_entity).into(), id: created.id }));
            }
            Field::DeepCollection { ref nav, .. } if mode == Mode::Update => return Err(deep_update_error(nav)),
            other => later.push(other),
        }
    }
    Ok(later)
}

fn deep_update_error(nav: &str) -> Error {
    Error::new(Code::BadRequest, format!("Deep update of the navigation property '{nav}' is not supported. Create related records separately or use @odata.bind."))
}

/// Creates a record. `id` comes from the URL (upsert); otherwise the body's primary key
/// or a new GUID is used.
pub fn create(tx: &mut Transaction<'_>, w: &WriteContext<'_>, entity: &EntityDef, id: Option<Uuid>, input: EntityInput) -> Result<Arc<Record>> {
    create_with(tx, w, entity, id, input, Vec::new())
}

/// [`create`] with extra column values that win over the body (the parent link of a deep
/// insert, or the key columns of an upsert by alternate key).
pub fn create_with(
    tx: &mut Transaction<'_>,
    w: &WriteContext<'_>,
    entity: &EntityDef,
    id: Option<Uuid>,
    input: EntityInput,
    extra: Vec<(String, Value)>,
) -> Result<Arc<Record>> {
    let id = id.or_else(|| input.primary_id(entity)).unwrap_or_else(|| w.org.ids.new_id());
    if tx.state().get(&entity.logical_name, id).is_some() {
        return Err(Error::new(Code::DuplicateRecord, "Cannot insert duplicate key."));
    }
    // Room for the defaults, the body and the dozen or so system columns, so the row is
    // allocated once.
    let mut attrs = Attributes::with_capacity(entity.two_option_defaults().len() + input.fields.len() + 16);
    columns::defaults(entity, &mut attrs);
    let status_given = mentions(&input, &extra, "statuscode");
    let later = apply_fields(tx, w, entity, &mut attrs, input, Mode::Create)?;
    for (name, value) in extra {
        columns::set_lookup(entity, &mut attrs, &name, value);
    }
    attrs.insert(entity.primary_id.clone(), Value::Guid(id));
    columns::on_create(w, entity, &mut attrs);
    columns::computed(entity, &mut attrs);
    columns::status_for_state(entity, &mut attrs, status_given, true);
    files::sync_attachment(entity, None, &mut attrs)?;
    files::sync_images(tx, w, entity, id, None, &mut attrs)?;
    validate::record(entity, &attrs, id)?;
    let version = tx.next_version();
    columns::set_version(entity, &mut attrs, version);
    let record = tx.put(&entity.logical_name, Record { id, version, attributes: attrs })?;
    related::apply_later(tx, w, entity, &record, later)?;
    Ok(record)
}

/// Whether a write names a column, in its body or its extra values.
fn mentions(input: &EntityInput, extra: &[(String, Value)], column: &str) -> bool {
    extra.iter().any(|(n, _)| n == column) || input.fields.iter().any(|f| matches!(f, Field::Value { attribute, .. } if attribute == column))
}

/// Updates an existing record with a client's fields: a closed activity refuses anything
/// but being reopened. (System updates, such as a cascade clearing a lookup, go through
/// [`update_with`] and aren't refused.)
pub fn update(tx: &mut Transaction<'_>, w: &WriteContext<'_>, entity: &EntityDef, existing: &Record, input: EntityInput) -> Result<Arc<Record>> {
    if !w.seeding {
        validate::closed_activity(entity, existing, &input)?;
    }
    update_with(tx, w, entity, existing, input, Vec::new())
}

/// [`update`] with extra column values applied after the body's.
pub fn update_with(
    tx: &mut Transaction<'_>,
    w: &WriteContext<'_>,
    entity: &EntityDef,
    existing: &Record,
    input: EntityInput,
    extra: Vec<(String, Value)>,
) -> Result<Arc<Record>> {
    let mut attrs = existing.attributes.clone();
    let (state_given, status_given) = (mentions(&input, &extra, "statecode"), mentions(&input, &extra, "statuscode"));
    let later = apply_fields(tx, w, entity, &mut attrs, input, Mode::Update)?;
    for (name, value) in extra {
        columns::set_lookup(entity, &mut attrs, &name, value);
    }
    columns::on_update(w, entity, &mut attrs);
    columns::computed(entity, &mut attrs);
    columns::status_for_state(entity, &mut attrs, status_given, state_given);
    files::sync_attachment(entity, Some(&existing.attributes), &mut attrs)?;
    files::sync_images(tx, w, entity, existing.id, Some(&existing.attributes), &mut attrs)?;
    validate::record(entity, &attrs, existing.id)?;
    let version = tx.next_version();
    columns::set_version(entity, &mut attrs, version);
    let record = tx.put(&entity.logical_name, Record { id: existing.id, version, attributes: attrs })?;
    related::apply_later(tx, w, entity, &record, later)?;
    Ok(record)
}
