//! The tenant's users, as the token service sees them: the org's `systemuser` rows that
//! carry an Entra object id, plus the `directoryUsers` of `org.json` (tenant users with no
//! user in the org). Sign-ins resolve here; Web API callers resolve to `systemuser` rows.

use uuid::Uuid;

use crate::org::{Application, Org};
use crate::store::Value;

/// A signed-in Entra user: what delegated tokens and id_tokens say about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The Entra object id (`oid`).
    pub object_id: Uuid,
    /// The sign-in name (`upn`, `unique_name`, `preferred_username`).
    pub upn: String,
    /// Display name.
    pub name: String,
    /// First name, when the org knows it.
    pub given_name: Option<String>,
    /// Last name, when the org knows it.
    pub family_name: Option<String>,
}

/// A column as text: strings as they are, GUIDs hyphenated.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Guid(g) => Some(g.to_string()),
        _ => None,
    }
}

/// The system user whose `column` equals `value` (case-insensitively).
pub fn user_by(org: &Org, column: &str, value: &str) -> Option<Uuid> {
    let state = org.store.read();
    let users = state.table("systemuser")?;
    let found = users.rows().find(|u| text(u.get(column)).is_some_and(|t| t.eq_ignore_ascii_case(value))).map(|u| u.id);
    found
}

/// The tenant user who signs in as `hint` (a UPN or e-mail address): a system user by
/// `domainname` or `internalemailaddress` that has an Entra object id, else a directory user.
pub fn find(org: &Org, hint: &str) -> Option<SignedIn> {
    let hint = hint.trim();
    let in_org = {
        let state = org.store.read();
        state.table("systemuser").and_then(|users| {
            users
                .rows()
                .filter(|u| ["domainname", "internalemailaddress"].iter().any(|c| text(u.get(c)).is_some_and(|t| t.eq_ignore_ascii_case(hint))))
                .find_map(|u| {
                    let object_id = match u.get("azureactivedirectoryobjectid") {
                        Value::Guid(g) => *g,
                        _ => return None,
                    };
                    let given_name = text(u.get("firstname"));
                    let family_name = text(u.get("lastname"));
                    let name = text(u.get("fullname")).unwrap_or_else(|| [given_name.as_deref(), family_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" "));
                    let upn = text(u.get("domainname")).unwrap_or_else(|| hint.to_string());
                    Some(SignedIn { object_id, upn, name, given_name, family_name })
                })
        })
    };
    in_org.or_else(|| {
        org.settings.directory_users.iter().find(|d| d.user_principal_name.eq_ignore_ascii_case(hint)).map(|d| SignedIn {
            object_id: d.object_id,
            upn: d.user_principal_name.clone(),
            name: d.display_name.clone(),
            given_name: None,
            family_name: None,
        })
    })
}

/// The sign-in name of the user the authorize endpoint signs in without a `login_hint`:
/// the app's `defaultUser`, else the org's default caller.
pub fn default_hint(org: &Org, app: &Application) -> Option<String> {
    if let Some(user) = &app.default_user {
        return Some(user.clone());
    }
    let state = org.store.read();
    let caller = state.get("systemuser", org.settings.caller_id)?;
    text(caller.get("domainname"))
}
