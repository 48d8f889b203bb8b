//! `POST /BulkDelete`: deletes the rows one or more QueryExpressions select, as a system
//! job. The call answers at once with the job's id; the `asyncoperation` row then moves
//! through its states as the job runs (see [`super::jobs`]).

use serde_json::{json, Map, Value as Json};

use super::jobs::{Job, Work};
use super::{query_expression, response, Binding, Call, Kind, Message, Param};
use crate::error::{Code, Error, Result};
use crate::operation::{write, Ctx};
use crate::store::Value;
use crate::wire::input::EntityInput;
use crate::wire::response::Reply;

/// `asyncoperation.operationtype` for Bulk Delete.
const BULK_DELETE: i32 = 13;

/// `BulkDelete`
pub(super) static MESSAGE: Message = Message {
    name: "BulkDelete",
    kind: Kind::Action,
    binding: Binding::Unbound,
    params: &[
        Param { name: "QuerySet", ty: "Collection(mscrm.QueryExpression)", required: true },
        Param { name: "JobName", ty: "Edm.String", required: true },
        Param { name: "SendEmailNotification", ty: "Edm.Boolean", required: true },
        Param { name: "ToRecipients", ty: "Collection(Edm.Guid)", required: true },
        Param { name: "CCRecipients", ty: "Collection(Edm.Guid)", required: true },
        Param { name: "RecurrencePattern", ty: "Edm.String", required: true },
        Param { name: "StartDateTime", ty: "Edm.DateTimeOffset", required: true },
        Param { name: "SourceImportId", ty: "Edm.Guid", required: false },
        Param { name: "RunNow", ty: "Edm.Boolean", required: false },
    ],
    returns: Some("mscrm.BulkDeleteResponse"),
    run,
};

fn run(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let queries = call.arg("QuerySet").and_then(Json::as_array).cloned().unwrap_or_default();
    if queries.is_empty() {
        return Err(Error::new(Code::InvalidArgument, "The QuerySet of a bulk delete job must hold at least one query."));
    }
    let work = queries.iter().map(|q| query_expression::resolve(&ctx.metadata, q)).collect::<Result<Vec<_>>>()?;
    let def = ctx.metadata.entity("asyncoperation").cloned().ok_or_else(|| Error::internal("no asyncoperation table"))?;
    let name = call.str_arg("JobName").unwrap_or_default().to_string();
    let first = work[0].0.logical_name.clone();
    let data = Json::Array(queries).to_string();
    let w = ctx.writer();
    let id = ctx.org.ids.new_id();
    let extra = vec![
        ("name".to_string(), Value::String(name)),
        ("operationtype".to_string(), Value::Choice(BULK_DELETE)),
        ("messagename".to_string(), Value::String("BulkDelete".into())),
        ("primaryentitytype".to_string(), Value::String(first)),
        ("data".to_string(), Value::String(data)),
        ("correlationid".to_string(), Value::Guid(ctx.org.ids.new_id())),
        ("depth".to_string(), Value::Int(1)),
        ("retrycount".to_string(), Value::Int(0)),
    ];
    let w = write::WriteContext { seeding: true, ..w };
    ctx.access.write(|tx| write::create_with(tx, &w, &def, Some(id), EntityInput::default(), extra))?;
    ctx.org.jobs.submit(Job { id, caller: ctx.caller, work: Work::Delete(work), started: false });
    let mut fields = Map::new();
    fields.insert("JobId".into(), json!(id));
    Ok(response(ctx, call.message, fields))
}
