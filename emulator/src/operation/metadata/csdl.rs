//! `GET $metadata`: the CSDL document, rendered by [`crate::metadata::csdl`] and cached per
//! schema generation, so after the first request this is a reference-count bump.
//! `?annotations=true` is accepted and ignored (the document carries no annotations but the
//! alternate keys).

use http::StatusCode;

use crate::error::Result;
use crate::operation::Ctx;
use crate::wire::response::Reply;

/// The media type of the document.
const XML: &str = "application/xml";

/// `GET $metadata`
pub(crate) fn apply(ctx: &Ctx<'_, '_>) -> Result<Reply> {
    Ok(Reply::empty(StatusCode::OK).with_body(XML.to_string(), ctx.metadata.csdl()))
}
