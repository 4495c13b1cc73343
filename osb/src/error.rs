//! The one error type of the runtime and of every handler («Service Broker Errors»).

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::api::Endpoint;

/// What went wrong, independent of the endpoint.
///
/// The HTTP status follows from the kind *and* the endpoint ([`ErrorKind::status`]),
/// because the specification assigns different codes to the same condition on
/// different endpoints: a missing instance is `410 Gone` when deprovisioning
/// but `404 Not Found` when fetching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request is malformed or misses mandatory data (400).
    BadRequest,
    /// The `parameters` are invalid for the plan (400).
    InvalidParameters,
    /// An instance with this id exists, or is being provisioned, with other attributes (409).
    InstanceAlreadyExists,
    /// The instance does not exist: 410 on deprovision, 404 on fetch and `last_operation`,
    /// 400 on update and bind (whose tables define no 404), 410 on unbind.
    InstanceNotFound,
    /// A binding with this id exists, or is being created, with other parameters (409).
    BindingAlreadyExists,
    /// The binding does not exist: 410 on unbind, 404 on fetch and `last_operation`.
    BindingNotFound,
    /// The resource was deleted by an asynchronous delete that has finished: 410 on
    /// `last_operation` and the deletes (the platform treats it as success), 404 on fetch.
    Gone,
    /// The broker's limit of instances is reached (422).
    InstanceLimitMet,
    /// The plan's quota is exceeded (422).
    PlanQuotaExceeded,
    /// The service offering's quota is exceeded (422).
    ServiceQuotaExceeded,
    /// The operation can only run asynchronously and the request lacked
    /// `accepts_incomplete=true` (422, `"error": "AsyncRequired"`).
    AsyncRequired,
    /// The requested plan change is not supported (422).
    PlanChangeNotSupported,
    /// The bind request lacks the `app_guid` the broker needs (422, `"error": "RequiresApp"`).
    RequiresApp,
    /// Another operation on the same resource is in progress (422, `"error": "ConcurrencyError"`).
    ConcurrencyError,
    /// `maintenance_info.version` differs from the plan's in the catalog
    /// (422, `"error": "MaintenanceInfoConflict"`).
    MaintenanceInfoConflict,
    /// The broker does not implement this operation: 422 on update and bind, 404 on the
    /// fetch and `last_operation` endpoints, 410 on unbind (nothing can be bound).
    NotSupported,
    /// The request is well-formed but cannot be processed in the resource's current state (422).
    Unprocessable,
    /// Authentication failed (401).
    Unauthorized,
    /// The `X-Broker-API-Version` header is missing, malformed or not supported (412).
    UnsupportedApiVersion,
    /// No endpoint has this path (404).
    NotFound,
    /// The endpoint does not support this method (405).
    MethodNotAllowed,
    /// The request body is larger than the configured limit (413).
    PayloadTooLarge,
    /// The operation failed; the description is shown to the user (500).
    Failed,
    /// An internal error; the description is generic and the cause goes only to the log (500).
    Internal,
    /// Something the broker depends on (its state store, a backend) is unavailable or
    /// overloaded for now: 503, with `Retry-After` when the error says when to retry.
    Unavailable,
}

impl ErrorKind {
    /// The HTTP status this kind has on `endpoint`, as the specification's tables prescribe.
    pub fn status(self, endpoint: Endpoint) -> StatusCode {
        use Endpoint as E;
        use ErrorKind as K;
        match (self, endpoint) {
            (K::BadRequest | K::InvalidParameters, _) => StatusCode::BAD_REQUEST,
            (K::InstanceAlreadyExists | K::BindingAlreadyExists, _) => StatusCode::CONFLICT,
            (K::InstanceNotFound | K::BindingNotFound, E::Deprovision | E::Unbind) => {
                StatusCode::GONE
            }
            (K::InstanceNotFound, E::Update | E::Bind | E::Provision) => StatusCode::BAD_REQUEST,
            (K::InstanceNotFound | K::BindingNotFound, _) => StatusCode::NOT_FOUND,
            (K::Gone, E::FetchInstance | E::FetchBinding) => StatusCode::NOT_FOUND,
            (K::Gone, _) => StatusCode::GONE,
            (K::NotSupported, E::Unbind) => StatusCode::GONE,
            (
                K::NotSupported,
                E::FetchInstance | E::LastOperation | E::FetchBinding | E::BindingLastOperation,
            ) => StatusCode::NOT_FOUND,
            (
                K::InstanceLimitMet
                | K::PlanQuotaExceeded
                | K::ServiceQuotaExceeded
                | K::AsyncRequired
                | K::PlanChangeNotSupported
                | K::RequiresApp
                | K::ConcurrencyError
                | K::MaintenanceInfoConflict
                | K::NotSupported
                | K::Unprocessable,
                _,
            ) => StatusCode::UNPROCESSABLE_ENTITY,
            (K::Unauthorized, _) => StatusCode::UNAUTHORIZED,
            (K::UnsupportedApiVersion, _) => StatusCode::PRECONDITION_FAILED,
            (K::NotFound, _) => StatusCode::NOT_FOUND,
            (K::MethodNotAllowed, _) => StatusCode::METHOD_NOT_ALLOWED,
            (K::PayloadTooLarge, _) => StatusCode::PAYLOAD_TOO_LARGE,
            (K::Failed | K::Internal, _) => StatusCode::INTERNAL_SERVER_ERROR,
            (K::Unavailable, _) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `error` code the specification defines for this kind («Error Codes»), if any.
    ///
    /// Only the four codes of the specification are sent; other conditions carry
    /// a `description` alone, so no invented code can clash with a future one.
    pub fn code(self) -> Option<&'static str> {
        match self {
            ErrorKind::AsyncRequired => Some("AsyncRequired"),
            ErrorKind::ConcurrencyError => Some("ConcurrencyError"),
            ErrorKind::RequiresApp => Some("RequiresApp"),
            ErrorKind::MaintenanceInfoConflict => Some("MaintenanceInfoConflict"),
            _ => None,
        }
    }

    /// The description sent when the error carries none of its own.
    pub fn default_description(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "The request is malformed or missing mandatory data.",
            ErrorKind::InvalidParameters => "The parameters are invalid.",
            ErrorKind::InstanceAlreadyExists => {
                "A service instance with this id already exists with different attributes."
            }
            ErrorKind::InstanceNotFound => "The service instance does not exist.",
            ErrorKind::BindingAlreadyExists => {
                "A service binding with this id already exists with different parameters."
            }
            ErrorKind::BindingNotFound => "The service binding does not exist.",
            ErrorKind::Gone => "The resource has been deleted.",
            ErrorKind::InstanceLimitMet => "The limit of service instances has been reached.",
            ErrorKind::PlanQuotaExceeded => "The quota of this service plan has been exceeded.",
            ErrorKind::ServiceQuotaExceeded => {
                "The quota of this service offering has been exceeded."
            }
            ErrorKind::AsyncRequired => {
                "This Service Plan requires client support for asynchronous service operations."
            }
            ErrorKind::PlanChangeNotSupported => "The requested plan change is not supported.",
            ErrorKind::RequiresApp => {
                "This Service supports generation of credentials through binding an application only."
            }
            ErrorKind::ConcurrencyError => {
                "Another operation for this Service Instance is in progress."
            }
            ErrorKind::MaintenanceInfoConflict => {
                "The maintenance information for the requested Service Plan has changed."
            }
            ErrorKind::NotSupported => "This service broker does not support this operation.",
            ErrorKind::Unprocessable => "The request cannot be processed.",
            ErrorKind::Unauthorized => "Authentication failed.",
            ErrorKind::UnsupportedApiVersion => "The API version is not supported.",
            ErrorKind::NotFound => "No endpoint of the Open Service Broker API has this path.",
            ErrorKind::MethodNotAllowed => "This endpoint does not support this HTTP method.",
            ErrorKind::PayloadTooLarge => "The request body is too large.",
            ErrorKind::Failed => "The service broker could not complete the operation.",
            ErrorKind::Internal => "The service broker failed to process the request.",
            ErrorKind::Unavailable => {
                "The service broker cannot process the request now; retry later."
            }
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// An error from a handler or from the runtime, answered with an OSB error body.
///
/// Build one with the constructor named after the condition and, where useful,
/// a user-facing description:
///
/// ```
/// use osb::api::Endpoint;
/// use osb::{Error, ErrorKind};
///
/// let err = Error::instance_already_exists().with_description("instance `db-1` has plan `large`");
/// assert_eq!(err.kind(), ErrorKind::InstanceAlreadyExists);
/// assert_eq!(err.kind().status(Endpoint::Provision), 409);
///
/// // The cause of an internal error goes to the log, never to the platform.
/// let io = std::io::Error::other("connection refused by 10.0.0.7:5432");
/// let err = Error::internal(io);
/// assert_eq!(err.description(), "The service broker failed to process the request.");
/// ```
///
/// `instance_usable` and `update_repeatable` are sent only on the endpoints where
/// the specification allows them (update and deprovision, update only); the
/// runtime drops them elsewhere.
#[derive(thiserror::Error)]
#[error("{kind}: {}", self.description())]
pub struct Error {
    kind: ErrorKind,
    description: Option<Cow<'static, str>>,
    instance_usable: Option<bool>,
    update_repeatable: Option<bool>,
    retry_after: Option<Duration>,
    #[source]
    source: Option<BoxError>,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Error");
        s.field("kind", &self.kind);
        if let Some(description) = &self.description {
            s.field("description", description);
        }
        if let Some(usable) = self.instance_usable {
            s.field("instance_usable", &usable);
        }
        if let Some(repeatable) = self.update_repeatable {
            s.field("update_repeatable", &repeatable);
        }
        if let Some(delay) = self.retry_after {
            s.field("retry_after", &delay);
        }
        if let Some(source) = &self.source {
            s.field("source", source);
        }
        s.finish()
    }
}

macro_rules! constructors {
    ($($(#[$doc:meta])* $name:ident => $kind:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name() -> Self {
                Self::new(ErrorKind::$kind)
            }
        )*
    };
}

impl Error {
    /// An error of `kind` with the kind's default description.
    pub fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            description: None,
            instance_usable: None,
            update_repeatable: None,
            retry_after: None,
            source: None,
        }
    }

    constructors! {
        /// The instance exists, or is being provisioned, with other attributes (409).
        instance_already_exists => InstanceAlreadyExists;
        /// The instance does not exist (see [`ErrorKind::InstanceNotFound`] for the status per endpoint).
        instance_not_found => InstanceNotFound;
        /// The binding exists, or is being created, with other parameters (409).
        binding_already_exists => BindingAlreadyExists;
        /// The binding does not exist (410 on unbind, 404 on fetch and polling).
        binding_not_found => BindingNotFound;
        /// An asynchronous delete of the resource has finished (410 on polling).
        gone => Gone;
        /// The broker's limit of instances is reached (422).
        instance_limit_met => InstanceLimitMet;
        /// The plan's quota is exceeded (422).
        plan_quota_exceeded => PlanQuotaExceeded;
        /// The offering's quota is exceeded (422).
        service_quota_exceeded => ServiceQuotaExceeded;
        /// The operation needs `accepts_incomplete=true` (422 `AsyncRequired`).
        async_required => AsyncRequired;
        /// The plan change is not supported (422).
        plan_change_not_supported => PlanChangeNotSupported;
        /// The bind request lacks `app_guid` (422 `RequiresApp`).
        requires_app => RequiresApp;
        /// Another operation on the resource is in progress (422 `ConcurrencyError`).
        concurrency_error => ConcurrencyError;
        /// The request's `maintenance_info.version` is not the plan's (422 `MaintenanceInfoConflict`).
        maintenance_info_conflict => MaintenanceInfoConflict;
        /// The broker does not implement this operation (see [`ErrorKind::NotSupported`]).
        not_supported => NotSupported;
        /// Something the broker depends on is unavailable for now (503); add
        /// [`with_retry_after`](Error::with_retry_after) to say when to retry.
        unavailable => Unavailable;
    }

    /// The request is malformed or misses data; `description` says what (400).
    pub fn bad_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::BadRequest).with_description(description)
    }

    /// The parameters are invalid; `description` says which and why (400).
    pub fn invalid_parameters(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidParameters).with_description(description)
    }

    /// The request cannot be processed in the resource's current state (422).
    pub fn unprocessable(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unprocessable).with_description(description)
    }

    /// The operation failed for a reason the user may see (500 with `description`).
    pub fn failed(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Failed).with_description(description)
    }

    /// An internal failure: the platform gets a generic 500, `source` goes to the log.
    pub fn internal(source: impl Into<BoxError>) -> Self {
        Self::new(ErrorKind::Internal).with_source(source)
    }

    /// Replaces the description sent to the platform. An empty text keeps the default,
    /// since the specification requires a non-empty `description` when present.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        let description = description.into();
        self.description = (!description.is_empty()).then_some(description);
        self
    }

    /// Attaches the underlying cause, logged but never sent.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Sends `Retry-After` (whole seconds, at least 1) with the error: when the
    /// platform may try again, for an [`unavailable`](Error::unavailable) error above all.
    #[must_use]
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// The `Retry-After` sent with the error, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether the instance is still usable after this failed update or deprovision.
    #[must_use]
    pub fn instance_usable(mut self, usable: bool) -> Self {
        self.instance_usable = Some(usable);
        self
    }

    /// Whether this failed update may be repeated.
    #[must_use]
    pub fn update_repeatable(mut self, repeatable: bool) -> Self {
        self.update_repeatable = Some(repeatable);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The description sent to the platform.
    pub fn description(&self) -> &str {
        self.description
            .as_deref()
            .unwrap_or_else(|| self.kind.default_description())
    }

    /// The `instance_usable` flag sent on `endpoint`, if allowed there.
    pub fn instance_usable_on(&self, endpoint: Endpoint) -> Option<bool> {
        // «Service Broker Errors»: MUST NOT be present for errors of other operations.
        matches!(endpoint, Endpoint::Update | Endpoint::Deprovision)
            .then_some(self.instance_usable)
            .flatten()
    }

    /// The `update_repeatable` flag sent on `endpoint`, if allowed there.
    pub fn update_repeatable_on(&self, endpoint: Endpoint) -> Option<bool> {
        (endpoint == Endpoint::Update)
            .then_some(self.update_repeatable)
            .flatten()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Self::internal(err)
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Self::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_resources_follow_the_endpoint() {
        let k = ErrorKind::InstanceNotFound;
        assert_eq!(k.status(Endpoint::Deprovision), StatusCode::GONE);
        assert_eq!(k.status(Endpoint::FetchInstance), StatusCode::NOT_FOUND);
        assert_eq!(k.status(Endpoint::LastOperation), StatusCode::NOT_FOUND);
        assert_eq!(k.status(Endpoint::Update), StatusCode::BAD_REQUEST);
        assert_eq!(k.status(Endpoint::Bind), StatusCode::BAD_REQUEST);
        let k = ErrorKind::BindingNotFound;
        assert_eq!(k.status(Endpoint::Unbind), StatusCode::GONE);
        assert_eq!(k.status(Endpoint::FetchBinding), StatusCode::NOT_FOUND);
        assert_eq!(
            k.status(Endpoint::BindingLastOperation),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ErrorKind::Gone.status(Endpoint::LastOperation),
            StatusCode::GONE
        );
        assert_eq!(
            ErrorKind::Gone.status(Endpoint::FetchInstance),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn quota_errors_are_client_errors() {
        for kind in [
            ErrorKind::InstanceLimitMet,
            ErrorKind::PlanQuotaExceeded,
            ErrorKind::ServiceQuotaExceeded,
        ] {
            for endpoint in Endpoint::ALL {
                assert_eq!(kind.status(endpoint), StatusCode::UNPROCESSABLE_ENTITY);
            }
        }
    }

    #[test]
    fn only_spec_codes_are_sent() {
        assert_eq!(ErrorKind::AsyncRequired.code(), Some("AsyncRequired"));
        assert_eq!(ErrorKind::InstanceAlreadyExists.code(), None);
    }

    #[test]
    fn flags_only_where_allowed() {
        let err = Error::failed("disk full")
            .instance_usable(false)
            .update_repeatable(true);
        assert_eq!(err.instance_usable_on(Endpoint::Update), Some(false));
        assert_eq!(err.instance_usable_on(Endpoint::Deprovision), Some(false));
        assert_eq!(err.instance_usable_on(Endpoint::Provision), None);
        assert_eq!(err.update_repeatable_on(Endpoint::Update), Some(true));
        assert_eq!(err.update_repeatable_on(Endpoint::Deprovision), None);
    }

    #[test]
    fn empty_description_keeps_default() {
        let err = Error::bad_request("");
        assert_eq!(
            err.description(),
            ErrorKind::BadRequest.default_description()
        );
    }
}
