//! The token service as one request sees it: the org (tenant, apps, users, clock), the
//! signing key, the remembered grants and the lifetimes, and the dispatch from a
//! token-service path to its handler.

use bytes::Bytes;
use http::{Method, Request};
use time::OffsetDateTime;

use super::grants::Grants;
use super::keys::SigningKey;
use super::{authorize, discovery, token, Endpoint};
use crate::error::Error;
use crate::org::Org;
use crate::wire::response::Reply;

/// Everything a token-service request needs.
pub struct TokenService<'a> {
    /// The org whose tenant is served.
    pub org: &'a Org,
    /// Signs every token.
    pub key: &'a SigningKey,
    /// Issued codes and refresh tokens.
    pub grants: &'a Grants,
    /// Access (and id) token lifetime, in seconds.
    pub access_lifetime: i64,
    /// Refresh-token inactivity lifetime, in seconds.
    pub refresh_lifetime: i64,
    /// `scheme://host` the request came to: the authority every document names.
    pub origin: &'a str,
    /// The host alone, for instance discovery.
    pub host: &'a str,
}

impl TokenService<'_> {
    /// Now, on the org's clock (tests pin or move it to exercise expiry).
    pub fn now(&self) -> OffsetDateTime {
        self.org.clock.now()
    }

    /// The v2 issuer: `<authority>/<tenant id>/v2.0`, as the discovery document says.
    pub fn issuer(&self) -> String {
        format!("{}/{}/v2.0", self.origin, self.org.settings.tenant_id)
    }

    /// Answers one token-service request.
    pub fn handle(&self, req: &Request<Bytes>, endpoint: Endpoint) -> Reply {
        let settings = &self.org.settings;
        let query = req.uri().query().unwrap_or("");
        match (req.method(), endpoint) {
            (&Method::POST, Endpoint::Token(tenant)) => token::handle(self, &tenant, req.headers(), req.body(), false),
            (&Method::POST, Endpoint::TokenV1(tenant)) => token::handle(self, &tenant, req.headers(), req.body(), true),
            (&Method::GET, Endpoint::Authorize(tenant)) => authorize::handle(self, &tenant, query, false),
            (&Method::GET, Endpoint::AuthorizeV1(tenant)) => authorize::handle(self, &tenant, query, true),
            (&Method::GET, Endpoint::OpenIdConfiguration(tenant) | Endpoint::OpenIdConfigurationV1(tenant) | Endpoint::Keys(tenant))
                if !token::is_sign_in_tenant(settings, &tenant) =>
            {
                token::unknown_tenant(self, &tenant)
            }
            (&Method::GET, Endpoint::OpenIdConfiguration(tenant)) => discovery::openid_configuration(self.origin, &tenant, &self.tenant_for_issuer(&tenant)),
            (&Method::GET, Endpoint::OpenIdConfigurationV1(tenant)) => discovery::openid_configuration_v1(self.origin, &tenant, &self.tenant_for_issuer(&tenant)),
            (&Method::GET, Endpoint::Keys(tenant)) => discovery::jwks(self.key, self.origin, &self.tenant_for_issuer(&tenant)),
            (&Method::GET, Endpoint::Instance) => discovery::instance(self.origin, self.host),
            (method, _) => Reply::from(Error::method_not_allowed(method, req.uri().path())),
        }
    }

    /// The tenant id issuers name: the org's, or the `{tenantid}` template for the
    /// multi-tenant aliases, as Entra's documents have it.
    fn tenant_for_issuer(&self, tenant: &str) -> String {
        if token::is_tenant(&self.org.settings, tenant) {
            self.org.settings.tenant_id.to_string()
        } else {
            "{tenantid}".to_string()
        }
    }
}
