//! `emails(id)/Microsoft.Dynamics.CRM.SendEmail` and `POST /SendEmailFromTemplate`.
//!
//! Nothing is delivered. `SendEmail` closes the draft as Dataverse does once the message
//! is handed on: `IssueSend: true` leaves it Completed / Pending Send (6) for the mail
//! server; `IssueSend: false` only marks it Completed / Sent (3). A tracking token is
//! appended to the subject, which the response returns.
//!
//! The emulator's org has no `template` table, so `SendEmailFromTemplate` always answers
//! the service's error for a template that doesn't exist.

use serde_json::{json, Map, Value as Json};

use super::{response, Binding, Call, Kind, Message, Param};
use crate::error::{Code, Error, Result};
use crate::operation::{write, Ctx};
use crate::store::Value;
use crate::wire::input::EntityInput;
use crate::wire::response::Reply;

/// `SendEmail`
pub(super) static SEND_EMAIL: Message = Message {
    name: "SendEmail",
    kind: Kind::Action,
    binding: Binding::Table("email"),
    params: &[Param { name: "IssueSend", ty: "Edm.Boolean", required: true }, Param { name: "TrackingToken", ty: "Edm.String", required: false }],
    returns: Some("mscrm.SendEmailResponse"),
    run: send_email,
};

/// `SendEmailFromTemplate`
pub(super) static SEND_EMAIL_FROM_TEMPLATE: Message = Message {
    name: "SendEmailFromTemplate",
    kind: Kind::Action,
    binding: Binding::Unbound,
    params: &[
        Param { name: "TemplateId", ty: "Edm.Guid", required: true },
        Param { name: "RegardingId", ty: "Edm.Guid", required: true },
        Param { name: "RegardingType", ty: "Edm.String", required: true },
        Param { name: "Target", ty: "mscrm.crmbaseentity", required: true },
    ],
    returns: Some("mscrm.email"),
    run: send_email_from_template,
};

/// `email.statuscode` values (state Completed).
const SENT: i32 = 3;
const PENDING_SEND: i32 = 6;
/// `activityparty.participationtypemask`: To, Cc, Bcc recipients.
const RECIPIENT_ROLES: [i32; 3] = [2, 3, 4];

fn send_email(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let issue_send = call.arg("IssueSend").and_then(Json::as_bool).unwrap_or(false);
    let token = call.str_arg("TrackingToken").filter(|t| !t.is_empty()).map(str::to_string);
    let def = call.set()?.clone();
    let w = ctx.writer();
    let subject = ctx.access.write(|tx| {
        let email = call.bound_record(tx.state())?;
        if !matches!(email.get("statecode"), Value::Choice(0) | Value::Null) {
            return Err(Error::new(Code::InvalidArgument, "The email can't be sent because it isn't a draft: it is completed or canceled already."));
        }
        let has_recipient = tx.state().table("activityparty").into_iter().flat_map(|t| t.rows()).any(|p| {
            p.get("activityid").as_ref().is_some_and(|a| a.id == email.id) && matches!(p.get("participationtypemask"), Value::Choice(m) if RECIPIENT_ROLES.contains(m))
        });
        if !has_recipient {
            return Err(Error::new(Code::InvalidArgument, "The e-mail must have at least one recipient before it can be sent"));
        }
        let mut subject = match email.get("subject") {
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let mut extra = vec![
            ("statecode".to_string(), Value::Choice(1)),
            ("statuscode".to_string(), Value::Choice(if issue_send { PENDING_SEND } else { SENT })),
            ("directioncode".to_string(), Value::Boolean(true)),
        ];
        if !issue_send {
            extra.push(("senton".to_string(), Value::DateTime(w.now)));
        }
        if let Some(token) = &token {
            subject = if subject.is_empty() { token.clone() } else { format!("{subject} {token}") };
            extra.push(("trackingtoken".to_string(), Value::String(token.clone())));
            extra.push(("subject".to_string(), Value::String(subject.clone())));
        }
        write::update_with(tx, &w, &def, &email, EntityInput::default(), extra)?;
        Ok(subject)
    })?;
    let mut fields = Map::new();
    fields.insert("Subject".into(), json!(subject));
    Ok(response(ctx, call.message, fields))
}

fn send_email_from_template(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let template = call.str_arg("TemplateId").unwrap_or_default();
    if ctx.metadata.entity("template").is_none() {
        return Err(Error::not_found("template", template));
    }
    Err(Error::new(Code::NotSupported, "SendEmailFromTemplate is not emulated for orgs with email templates yet."))
}
