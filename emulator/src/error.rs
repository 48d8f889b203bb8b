//! The one error catalog. Every failure the emulator reports becomes an [`Error`] here,
//! and [`Error::body`] (through `Reply::from`) is the only place that renders the Dataverse error body
//! `{"error":{"code":"0x…","message":"…"}}`.
//!
//! Hex codes come from Microsoft's Web API error-code reference
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes>)
//! and from live responses quoted in `../shared/reference/dataverse-wire.md` §5.

use http::StatusCode;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident => $status:ident, $hex:literal; )*) => {
        /// Every error the emulator can report, named after Dataverse's own error names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code {
            $( $(#[$doc])* $name, )*
        }

        impl Code {
            /// The HTTP status the real service answers with.
            pub fn status(self) -> StatusCode {
                match self { $( Code::$name => StatusCode::$status, )* }
            }

            /// The Dataverse error code, as the real service spells it (case included).
            pub fn hex(self) -> &'static str {
                match self { $( Code::$name => $hex, )* }
            }
        }
    };
}

error_codes! {
    /// A record addressed by key does not exist.
    ObjectDoesNotExist => NOT_FOUND, "0x80040217";
    /// Unknown entity set, function or path segment. Live responses (wire reference §2.1,
    /// and public client issues from 2025) carry 0x80060888 here; Microsoft's troubleshooting
    /// page still shows an older 0x8006088a.
    ResourceNotFound => NOT_FOUND, "0x80060888";
    /// A malformed URL, literal, key or query option, or an unknown property in a query.
    BadRequest => BAD_REQUEST, "0x80060888";
    /// A body that doesn't deserialize: bad JSON, unknown property, wrong type.
    PayloadError => BAD_REQUEST, "0x80048d19";
    /// A value that deserializes but breaks a column rule (length, range).
    ValidationError => BAD_REQUEST, "0x80044331";
    /// A choice value not in the column's option set.
    OptionValueOutOfRange => BAD_REQUEST, "0x8004431a";
    /// `If-None-Match: *` on an existing record, or a duplicate primary key.
    DuplicateRecord => PRECONDITION_FAILED, "0x80040237";
    /// An alternate key already used by another record.
    DuplicateRecordEntityKey => PRECONDITION_FAILED, "0x80060892";
    /// `If-Match: W/"n"` that doesn't match the record's version.
    ConcurrencyVersionMismatch => PRECONDITION_FAILED, "0x80060882";
    /// A `$skiptoken` that doesn't belong to the query.
    InvalidPagingCookie => BAD_REQUEST, "0x8004112A";
    /// A FetchXML `<entity>` or `<link-entity>` naming no table.
    QueryBuilderNoEntity => BAD_REQUEST, "0x80041102";
    /// A FetchXML column the table doesn't have.
    QueryBuilderNoAttribute => BAD_REQUEST, "0x80041103";
    /// Two FetchXML link-entities or columns sharing an alias.
    QueryBuilderDuplicateAlias => BAD_REQUEST, "0x80041130";
    /// More than 15 link-entities in one FetchXML query.
    QueryBuilderLinkEntityLimit => BAD_REQUEST, "0x8004430D";
    /// More rows than an aggregate query may read.
    AggregateQueryRecordLimitExceeded => BAD_REQUEST, "0x8004E023";
    /// A method the addressed resource doesn't support.
    MethodNotAllowed => METHOD_NOT_ALLOWED, "0x80060888";
    /// A request body over the size limit.
    RequestTooLarge => PAYLOAD_TOO_LARGE, "0x80048d19";
    /// An argument the platform rejects: a lookup bound to a table the column doesn't
    /// target, …
    InvalidArgument => BAD_REQUEST, "0x80040203";
    /// A status reason that doesn't belong to the record's state ("2 is not a valid status
    /// code for state code AccountState.Active on account with Id …").
    InvalidStateCodeStatusCode => BAD_REQUEST, "0x80048408";
    /// An update to a read-only record: a completed or canceled activity.
    CannotUpdateBecauseItIsReadOnly => BAD_REQUEST, "0x8004022e";
    /// `unManagedidsattachmentinvalidfilesize`: a file over the column's MaxSizeInKB, or a
    /// note attachment over the org's upload limit.
    AttachmentInvalidFileSize => BAD_REQUEST, "0x80044a02";
    /// An image an image column can't take: too big, or not GIF, JPEG, TIFF, BMP or PNG.
    ProcessImageFailure => BAD_REQUEST, "0x80072553";
    /// A create that sets an image column other than the table's primary image.
    CannotUploadNonPrimaryImageAttributeOnCreate => BAD_REQUEST, "0x80090487";
    /// A delete blocked by a restrictive relationship.
    CannotDeleteDueToAssociation => METHOD_NOT_ALLOWED, "0x80040227";
    /// Something the emulator doesn't emulate (yet). Never used for client mistakes.
    NotSupported => NOT_IMPLEMENTED, "0x80040315";
    /// A message the table doesn't support (DeleteMultiple on a standard table).
    SdkEntityDoesNotSupportMessage => BAD_REQUEST, "0x80040800";
    /// Creating a table whose name is taken: "An entity with the specified name already
    /// exists". (Name and message from the SDK's ErrorCodes; the hex follows its neighbours.)
    InvalidSchemaName => BAD_REQUEST, "0x8004700B";
    /// Creating a column whose name is taken on the table.
    DuplicateAttributeSchemaName => BAD_REQUEST, "0x80047013";
    /// Creating a relationship, key or choice whose name is taken. (Hex by the SDK's order.)
    DuplicateName => BAD_REQUEST, "0x80047010";
    /// A primary name column that isn't a String column. (Hex by the SDK's order.)
    InvalidPrimaryFieldType => BAD_REQUEST, "0x8004700E";
    /// Deleting or changing a system relationship. (Hex by the SDK's order.)
    RelationshipIsNotCustomRelationship => BAD_REQUEST, "0x8004700A";
    /// Deleting a system column.
    AttributeIsNotCustomAttribute => BAD_REQUEST, "0x80047009";
    /// Deleting a table's primary name column.
    CannotDeletePrimaryUIAttribute => BAD_REQUEST, "0x80047002";
    /// A schema name without a publisher prefix (`new_`, `cr123_`).
    ExportKeyAttributeInvalidPrefix => BAD_REQUEST, "0x800608ad";
    /// A `RetrieveMetadataChanges` `ClientVersionStamp` the service can't answer from
    /// (ErrorCodes.ExpiredVersionStamp): the client must do a full sync.
    ExpiredVersionStamp => BAD_REQUEST, "0x80044352";
    /// A valid token whose app or user has no system user in the org.
    UserNotInOrg => FORBIDDEN, "0x80072560";
    /// Service protection: more requests from one user in the window than allowed (DOC:api-limits).
    ServiceProtectionRequests => TOO_MANY_REQUESTS, "0x80072322";
    /// Service protection: more combined execution time in the window than allowed.
    ServiceProtectionExecutionTime => TOO_MANY_REQUESTS, "0x80072321";
    /// Service protection: more concurrent requests from one user than allowed.
    ServiceProtectionConcurrency => TOO_MANY_REQUESTS, "0x80072326";
    /// A synchronous step's service endpoint (a webhook) failed or timed out, so the
    /// operation was cancelled and rolled back. The plug-in pipeline reports step failures
    /// as ISV aborts (ErrorCodes.IsvAborted); the exact code Dataverse uses for a failed
    /// webhook is unconfirmed (wire reference §9.3).
    IsvAborted => BAD_REQUEST, "0x80040265";
    /// The plug-in pipeline's loop guard: a chain of steps went deeper than the maximum
    /// depth (8) within one correlation (ErrorCodes.SdkCorrelationTokenDepthTooHigh).
    SdkCorrelationTokenDepthTooHigh => BAD_REQUEST, "0x80044182";
    /// A bug in the emulator. Never expected; logged loudly.
    Internal => INTERNAL_SERVER_ERROR, "0x80040216";
}

/// The help link Dataverse appends to payload errors.
const PAYLOAD_HELP: &str = "For more information on this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293";

/// An error on its way to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: Code,
    message: String,
}

/// The emulator's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with an explicit message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }

    /// The catalog entry.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The message as the client will see it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `Entity 'account' With Id = … Does Not Exist` (the modern live wording).
    pub fn not_found(logical_name: &str, id: impl std::fmt::Display) -> Self {
        Self::new(
            Code::ObjectDoesNotExist,
            format!("Entity '{logical_name}' With Id = {id} Does Not Exist"),
        )
    }

    /// `Resource not found for the segment 'x'.`
    pub fn segment_not_found(segment: &str) -> Self {
        Self::new(Code::ResourceNotFound, format!("Resource not found for the segment '{segment}'."))
    }

    /// `Could not find a property named 'x' on type 'Microsoft.Dynamics.CRM.account'.`
    pub fn property_not_found(logical_name: &str, property: &str) -> Self {
        Self::new(
            Code::BadRequest,
            format!("Could not find a property named '{property}' on type 'Microsoft.Dynamics.CRM.{logical_name}'."),
        )
    }

    /// A body error, wrapped the way Dataverse wraps OData deserializer failures.
    pub fn payload(entity_set: &str, inner: impl std::fmt::Display) -> Self {
        Self::new(
            Code::PayloadError,
            format!(
                "Error identified in Payload provided by the user for Entity :'{entity_set}', {PAYLOAD_HELP}  ---->  InnerException : {inner}"
            ),
        )
    }

    /// An unknown property in a request body.
    pub fn invalid_property(entity_set: &str, logical_name: &str, property: &str) -> Self {
        Self::payload(
            entity_set,
            format!(
                "Microsoft.Crm.CrmException: Invalid property '{property}' was found in entity 'Microsoft.Dynamics.CRM.{logical_name}'. ---> Microsoft.OData.ODataException: Does not support untyped value in non-open type."
            ),
        )
    }

    /// `The key in the request URI is not valid for resource …`
    pub fn invalid_key(logical_name: &str) -> Self {
        Self::new(
            Code::BadRequest,
            format!(
                "The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.{logical_name}'. Ensure that the names and number of key properties match the declared or alternate key properties for the resource 'Microsoft.Dynamics.CRM.{logical_name}'."
            ),
        )
    }

    /// A method not allowed on the addressed resource.
    pub fn method_not_allowed(method: &http::Method, url: &str) -> Self {
        Self::new(
            Code::MethodNotAllowed,
            format!("The requested resource does not support http method '{method}'. ({url})"),
        )
    }

    /// A bug in the emulator.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::new(Code::Internal, format!("An unexpected error occurred: {detail}"))
    }

    /// The JSON body Dataverse sends for this error.
    pub fn body(&self) -> serde_json::Value {
        error_body(self.code.hex(), &self.message)
    }
}

/// The Dataverse error body for any code, including ones outside the catalog (errors a
/// test injects through the admin API with a code of its choosing).
pub fn error_body(hex: &str, message: &str) -> serde_json::Value {
    serde_json::json!({ "error": { "code": hex, "message": message } })
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code.hex(), self.code.status(), self.message)
    }
}

impl std::error::Error for Error {}

impl From<odata_parser::ParseError> for Error {
    fn from(e: odata_parser::ParseError) -> Self {
        Error::new(Code::BadRequest, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_maps_codes_to_status_and_hex() {
        assert_eq!(Code::ObjectDoesNotExist.status(), StatusCode::NOT_FOUND);
        assert_eq!(Code::ObjectDoesNotExist.hex(), "0x80040217");
        assert_eq!(Code::ConcurrencyVersionMismatch.status(), StatusCode::PRECONDITION_FAILED);
        assert_eq!(Code::ResourceNotFound.hex(), "0x80060888");
    }

    #[test]
    fn not_found_uses_the_live_wording() {
        let e = Error::not_found("account", "9f3162f6-804a-e611-80d1-00155d4333fa");
        assert_eq!(
            e.body(),
            serde_json::json!({"error":{"code":"0x80040217","message":"Entity 'account' With Id = 9f3162f6-804a-e611-80d1-00155d4333fa Does Not Exist"}})
        );
    }
}
