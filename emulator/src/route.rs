//! Maps method + resource path to an [`Operation`]. No business logic here: just which
//! Dataverse message a request is, with its target resolved against metadata.

use std::sync::Arc;

use http::Method;
use odata_parser::ast::{ResourcePath, Segment};

use crate::error::{Error, Result};
use crate::metadata::{EntityDef, Metadata, Navigation};
use crate::operation::message::{self, Target};
use crate::operation::target::{key_from_parens, Key};
use crate::operation::Operation;

/// A record addressed by the URL: its table and key.
#[derive(Debug, Clone)]
pub struct RecordPath {
    /// The table.
    pub entity: Arc<EntityDef>,
    /// The key in the URL.
    pub key: Key,
}

fn entity_set(metadata: &Metadata, name: &str) -> Result<Arc<EntityDef>> {
    metadata.entity_by_set(name).cloned().ok_or_else(|| Error::segment_not_found(name))
}

/// Routes a parsed path. `url` is used only in messages.
pub fn route(method: &Method, path: &ResourcePath, metadata: &Metadata, url: &str) -> Result<Operation> {
    use Segment::*;
    let not_allowed = || Error::method_not_allowed(method, url);
    let segs = path.segments.as_slice();
    match segs {
        [] => match *method {
            Method::GET => Ok(Operation::ServiceDocument),
            _ => Err(not_allowed()),
        },
        [Identifier { name, parens: None | Some(odata_parser::ast::Parens::Empty) }] if name == "CreateEntities" => match *method {
            Method::POST => Ok(Operation::SchemaWrite { write: Box::new(crate::operation::metadata::write::SchemaWrite::CreateEntities) }),
            _ => Err(not_allowed()),
        },
        // Functions and actions: unbound at the root, bound after a set or a record.
        [Identifier { name, parens }] if message::is_unbound(metadata, name) => message::route_unbound(metadata, method, name, parens.as_ref(), url),
        [Identifier { name: set, parens }, Identifier { name, parens: call }]
            if name.starts_with(message::NAMESPACE) && !crate::operation::metadata::DEFINITION_SETS.contains(&set.as_str()) =>
        {
            let entity = entity_set(metadata, set)?;
            let target = match parens {
                None => Target::Set(entity),
                Some(p) => Target::Record(RecordPath { key: key_from_parens(&entity, p)?, entity }),
            };
            message::route_bound(metadata, method, name, call.as_ref(), target, url)
        }
        [Identifier { name: set, .. }, Identifier { name, .. }, ..]
            if name.starts_with(message::NAMESPACE) && !crate::operation::metadata::DEFINITION_SETS.contains(&set.as_str()) =>
        {
            Err(Error::segment_not_found(name))
        }
        [Batch] => match *method {
            Method::POST => Ok(Operation::Batch),
            _ => Err(not_allowed()),
        },
        [Metadata] => match *method {
            Method::GET => Ok(Operation::Metadata),
            _ => Err(not_allowed()),
        },
        [Metadata, ..] => Err(Error::segment_not_found("$metadata")),
        [Identifier { name, .. }, ..] if crate::operation::metadata::DEFINITION_SETS.contains(&name.as_str()) => {
            crate::operation::metadata::route(method, segs, metadata)
        }
        [Batch, ..] => Err(Error::segment_not_found("$batch")),
        [Identifier { name, parens: None }] => {
            let entity = entity_set(metadata, name)?;
            match *method {
                Method::GET => Ok(Operation::RetrieveMultiple { entity }),
                Method::POST => Ok(Operation::Create { entity }),
                _ => Err(not_allowed()),
            }
        }
        [Identifier { name, parens: None }, Count] => {
            let entity = entity_set(metadata, name)?;
            match *method {
                Method::GET => Ok(Operation::Count { entity }),
                _ => Err(not_allowed()),
            }
        }
        [Identifier { name, parens: Some(parens) }, rest @ ..] => {
            let entity = entity_set(metadata, name)?;
            let key = key_from_parens(&entity, parens)?;
            let record = RecordPath { entity, key };
            route_record(method, record, rest, metadata, url)
        }
        [Identifier { name, .. }, ..] => Err(Error::segment_not_found(name)),
        [Ref, ..] => Err(Error::segment_not_found("$ref")),
        [Value, ..] => Err(Error::segment_not_found("$value")),
        [Count, ..] => Err(Error::segment_not_found("$count")),
    }
}

fn route_record(method: &Method, record: RecordPath, rest: &[Segment], metadata: &Metadata, url: &str) -> Result<Operation> {
    use Segment::*;
    let not_allowed = || Error::method_not_allowed(method, url);
    match rest {
        [] => match *method {
            Method::GET => Ok(Operation::Retrieve { record }),
            Method::PATCH => Ok(Operation::Upsert { record }),
            Method::DELETE => Ok(Operation::Delete { record }),
            _ => Err(not_allowed()),
        },
        [Identifier { name, parens }, tail @ ..] => {
            let entity = record.entity.clone();
            if let Some(attr) = entity.property(name) {
                if parens.is_some() {
                    return Err(Error::segment_not_found(name));
                }
                let raw = match tail {
                    [] => false,
                    [Value] => true,
                    _ => return Err(Error::segment_not_found(&tail_name(tail))),
                };
                let attribute = attr.logical_name.clone();
                if crate::operation::file::is_file_column(attr) {
                    return match (method.clone(), raw) {
                        (Method::GET, _) | (Method::PATCH | Method::PUT | Method::DELETE, false) => Ok(Operation::FileColumn { record, attribute, raw }),
                        _ => Err(not_allowed()),
                    };
                }
                return match (method.clone(), raw) {
                    (Method::GET, raw) => Ok(Operation::GetProperty { record, attribute, raw }),
                    (Method::PUT, false) => Ok(Operation::PutProperty { record, attribute }),
                    (Method::DELETE, false) => Ok(Operation::DeleteProperty { record, attribute }),
                    _ => Err(not_allowed()),
                };
            }
            let Some(nav) = entity.navigation(metadata, name) else {
                return Err(Error::segment_not_found(name));
            };
            let collection = !matches!(nav, Navigation::Single(_));
            let nav = name.clone();
            match (tail, parens) {
                ([], None) => match *method {
                    Method::GET => Ok(Operation::RetrieveRelated { record, nav }),
                    _ => Err(not_allowed()),
                },
                ([Ref], None) => match (method.clone(), collection) {
                    (Method::GET, _) => Ok(Operation::GetRef { record, nav }),
                    (Method::POST, true) | (Method::PUT, false) => Ok(Operation::Associate { record, nav }),
                    (Method::DELETE, _) => Ok(Operation::Disassociate { record, nav, related: None }),
                    _ => Err(not_allowed()),
                },
                ([Count], None) if collection => match *method {
                    Method::GET => Ok(Operation::CountRelated { record, nav }),
                    _ => Err(not_allowed()),
                },
                ([Ref], Some(p)) if collection => match *method {
                    Method::DELETE => Ok(Operation::Disassociate { record, nav, related: Some(p.clone()) }),
                    _ => Err(not_allowed()),
                },
                _ => Err(Error::segment_not_found(&tail_name(tail))),
            }
        }
        [Ref, ..] => Err(Error::segment_not_found("$ref")),
        other => Err(Error::segment_not_found(&tail_name(other))),
    }
}

fn tail_name(segs: &[Segment]) -> String {
    match segs.first() {
        Some(Segment::Identifier { name, .. }) => name.clone(),
        Some(Segment::Ref) => "$ref".into(),
        Some(Segment::Value) => "$value".into(),
        Some(Segment::Count) => "$count".into(),
        Some(Segment::Metadata) => "$metadata".into(),
        Some(Segment::Batch) => "$batch".into(),
        None => String::new(),
    }
}
