//! One Dataverse message per file. [`route`](crate::route) picks the [`Operation`];
//! [`Operation::apply`] runs it against the org with the request's [`Ctx`] and returns
//! the reply. Operations don't touch hyper types beyond headers and body bytes.

pub mod access;
mod associate;
mod batch;
mod create;
mod delete;
mod fetch;
pub mod file;
pub mod message;
pub mod metadata;
mod property;
mod retrieve;
mod retrieve_multiple;
mod service_document;
mod track_changes;
pub mod target;
mod update;
pub mod write;

use http::{HeaderMap, Method};
use odata_parser::ast::{Parens, QueryOptions, SelectItem};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::metadata::EntityDef;
use crate::org::Org;
use crate::route::RecordPath;
use crate::store::State;
use crate::wire::headers::Preferences;
use crate::wire::json::Renderer;
use crate::wire::response::Reply;
use std::sync::Arc;

/// Every message the emulator answers, with its routed target.
#[derive(Debug)]
pub enum Operation {
    /// `GET /` — the entity sets.
    ServiceDocument,
    /// A function or action: `GET WhoAmI`, `POST /accounts/Microsoft.Dynamics.CRM.CreateMultiple`, …
    Message {
        /// The message's descriptor.
        message: &'static message::Message,
        /// The record or set it is bound to.
        target: message::Target,
        /// Function parameters from the path (`Name(P=@p1)`).
        parens: Option<Parens>,
    },
    /// `GET $metadata`: the CSDL document.
    Metadata,
    /// `GET EntityDefinitions…`, `RelationshipDefinitions…`, `GlobalOptionSetDefinitions…`
    Definitions {
        /// The metadata resource, resolved against the catalog (boxed: it is much larger
        /// than the other variants).
        path: Box<metadata::DefinitionPath>,
    },
    /// `POST`/`PUT`/`DELETE` on metadata, and `POST CreateEntities`: schema changes.
    SchemaWrite {
        /// The change, with its target resolved (boxed like `Definitions`).
        write: Box<metadata::write::SchemaWrite>,
    },
    /// `POST $batch`
    Batch,
    /// `POST /accounts`
    Create {
        /// The table.
        entity: Arc<EntityDef>,
    },
    /// `GET /accounts`
    RetrieveMultiple {
        /// The table.
        entity: Arc<EntityDef>,
    },
    /// `GET /accounts/$count`
    Count {
        /// The table.
        entity: Arc<EntityDef>,
    },
    /// `GET /accounts(id)`
    Retrieve {
        /// The record.
        record: RecordPath,
    },
    /// `PATCH /accounts(id)`: update, or create when missing.
    Upsert {
        /// The record.
        record: RecordPath,
    },
    /// `DELETE /accounts(id)`
    Delete {
        /// The record.
        record: RecordPath,
    },
    /// `GET /accounts(id)/name[/$value]`
    GetProperty {
        /// The record.
        record: RecordPath,
        /// Column logical name.
        attribute: String,
        /// `/$value`: the raw value.
        raw: bool,
    },
    /// `PUT /accounts(id)/name`
    PutProperty {
        /// The record.
        record: RecordPath,
        /// Column logical name.
        attribute: String,
    },
    /// `DELETE /accounts(id)/description`
    DeleteProperty {
        /// The record.
        record: RecordPath,
        /// Column logical name.
        attribute: String,
    },
    /// `GET`/`PATCH`/`PUT`/`DELETE /accounts(id)/new_document[/$value]`: a file or image
    /// column's contents (uploads, chunked uploads, downloads).
    FileColumn {
        /// The record.
        record: RecordPath,
        /// Column logical name.
        attribute: String,
        /// `/$value`: the raw bytes.
        raw: bool,
    },
    /// `GET /accounts(id)/primarycontactid` or `/contact_customer_accounts`
    RetrieveRelated {
        /// The record.
        record: RecordPath,
        /// Navigation property.
        nav: String,
    },
    /// `GET /accounts(id)/contact_customer_accounts/$count`
    CountRelated {
        /// The record.
        record: RecordPath,
        /// Collection-valued navigation property.
        nav: String,
    },
    /// `GET /accounts(id)/nav/$ref`
    GetRef {
        /// The record.
        record: RecordPath,
        /// Navigation property.
        nav: String,
    },
    /// `POST …/collectionnav/$ref` or `PUT …/singlenav/$ref`
    Associate {
        /// The record.
        record: RecordPath,
        /// Navigation property.
        nav: String,
    },
    /// `DELETE …/nav/$ref`, `DELETE …/nav(id)/$ref`, `DELETE …/nav/$ref?$id=…`
    Disassociate {
        /// The record.
        record: RecordPath,
        /// Navigation property.
        nav: String,
        /// The related record's key, when given in the path.
        related: Option<Parens>,
    },
}

/// What an operation knows about its request.
pub struct Ctx<'a, 't> {
    /// The org addressed.
    pub org: &'a Org,
    /// The org's schema, as of the start of this request (or as the open changeset has
    /// changed it): one snapshot for the whole request.
    pub metadata: Arc<crate::metadata::Metadata>,
    /// The org's store, or the open transaction of the changeset this request belongs to.
    pub access: access::Access<'a, 't>,
    /// HTTP method.
    pub method: &'a Method,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// Request body.
    pub body: &'a [u8],
    /// The service root as the client addressed it, e.g. `http://localhost:5555/api/data/v9.2/`.
    pub root: String,
    /// Parsed query options.
    pub query: QueryOptions,
    /// The query string as received (still percent-encoded), for `@odata.nextLink`.
    pub raw_query: String,
    /// The resource path as received after the service root, for `@odata.nextLink`.
    pub raw_path: String,
    /// Parsed `Prefer` header.
    pub prefs: Preferences,
    /// The acting system user.
    pub caller: Uuid,
}

impl Ctx<'_, '_> {
    /// The write context for this request.
    pub fn writer(&self) -> write::WriteContext<'_> {
        write::WriteContext { org: self.org, metadata: &self.metadata, caller: self.caller, now: self.org.clock.now(), seeding: false }
    }

    /// A renderer over a read view.
    pub fn renderer<'s>(&'s self, state: &'s State) -> Renderer<'s> {
        Renderer { metadata: &self.metadata, state, annotations: self.prefs.annotations() }
    }

    /// `$select`, validated against the table: property names, `None` for all columns.
    pub fn select(&self, entity: &EntityDef) -> Result<Option<Vec<String>>> {
        let Some(items) = &self.query.select else { return Ok(None) };
        let mut names = Vec::with_capacity(items.len());
        for item in items {
            match item {
                SelectItem::Star => return Ok(None),
                SelectItem::Property(p) => {
                    if entity.property(p).is_none() {
                        return Err(Error::property_not_found(&entity.logical_name, p));
                    }
                    if !names.contains(p) {
                        names.push(p.clone());
                    }
                }
            }
        }
        Ok(Some(names))
    }

    /// `accounts(name,revenue)` or `accounts` for `@odata.context`.
    pub fn context_target(&self, set: &str, select: Option<&[String]>) -> String {
        self.context_target_expanded(set, select, &[])
    }

    /// `accounts(name,primarycontactid(fullname))` for `@odata.context`.
    pub fn context_target_expanded(&self, set: &str, select: Option<&[String]>, expands: &[crate::query::expand::ExpandPlan]) -> String {
        match crate::query::expand::context_projection(select, expands) {
            Some(p) => format!("{}$metadata#{set}({p})", self.root),
            None => format!("{}$metadata#{set}", self.root),
        }
    }

    /// `$expand`, parsed and resolved over `entity`.
    pub fn expands(&self, state: &State, entity: &EntityDef) -> Result<Vec<crate::query::expand::ExpandPlan>> {
        match &self.query.expand {
            None => Ok(Vec::new()),
            Some(text) => {
                let items = odata_parser::parse_expand(text)?;
                crate::query::expand::resolve(&self.scope(state), entity, &items)
            }
        }
    }

    /// The canonical URL of a record: `{root}accounts(<id>)`.
    pub fn entity_id(&self, entity: &EntityDef, id: Uuid) -> String {
        format!("{}{}({id})", self.root, entity.entity_set_name)
    }

    /// The name-resolution scope for queries of this request over `state`.
    pub fn scope<'s>(&'s self, state: &'s State) -> crate::query::Scope<'s> {
        let business_unit = match state.get("systemuser", self.caller).map(|u| u.get("businessunitid")) {
            Some(crate::store::Value::Lookup(r)) => r.id,
            _ => self.org.settings.business_unit_id,
        };
        let fiscal_start_month = state
            .get("organization", self.org.settings.organization_id)
            .and_then(|o| match o.get("fiscalcalendarstart") {
                crate::store::Value::DateTime(t) => Some(u8::from(t.month())),
                _ => None,
            })
            .unwrap_or(1);
        crate::query::Scope {
            metadata: &self.metadata,
            state,
            aliases: &self.query.aliases,
            lambda: None,
            now: self.org.clock.now(),
            caller: self.caller,
            business_unit,
            user_language: 1033,
            fiscal_start_month,
        }
    }

    /// Refuses query options this build doesn't evaluate yet, rather than ignoring them
    /// and returning wrong results.
    pub fn refuse_unimplemented_options(&self) -> Result<()> {
        let q = &self.query;
        if let Some(name) = q.unsupported.first() {
            let message = match name.as_str() {
                "skip" => "Skip Clause is not supported in CRM".to_string(),
                other => format!("The query parameter '${other}' is not supported."),
            };
            return Err(Error::new(crate::error::Code::BadRequest, message));
        }
        if let Some((name, _)) = q.custom.iter().find(|(n, _)| matches!(n.as_str(), "savedQuery" | "userQuery")) {
            return Err(Error::new(crate::error::Code::NotSupported, format!("The query parameter '{name}' is not emulated yet.")));
        }
        Ok(())
    }
}

impl Operation {
    /// The message's name, as the request journal shows it: the Dataverse message for
    /// functions and actions, else the kind of request (`Create`, `RetrieveMultiple`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Operation::ServiceDocument => "ServiceDocument",
            Operation::Message { message, .. } => message.name,
            Operation::Metadata => "Metadata",
            Operation::Definitions { .. } => "RetrieveMetadata",
            Operation::SchemaWrite { .. } => "SchemaWrite",
            Operation::Batch => "ExecuteBatch",
            Operation::Create { .. } => "Create",
            Operation::RetrieveMultiple { .. } => "RetrieveMultiple",
            Operation::Count { .. } => "Count",
            Operation::Retrieve { .. } => "Retrieve",
            Operation::Upsert { .. } => "Upsert",
            Operation::Delete { .. } => "Delete",
            Operation::GetProperty { .. } => "RetrieveProperty",
            Operation::PutProperty { .. } => "UpdateProperty",
            Operation::DeleteProperty { .. } => "DeleteProperty",
            Operation::FileColumn { .. } => "FileColumn",
            Operation::RetrieveRelated { .. } => "RetrieveRelated",
            Operation::CountRelated { .. } => "CountRelated",
            Operation::GetRef { .. } => "RetrieveRef",
            Operation::Associate { .. } => "Associate",
            Operation::Disassociate { .. } => "Disassociate",
        }
    }

    /// The table the request addresses, if any (for the request journal).
    pub fn table(&self) -> Option<&Arc<EntityDef>> {
        match self {
            Operation::Create { entity } | Operation::RetrieveMultiple { entity } | Operation::Count { entity } => Some(entity),
            Operation::Message { target: message::Target::Set(entity), .. } => Some(entity),
            Operation::Message { target: message::Target::Record(record), .. } => Some(&record.entity),
            Operation::Retrieve { record }
            | Operation::Upsert { record }
            | Operation::Delete { record }
            | Operation::GetProperty { record, .. }
            | Operation::PutProperty { record, .. }
            | Operation::DeleteProperty { record, .. }
            | Operation::FileColumn { record, .. }
            | Operation::RetrieveRelated { record, .. }
            | Operation::CountRelated { record, .. }
            | Operation::GetRef { record, .. }
            | Operation::Associate { record, .. }
            | Operation::Disassociate { record, .. } => Some(&record.entity),
            _ => None,
        }
    }

    /// Runs the operation.
    pub fn apply(self, ctx: &Ctx<'_, '_>) -> Result<Reply> {
        match self {
            Operation::ServiceDocument => service_document::apply(ctx),
            Operation::Message { message, target, parens } => message::invoke(ctx, message, target, parens),
            Operation::Metadata => metadata::csdl(ctx),
            Operation::Definitions { path } => metadata::apply(ctx, *path),
            Operation::SchemaWrite { write } => metadata::write::apply(ctx, *write),
            Operation::Batch => batch::apply(ctx),
            Operation::Create { entity } => create::apply(ctx, &entity),
            Operation::RetrieveMultiple { entity } => retrieve_multiple::apply(ctx, &entity),
            Operation::Count { entity } => retrieve_multiple::count(ctx, &entity),
            Operation::Retrieve { record } => retrieve::apply(ctx, &record),
            Operation::Upsert { record } => update::apply(ctx, &record),
            Operation::Delete { record } => delete::apply(ctx, &record),
            Operation::GetProperty { record, attribute, raw } => property::get(ctx, &record, &attribute, raw),
            Operation::PutProperty { record, attribute } => property::put(ctx, &record, &attribute),
            Operation::DeleteProperty { record, attribute } => property::delete(ctx, &record, &attribute),
            Operation::FileColumn { record, attribute, raw } => file::apply(ctx, &record, &attribute, raw),
            Operation::RetrieveRelated { record, nav } => retrieve::related(ctx, &record, &nav),
            Operation::CountRelated { record, nav } => retrieve_multiple::count_related(ctx, &record, &nav),
            Operation::GetRef { record, nav } => associate::get_ref(ctx, &record, &nav),
            Operation::Associate { record, nav } => associate::associate(ctx, &record, &nav),
            Operation::Disassociate { record, nav, related } => associate::disassociate(ctx, &record, &nav, related.as_ref()),
        }
    }
}

/// The record a path addresses, read from `state`, or the Dataverse not-found error.
pub fn existing(state: &State, record: &RecordPath) -> Result<Arc<crate::store::Record>> {
    let locator = target::Locator { entity: record.entity.logical_name.clone(), key: record.key.clone() };
    target::resolve(state, &locator)
        .and_then(|id| state.get(&record.entity.logical_name, id).cloned())
        .ok_or_else(|| target::not_found(&locator))
}
