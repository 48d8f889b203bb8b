//! Writes that touch more than one record: deep inserts under a new record, collection
//! binds, associate/disassociate, and delete with its cascades.

use std::sync::Arc;

use uuid::Uuid;

use crate::error::{Code, Error, Result};
use crate::metadata::{EntityDef, Navigation};
use crate::store::{EntityRef, Record, Transaction, Value};
use crate::wire::input::{EntityInput, Field};

use super::super::target::{self, Locator};
use super::{create_with, update_with, WriteContext};

fn parent_ref(entity: &EntityDef, record: &Record) -> Value {
    Value::Lookup(EntityRef { logical_name: (&entity.logical_name).into(), id: record.id })
}

/// The pair as stored for an N:N relationship: (entity1 id, entity2 id).
fn pair(rel_entity1: &str, this: &EntityDef, this_id: Uuid, other_id: Uuid) -> (Uuid, Uuid) {
    if rel_entity1 == this.logical_name {
        (this_id, other_id)
    } else {
        (other_id, this_id)
    }
}

/// Fields that need the record to exist: collection deep inserts and collection binds.
pub(super) fn apply_later(tx: &mut Transaction<'_>, w: &WriteContext<'_>, entity: &EntityDef, record: &Arc<Record>, later: Vec<Field>) -> Result<()> {
    for field in later {
        match field {
            Field::DeepCollection { nav, entity: child, items } => {
                let child_def = w.metadata.entity(&child).ok_or_else(|| Error::internal("deep insert child table"))?.clone();
                for item in items {
                    match entity.navigation(w.metadata, &nav) {
                        Some(Navigation::OneToMany(rel)) => {
                            let link = vec![(rel.referencing_attribute.clone(), parent_ref(entity, record))];
                            create_with(tx, w, &child_def, None, item, link)?;
                        }
                        Some(Navigation::ManyToMany { rel, .. }) => {
                            let created = create_with(tx, w, &child_def, None, item, Vec::new())?;
                            let schema = rel.schema_name.clone();
                            let p = pair(&rel.entity1, entity, record.id, created.id);
                            tx.set_association(&schema, p, true);
                        }
                        _ => return Err(Error::internal("deep insert through a non-collection navigation")),
                    }
                }
            }
            Field::CollectionBind { nav, targets } => {
                for t in targets {
                    associate(tx, w, entity, record.id, &nav, &t)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Associates `related` with the record through a navigation property: sets the child's
/// lookup (1:N), sets this record's lookup (single-valued), or adds the N:N pair.
pub fn associate(tx: &mut Transaction<'_>, w: &WriteContext<'_>, entity: &EntityDef, id: Uuid, nav: &str, related: &Locator) -> Result<()> {
    let metadata = w.metadata;
    let nav_def = entity.navigation(metadata, nav).ok_or_else(|| Error::segment_not_found(nav))?;
    let related_id = target::resolve(tx.state(), related).ok_or_else(|| target::not_found(related))?;
    let this = tx.state().get(&entity.logical_name, id).cloned().ok_or_else(|| Error::not_found(&entity.logical_name, id))?;
    match nav_def {
        Navigation::OneToMany(rel) => {
            if rel.referencing_entity != related.entity {
                return Err(wrong_table(nav, &related.entity));
            }
            let child_def = metadata.entity(&rel.referencing_entity).ok_or_else(|| Error::internal("child table"))?;
            let child = tx.state().get(&rel.referencing_entity, related_id).cloned().ok_or_else(|| target::not_found(related))?;
            let link = vec![(rel.referencing_attribute.clone(), parent_ref(entity, &this))];
            update_with(tx, w, child_def, &child, EntityInput::default(), link)?;
        }
        Navigation::Single(single) => {
            let allowed = match &single.target {
                Some(t) => *t == related.entity,
                None => entity.attribute(&single.attribute).is_some_and(|a| a.targets.contains(&related.entity)),
            };
            if !allowed {
                return Err(wrong_table(nav, &related.entity));
            }
            let value = Value::Lookup(EntityRef { logical_name: (&related.entity).into(), id: related_id });
            update_with(tx, w, entity, &this, EntityInput::default(), vec![(single.attribute, value)])?;
        }
        Navigation::ManyToMany { rel, other } => {
            if other != related.entity {
                return Err(wrong_table(nav, &related.entity));
            }
            let schema = rel.schema_name.clone();
            let p = pair(&rel.entity1, entity, id, related_id);
            if !tx.set_association(&schema, p, true) {
                return Err(Error::new(Code::DuplicateRecord, "Cannot insert duplicate key."));
            }
        }
    }
    Ok(())
}

fn wrong_table(nav: &str, table: &str) -> Error {
    Error::new(Code::InvalidArgument, format!("The navigation property '{nav}' cannot refer to a record of type '{table}'."))
}

/// Removes an association. `related` is required for collection-valued properties and
/// ignored for single-valued ones (which are simply cleared).
pub fn disassociate(tx: &mut Transaction<'_>, w: &WriteContext<'_>, entity: &EntityDef, id: Uuid, nav: &str, related: Option<&Locator>) -> Result<()> {
    let metadata = w.metadata;
    let nav_def = entity.navigation(metadata, nav).ok_or_else(|| Error::segment_not_found(nav))?;
    let this = tx.state().get(&entity.logical_name, id).cloned().ok_or_else(|| Error::not_found(&entity.logical_name, id))?;
    let need_related = || Error::new(Code::BadRequest, format!("The navigation property '{nav}' is collection-valued; give the related record's key or a $id."));
    match nav_def {
        Navigation::Single(single) => {
            update_with(tx, w, entity, &this, EntityInput::default(), vec![(single.attribute, Value::Null)])?;
        }
        Navigation::OneToMany(rel) => {
            let related = related.ok_or_else(need_related)?;
            let related_id = target::resolve(tx.state(), related).ok_or_else(|| target::not_found(related))?;
            let child_def = metadata.entity(&rel.referencing_entity).ok_or_else(|| Error::internal("child table"))?;
            let child = tx.state().get(&rel.referencing_entity, related_id).cloned().ok_or_else(|| target::not_found(related))?;
            if child.get(&rel.referencing_attribute).as_ref().map(|r| r.id) != Some(id) {
                return Err(Error::not_found(&rel.referencing_entity, related_id));
            }
            update_with(tx, w, child_def, &child, EntityInput::default(), vec![(rel.referencing_attribute.clone(), Value::Null)])?;
        }
        Navigation::ManyToMany { rel, .. } => {
            let related = related.ok_or_else(need_related)?;
            let related_id = target::resolve(tx.state(), related).ok_or_else(|| target::not_found(related))?;
            let schema = rel.schema_name.clone();
            let p = pair(&rel.entity1, entity, id, related_id);
            if !tx.set_association(&schema, p, false) {
                return Err(Error::not_found(&related.entity, related_id));
            }
        }
    }
    Ok(())
}

/// Deletes a record and applies each 1:N relationship's delete cascade: `Cascade`
/// deletes children, `RemoveLink` clears their lookup, `Restrict` refuses the delete.
/// N:N pairs, stored files and, for activities, activity parties go with the record.
pub fn delete(tx: &mut Transaction<'_>, w: &WriteContext<'_>, entity: &EntityDef, id: Uuid) -> Result<()> {
    if tx.remove(&entity.logical_name, id).is_none() {
        return Err(Error::not_found(&entity.logical_name, id));
    }
    tx.remove_files(&entity.logical_name, id);
    let metadata = w.metadata;
    for rel in &entity.one_to_many {
        let Some(child_def) = metadata.entity(&rel.referencing_entity) else { continue };
        // The lookup column's equality index finds the children without a table scan.
        let state = tx.state();
        let children: Vec<Arc<Record>> = state
            .table(&rel.referencing_entity)
            .map(|t| t.equal(&rel.referencing_attribute, &id.to_string()))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|child| state.get(&rel.referencing_entity, child))
            .filter(|r| r.get(&rel.referencing_attribute).as_ref().is_some_and(|v| v.id == id && v.logical_name == entity.logical_name))
            .cloned()
            .collect();
        for child in children {
            let cascade = if entity.is_activity && rel.referencing_entity == "activityparty" { "Cascade" } else { rel.cascade_delete.as_str() };
            match cascade {
                "Cascade" => {
                    if tx.state().get(&rel.referencing_entity, child.id).is_some() {
                        delete(tx, w, child_def, child.id)?;
                    }
                }
                "Restrict" => {
                    return Err(Error::new(
                        Code::CannotDeleteDueToAssociation,
                        format!("The object you tried to delete is associated with another object and cannot be deleted. ({})", rel.schema_name),
                    ))
                }
                _ => {
                    if let Some(current) = tx.state().get(&rel.referencing_entity, child.id).cloned() {
                        update_with(tx, w, child_def, &current, EntityInput::default(), vec![(rel.referencing_attribute.clone(), Value::Null)])?;
                    }
                }
            }
        }
    }
    for rel in &entity.many_to_many {
        let pairs: Vec<(Uuid, Uuid)> = tx
            .state()
            .associations(&rel.schema_name)
            .filter(|(a, b)| (rel.entity1 == entity.logical_name && *a == id) || (rel.entity2 == entity.logical_name && *b == id))
            .copied()
            .collect();
        for p in pairs {
            tx.set_association(&rel.schema_name, p, false);
        }
    }
    Ok(())
}
