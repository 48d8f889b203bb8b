//! `leads(id)/Microsoft.Dynamics.CRM.QualifyLead`: creates the account, contact and
//! opportunity the call asks for from the lead's columns, links each back to the lead
//! (`originatingleadid`) and to each other, and closes the lead as Qualified, all in one
//! transaction. The answer is the created records as entity references
//! (`Collection(crmbaseentity)`), in the order account, contact, opportunity.
//!
//! Column maps follow Dataverse's default lead maps: `companyname` → account `name`;
//! `firstname`, `lastname`, `jobtitle`, e-mail and phones → contact; `subject` and
//! `estimatedamount` → opportunity `name` and `estimatedvalue`; address, web site and
//! description columns go wherever the target has them.

use std::sync::Arc;

use serde_json::{json, Value as Json};

use super::{entity_param, Binding, Call, Kind, Message, Param};
use crate::error::{Code, Error, Result};
use crate::metadata::EntityDef;
use crate::operation::{write, Ctx};
use crate::store::{EntityRef, Record, Transaction, Value};
use crate::wire::input::EntityInput;
use crate::wire::response::Reply;

/// `QualifyLead`
pub(super) static MESSAGE: Message = Message {
    name: "QualifyLead",
    kind: Kind::Action,
    binding: Binding::Table("lead"),
    params: &[
        Param { name: "CreateAccount", ty: "Edm.Boolean", required: true },
        Param { name: "CreateContact", ty: "Edm.Boolean", required: true },
        Param { name: "CreateOpportunity", ty: "Edm.Boolean", required: true },
        Param { name: "OpportunityCurrencyId", ty: "mscrm.transactioncurrency", required: false },
        Param { name: "OpportunityCustomerId", ty: "mscrm.crmbaseentity", required: false },
        Param { name: "SourceCampaignId", ty: "mscrm.crmbaseentity", required: false },
        Param { name: "Status", ty: "Edm.Int32", required: true },
        Param { name: "ProcessInstanceId", ty: "mscrm.crmbaseentity", required: false },
        Param { name: "SuppressDuplicateDetection", ty: "Edm.Boolean", required: false },
    ],
    returns: Some("Collection(mscrm.crmbaseentity)"),
    run,
};

/// `lead.statecode` Qualified.
const QUALIFIED: i32 = 1;

/// Columns copied under the same name when both tables have them.
const SHARED_COLUMNS: &[&str] = &[
    "emailaddress1",
    "telephone1",
    "websiteurl",
    "description",
    "address1_line1",
    "address1_line2",
    "address1_city",
    "address1_stateorprovince",
    "address1_postalcode",
    "address1_country",
    "transactioncurrencyid",
];

/// `(lead column, target column)` pairs per created table, beyond [`SHARED_COLUMNS`].
const ACCOUNT_MAP: &[(&str, &str)] = &[("companyname", "name")];
const CONTACT_MAP: &[(&str, &str)] = &[("firstname", "firstname"), ("lastname", "lastname"), ("jobtitle", "jobtitle"), ("mobilephone", "mobilephone")];
const OPPORTUNITY_MAP: &[(&str, &str)] = &[("subject", "name"), ("estimatedamount", "estimatedvalue")];

fn reference(entity: &str, id: uuid::Uuid) -> Value {
    Value::Lookup(EntityRef { logical_name: entity.into(), id })
}

/// The lead's mapped values for a new record of `target`.
fn mapped(lead: &Record, target: &EntityDef, map: &[(&str, &str)]) -> Vec<(String, Value)> {
    let pairs = map.iter().copied().chain(SHARED_COLUMNS.iter().map(|c| (*c, *c)));
    pairs
        .filter(|(_, to)| target.attribute(to).is_some())
        .filter_map(|(from, to)| {
            let v = lead.get(from);
            (!v.is_null()).then(|| (to.to_string(), v.clone()))
        })
        .collect()
}

fn table(ctx: &Ctx<'_, '_>, name: &str) -> Result<Arc<EntityDef>> {
    ctx.metadata.entity(name).cloned().ok_or_else(|| Error::internal(format!("no {name} table")))
}

fn create(tx: &mut Transaction<'_>, w: &write::WriteContext<'_>, def: &EntityDef, values: Vec<(String, Value)>) -> Result<uuid::Uuid> {
    Ok(write::create_with(tx, w, def, None, EntityInput::default(), values)?.id)
}

fn run(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let flag = |name: &str| call.arg(name).and_then(Json::as_bool).unwrap_or(false);
    let (make_account, make_contact, make_opportunity) = (flag("CreateAccount"), flag("CreateContact"), flag("CreateOpportunity"));
    let lead_def = call.set()?.clone();
    let status = call.arg("Status").and_then(Json::as_i64).and_then(|s| i32::try_from(s).ok()).unwrap_or_default();
    let status_ok = lead_def.attribute("statuscode").is_some_and(|a| a.options.iter().any(|o| o.value == status && o.state == Some(QUALIFIED)));
    let customer = call.arg("OpportunityCustomerId").map(|v| entity_param::named(&ctx.metadata, "OpportunityCustomerId", v)).transpose()?;
    if let Some(c) = &customer {
        if !matches!(c.entity.logical_name.as_str(), "account" | "contact") {
            return Err(Error::new(Code::InvalidArgument, "The opportunity's customer must be an account or a contact."));
        }
    }
    let currency = call.arg("OpportunityCurrencyId").map(|v| entity_param::named(&ctx.metadata, "OpportunityCurrencyId", v)).transpose()?;
    let (account_def, contact_def, opportunity_def) = (table(ctx, "account")?, table(ctx, "contact")?, table(ctx, "opportunity")?);
    let w = ctx.writer();
    let created = ctx.access.write(|tx| {
        let lead = call.bound_record(tx.state())?;
        if !matches!(lead.get("statecode"), Value::Choice(0) | Value::Null) {
            return Err(Error::new(Code::InvalidArgument, "The lead is closed. You cannot convert or qualify a lead that is already closed."));
        }
        if !status_ok {
            return Err(Error::new(Code::InvalidArgument, format!("{status} is not a valid status code for state code LeadState.Qualified on lead with Id {}.", lead.id)));
        }
        let origin = || ("originatingleadid".to_string(), reference("lead", lead.id));
        let mut created: Vec<(&Arc<EntityDef>, uuid::Uuid)> = Vec::new();
        let account = if make_account {
            let mut values = mapped(&lead, &account_def, ACCOUNT_MAP);
            values.push(origin());
            let id = create(tx, &w, &account_def, values)?;
            created.push((&account_def, id));
            Some(id)
        } else {
            None
        };
        let contact = if make_contact {
            let mut values = mapped(&lead, &contact_def, CONTACT_MAP);
            values.push(origin());
            if let Some(a) = account {
                values.push(("parentcustomerid".to_string(), reference("account", a)));
            }
            let id = create(tx, &w, &contact_def, values)?;
            created.push((&contact_def, id));
            Some(id)
        } else {
            None
        };
        let opportunity = if make_opportunity {
            let mut values = mapped(&lead, &opportunity_def, OPPORTUNITY_MAP);
            if !values.iter().any(|(c, _)| c == "name") {
                if let Value::String(n) = lead.get("fullname") {
                    values.push(("name".to_string(), Value::String(n.clone())));
                }
            }
            values.push(origin());
            let customer = match &customer {
                Some(c) => Some(reference(&c.entity.logical_name, c.record(tx.state())?.id)),
                None => account.map(|a| reference("account", a)).or_else(|| contact.map(|c| reference("contact", c))),
            };
            if let Some(c) = customer {
                values.push(("customerid".to_string(), c));
            }
            if let Some(a) = account {
                values.push(("parentaccountid".to_string(), reference("account", a)));
            }
            if let Some(c) = contact {
                values.push(("parentcontactid".to_string(), reference("contact", c)));
            }
            if let Some(cur) = &currency {
                values.push(("transactioncurrencyid".to_string(), reference("transactioncurrency", cur.record(tx.state())?.id)));
            }
            let id = create(tx, &w, &opportunity_def, values)?;
            created.push((&opportunity_def, id));
            Some(id)
        } else {
            None
        };
        let mut close = vec![("statecode".to_string(), Value::Choice(QUALIFIED)), ("statuscode".to_string(), Value::Choice(status))];
        if let Some(a) = account {
            close.push(("parentaccountid".to_string(), reference("account", a)));
        }
        if let Some(c) = contact {
            close.push(("parentcontactid".to_string(), reference("contact", c)));
        }
        if let Some(o) = opportunity {
            close.push(("qualifyingopportunityid".to_string(), reference("opportunity", o)));
        }
        write::update_with(tx, &w, &lead_def, &lead, EntityInput::default(), close)?;
        Ok(created.into_iter().map(|(def, id)| entity_param::reference_json(def, id)).collect::<Vec<_>>())
    })?;
    let body = json!({
        "@odata.context": format!("{}$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)", ctx.root),
        "value": created,
    });
    Ok(Reply::json(http::StatusCode::OK, &body))
}
