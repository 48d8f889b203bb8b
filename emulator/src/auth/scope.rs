//! Scopes: what a token request asks for. A Dataverse token names one resource (the org
//! URL) with `<org>/.default` or `<org>/user_impersonation`; delegated requests may add
//! the OpenID scopes, which decide whether an id_token (`openid`) and a refresh token
//! (`offline_access`) come back. Entra echoes only the resource's scopes.

/// The OpenID Connect scopes Entra accepts next to a resource scope.
const OIDC: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The one permission Dataverse exposes to delegated callers.
pub const USER_IMPERSONATION: &str = "user_impersonation";

/// A parsed delegated scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    /// The resource (audience), without a trailing slash.
    pub resource: String,
    /// `openid` was asked for: an id_token comes back.
    pub openid: bool,
    /// `offline_access` was asked for: a refresh token comes back.
    pub offline_access: bool,
}

impl Requested {
    /// The `scope` the v2 token endpoint answers with: the resource's granted scopes.
    pub fn echo(&self) -> String {
        format!("{}/{USER_IMPERSONATION}", self.resource)
    }
}

fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

/// The resource a client-credentials `<resource>/.default` scope names (the only form that
/// grant accepts), without a trailing slash.
pub fn app_resource(scope: &str) -> Option<String> {
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let [only] = scopes.as_slice() else { return None };
    let resource = only.strip_suffix("/.default")?;
    is_url(resource).then(|| resource.trim_end_matches('/').to_string())
}

/// Parses a delegated request's `scope`: OpenID scopes plus exactly one resource's
/// `.default` or `user_impersonation`. `None` when it is not valid (AADSTS70011).
pub fn delegated(scope: &str) -> Option<Requested> {
    let mut resource: Option<String> = None;
    let (mut openid, mut offline_access) = (false, false);
    for s in scope.split_whitespace() {
        let lower = s.to_ascii_lowercase();
        if OIDC.contains(&lower.as_str()) {
            openid |= lower == "openid";
            offline_access |= lower == "offline_access";
            continue;
        }
        let (res, permission) = s.rsplit_once('/')?;
        if !(permission == ".default" || permission.eq_ignore_ascii_case(USER_IMPERSONATION)) || !is_url(res) {
            return None;
        }
        let res = res.trim_end_matches('/').to_string();
        match &resource {
            Some(r) if !r.eq_ignore_ascii_case(&res) => return None,
            _ => resource = Some(res),
        }
    }
    Some(Requested { resource: resource?, openid, offline_access })
}

/// The v1 endpoints: the resource comes from `resource=`, the OpenID scopes from `scope`.
pub fn v1(resource: &str, scope: &str) -> Option<Requested> {
    let resource = resource.trim_end_matches('/');
    if !is_url(resource) {
        return None;
    }
    let openid = scope.split_whitespace().any(|s| s.eq_ignore_ascii_case("openid"));
    Some(Requested { resource: resource.to_string(), openid, offline_access: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delegated_scopes() {
        let r = delegated("https://org.crm.dynamics.com/user_impersonation offline_access openid").unwrap();
        assert_eq!(r, Requested { resource: "https://org.crm.dynamics.com".into(), openid: true, offline_access: true });
        assert_eq!(r.echo(), "https://org.crm.dynamics.com/user_impersonation");
        assert_eq!(delegated("https://org.crm.dynamics.com//.default").unwrap().resource, "https://org.crm.dynamics.com");
        assert!(delegated("openid offline_access").is_none(), "no resource");
        assert!(delegated("https://a.example/.default https://b.example/.default").is_none(), "two resources");
        assert!(delegated("https://org.crm.dynamics.com/Files.Read").is_none(), "unknown permission");
        assert!(delegated("User.Read").is_none());
    }

    #[test]
    fn app_scopes() {
        assert_eq!(app_resource("https://org.crm.dynamics.com/.default").as_deref(), Some("https://org.crm.dynamics.com"));
        assert!(app_resource("https://org.crm.dynamics.com/user_impersonation").is_none());
        assert!(app_resource("a b").is_none());
    }
}
