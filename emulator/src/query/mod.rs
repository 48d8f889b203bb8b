//! The query engine shared by every front end: OData options and FetchXML
//! ([`crate::fetchxml`]) compile into one [`QueryPlan`]; [`execute`] runs it against a store snapshot.
//!
//! Planning ([`plan`], [`filter`], [`functions`], [`order`]) resolves names against
//! metadata, types literals and raises every Dataverse refusal, so execution cannot fail
//! on user input and a `$batch` changeset can validate before it writes.

pub mod aggregate;
pub mod dates;
pub mod execute;
pub mod expand;
pub mod filter;
pub mod functions;
pub mod join;
pub mod order;
pub mod page;
pub mod plan;
pub mod predicate;

pub use plan::QueryPlan;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::Result;
use crate::metadata::{EntityDef, Metadata};
use crate::store::{State, Value};
use filter::AliasValue;

/// What name resolution can see: schema, a read view, parameter aliases, the clock and
/// the caller. Cloned (cheaply) to enter a lambda's scope.
#[derive(Clone)]
pub struct Scope<'m> {
    /// The org's schema.
    pub metadata: &'m Metadata,
    /// The data, for user teams and hierarchies.
    pub state: &'m State,
    /// `@p1=…` parameter aliases from the query string.
    pub aliases: &'m [(String, String)],
    /// Inside `any(x: …)`: the variable and its table.
    pub lambda: Option<(String, &'m EntityDef)>,
    /// The emulator's clock reading for this request.
    pub now: OffsetDateTime,
    /// The calling user.
    pub caller: Uuid,
    /// The caller's business unit.
    pub business_unit: Uuid,
    /// The caller's language (1033, English).
    pub user_language: i32,
    /// First month of the fiscal year (from the organization row; January by default).
    pub fiscal_start_month: u8,
}

impl Scope<'_> {
    /// Resolves a parameter alias: a literal, or a property path such as `@p1=name`.
    pub fn alias(&self, name: &str) -> Result<AliasValue> {
        let text = self
            .aliases
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| crate::error::Error::new(crate::error::Code::BadRequest, format!("The parameter alias '@{name}' has no value in the query string.")))?;
        match odata_parser::parse_literal(text) {
            Ok(l) => Ok(AliasValue::Literal(l)),
            Err(e) => {
                if text.split('/').all(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_')) {
                    Ok(AliasValue::Path(text.split('/').map(str::to_string).collect()))
                } else {
                    Err(e.into())
                }
            }
        }
    }

    /// Teams the caller belongs to: explicit memberships, plus the default team of the
    /// caller's business unit, which every user of it is a member of.
    pub fn caller_teams(&self) -> Vec<Uuid> {
        let mut teams: Vec<Uuid> = self
            .metadata
            .entity("team")
            .into_iter()
            .flat_map(|t| t.many_to_many.iter())
            .filter(|r| r.schema_name == "teammembership_association")
            .flat_map(|r| {
                let team_is_1 = r.entity1 == "team";
                self.state.associations(&r.schema_name).filter_map(move |(a, b)| {
                    let (team, user) = if team_is_1 { (*a, *b) } else { (*b, *a) };
                    (user == self.caller).then_some(team)
                })
            })
            .collect();
        for t in self.state.table("team").into_iter().flat_map(|t| t.rows()) {
            let default = matches!(t.get("isdefault"), Value::Boolean(true));
            let in_bu = t.get("businessunitid").as_ref().is_some_and(|r| r.id == self.business_unit);
            if default && in_bu && !teams.contains(&t.id) {
                teams.push(t.id);
            }
        }
        teams
    }

    /// The caller and every user who reports to the caller, directly or not.
    pub fn caller_hierarchy(&self) -> Vec<Uuid> {
        let mut users = vec![self.caller];
        let mut i = 0;
        while i < users.len() && users.len() < 10_000 {
            let manager = users[i];
            for u in self.state.table("systemuser").into_iter().flat_map(|t| t.rows()) {
                if u.get("parentsystemuserid").as_ref().is_some_and(|r| r.id == manager) && !users.contains(&u.id) {
                    users.push(u.id);
                }
            }
            i += 1;
        }
        users
    }
}

