//! The API's two kinds of failure, and the one place they become GraphQL.
//!
//! - [`UserError`]: an *expected* failure of a mutation (invalid input, an
//!   unknown id given as input, a taken email, not enough stock). It is data:
//!   returned in the mutation payload's `userErrors` so that codegen clients
//!   get it typed, with a code from [`UserErrorCode`] and the path of the
//!   offending input field.
//! - [`ApiError`]: everything else. It becomes a top-level GraphQL error with
//!   a stable `extensions.code` ([`ErrorCode`]). Internal failures are logged
//!   in full and shown to the client only as a generic message, so no SQL,
//!   driver message or stack trace ever leaves the server.

use std::sync::Arc;

use async_graphql::{Enum, ErrorExtensions, SimpleObject};
use sea_orm::{DbErr, SqlErr};

/// Codes of top-level errors, as found in `errors[].extensions.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The HTTP request is not a GraphQL request (wrong method, media type or body).
    BadRequest,
    /// An argument is malformed: a bad ID or cursor, a page size out of range.
    BadUserInput,
    /// The document could not be parsed.
    GraphqlParseFailed,
    /// The document is not valid against the schema (unknown field, wrong type).
    GraphqlValidationFailed,
    /// The server failed; the detail is in the server's log.
    Internal,
    /// A persisted query's hash is unknown: send the query with its hash.
    PersistedQueryNotFound,
    /// In production with trusted documents, the document is not on the
    /// list; nothing ran.
    PersistedQueryNotInList,
    /// The operation costs more than the complexity budget of one request.
    QueryTooComplex,
    /// The operation nests fields deeper than allowed.
    QueryTooDeep,
    /// The operation uses more aliases than allowed.
    TooManyAliases,
    /// The document has more tokens than allowed.
    QueryTooLarge,
    /// The batch holds more operations than allowed.
    BatchTooLarge,
    /// A WebSocket connection, or a customer, has as many subscriptions
    /// open as allowed.
    TooManySubscriptions,
    /// The request body is larger than allowed (HTTP 413).
    BodyTooLarge,
    /// The server, or this client address, has as many connections open
    /// as allowed (HTTP 503).
    TooManyConnections,
    /// The client's rate limit does not cover the request's cost (HTTP
    /// 429 with `Retry-After`); nothing ran. `extensions.retryAfter` says in
    /// how many seconds it would.
    Throttled,
    /// The request, or one of its database statements, ran out of time.
    Timeout,
    /// The database is unreachable; retry later.
    ServiceUnavailable,
    /// The request needs a valid bearer token (none, expired or revoked).
    Unauthenticated,
    /// The caller may not do this (staff only).
    Forbidden,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ErrorCode::PersistedQueryNotInList => "PERSISTED_QUERY_NOT_IN_LIST",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::QueryTooDeep => "QUERY_TOO_DEEP",
            ErrorCode::TooManyAliases => "TOO_MANY_ALIASES",
            ErrorCode::QueryTooLarge => "QUERY_TOO_LARGE",
            ErrorCode::BatchTooLarge => "BATCH_TOO_LARGE",
            ErrorCode::BodyTooLarge => "BODY_TOO_LARGE",
            ErrorCode::TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
            ErrorCode::TooManyConnections => "TOO_MANY_CONNECTIONS",
            ErrorCode::Throttled => "THROTTLED",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
        }
    }
}

impl ErrorCode {
    /// A top-level error with this code, raised outside a resolver (by the
    /// HTTP layer or a schema extension).
    pub fn error(self, message: impl Into<String>) -> async_graphql::ServerError {
        self.apply(async_graphql::ServerError::new(message, None))
    }

    /// Gives `error` this code unless it has one already.
    pub fn apply(self, mut error: async_graphql::ServerError) -> async_graphql::ServerError {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", self.as_str());
        }
        error
    }
}

/// A failure that aborts a field and becomes a top-level GraphQL error.
///
/// It deliberately does not implement `Display`: async-graphql turns any
/// `Display` error into a message verbatim, and an internal error's text must
/// never reach a client. The only way out is `From<ApiError>` below.
/// (`Clone` because async-graphql requires it of resolvers' error types.)
#[derive(Debug, Clone)]
pub enum ApiError {
    /// The client sees the message as written, with code `BAD_USER_INPUT`.
    BadUserInput(String),
    /// The client sees only "Internal server error" with code `INTERNAL`; the
    /// cause (which may hold SQL or driver text) is logged instead.
    Internal(Arc<anyhow::Error>),
    /// The database is unreachable or too slow: code `SERVICE_UNAVAILABLE`
    /// or `TIMEOUT`, a generic message, the cause logged.
    Unavailable(ErrorCode, Arc<anyhow::Error>),
    /// The caller may not do this: code `UNAUTHENTICATED` or `FORBIDDEN`,
    /// with this message.
    Refused(ErrorCode, String),
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        ApiError::Internal(Arc::new(err))
    }
}

impl ApiError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        ApiError::BadUserInput(message.into())
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        match classify(&err) {
            Some(code) => ApiError::Unavailable(code, Arc::new(err.into())),
            None => anyhow::Error::from(err).into(),
        }
    }
}

impl ApiError {
    /// The error for a database failure shared by several callers (a batch).
    pub fn from_shared(err: &DbErr) -> Self {
        let cause = Arc::new(anyhow::anyhow!("{err}"));
        match classify(err) {
            Some(code) => ApiError::Unavailable(code, cause),
            None => ApiError::Internal(cause),
        }
    }
}

/// Database failures that are not bugs: the database is unreachable
/// (`SERVICE_UNAVAILABLE`), or a statement hit PostgreSQL's
/// `statement_timeout` (`TIMEOUT`, SQLSTATE 57014).
fn classify(err: &DbErr) -> Option<ErrorCode> {
    use sea_orm::{RuntimeErr, sqlx};
    let runtime = match err {
        DbErr::ConnectionAcquire(_) => return Some(ErrorCode::ServiceUnavailable),
        DbErr::Conn(runtime) | DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return None,
    };
    let RuntimeErr::SqlxError(sqlx_error) = runtime else {
        return None;
    };
    match sqlx_error.as_ref() {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => Some(ErrorCode::ServiceUnavailable),
        sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => {
            Some(ErrorCode::Timeout)
        }
        // SQLite: another connection or process holds the write lock past
        // the busy timeout (SQLITE_BUSY, SQLITE_LOCKED and their variants).
        sqlx::Error::Database(db)
            if matches!(
                db.code().as_deref(),
                Some("5" | "6" | "261" | "517" | "262")
            ) =>
        {
            Some(ErrorCode::ServiceUnavailable)
        }
        // The server is shutting down or restarting (admin_shutdown,
        // crash_shutdown, cannot_connect_now).
        sqlx::Error::Database(db)
            if matches!(db.code().as_deref(), Some("57P01" | "57P02" | "57P03")) =>
        {
            Some(ErrorCode::ServiceUnavailable)
        }
        _ => None,
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let (message, code) = match &err {
            ApiError::BadUserInput(message) => (message.clone(), ErrorCode::BadUserInput),
            ApiError::Refused(code, message) => (message.clone(), *code),
            ApiError::Unavailable(code, cause) => {
                tracing::warn!(error = format!("{cause:#}"), "request failed");
                let message = match code {
                    ErrorCode::Timeout => "The request took too long",
                    _ => "The service is unavailable; retry later",
                };
                (message.to_owned(), *code)
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "request failed");
                ("Internal server error".to_owned(), ErrorCode::Internal)
            }
        };
        async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code.as_str()))
    }
}

/// The result type of resolvers.
pub type ApiResult<T> = Result<T, ApiError>;

/// Why a mutation did not do what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum UserErrorCode {
    /// The value is not acceptable (empty, too long, negative, malformed).
    Invalid,
    /// No object has the given ID.
    NotFound,
    /// The value must be unique and is already in use.
    Taken,
    /// More units are asked for than the product has in stock.
    InsufficientStock,
    /// The list has more entries than one call accepts.
    TooMany,
    /// The cart is checked out and can no longer change.
    CheckedOut,
    /// The customer already used this idempotency key for another cart.
    IdempotencyKeyReused,
    /// The email and password do not match an account.
    InvalidCredentials,
    /// Too many failed attempts (logins for this email or from this
    /// address, sign-ups from this address); the message says when to try
    /// again.
    Throttled,
    /// The order is already cancelled.
    AlreadyCancelled,
    /// The cart has no shipping address yet, and one is needed.
    MissingShippingAddress,
    /// The cart ships, and no shipping rate that applies to it is chosen.
    NoShippingRate,
    /// A guest's cart has no email yet (`setCartEmail`), and checkout
    /// needs one.
    MissingEmail,
    /// A discount code on the cart was used up, or already used by this
    /// buyer, while the checkout ran; the cart now shows it as not
    /// applicable.
    DiscountCodeUnavailable,
    /// Another variant of the product has the same selected options.
    DuplicateVariant,
}

/// An expected failure of a mutation, returned as data in its payload.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// Path to the input field that caused the error, e.g. `["input", "price"]`
    /// or `["lines", "2", "quantity"]`; null when no single field is to blame.
    pub field: Option<Vec<String>>,
    /// A human-readable explanation, fit to show to the end user.
    pub message: String,
    /// A machine-readable code for the error.
    pub code: UserErrorCode,
}

impl UserError {
    pub fn new(field: &[impl AsRef<str>], code: UserErrorCode, message: impl Into<String>) -> Self {
        UserError {
            field: Some(field.iter().map(|part| part.as_ref().to_owned()).collect()),
            message: message.into(),
            code,
        }
    }

    pub fn not_found(field: &[impl AsRef<str>], what: &str) -> Self {
        UserError::new(field, UserErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn invalid(field: &[impl AsRef<str>], message: impl Into<String>) -> Self {
        UserError::new(field, UserErrorCode::Invalid, message)
    }
}

/// How a mutation's work inside its transaction ends when it does not
/// succeed: either expected failures to report (the transaction is rolled
/// back) or an internal error.
#[derive(Debug)]
pub enum MutationError {
    User(Vec<UserError>),
    Api(ApiError),
}

impl From<ApiError> for MutationError {
    fn from(err: ApiError) -> Self {
        MutationError::Api(err)
    }
}

impl From<UserError> for MutationError {
    fn from(err: UserError) -> Self {
        MutationError::User(vec![err])
    }
}

impl From<Vec<UserError>> for MutationError {
    fn from(errs: Vec<UserError>) -> Self {
        MutationError::User(errs)
    }
}

impl From<DbErr> for MutationError {
    fn from(err: DbErr) -> Self {
        MutationError::Api(err.into())
    }
}

/// Maps a unique-constraint violation to a `TAKEN` user error at `field`,
/// and any other database error to an internal one. Keyed on the kind of
/// violation SeaORM reports, not on the wording of a driver's message.
pub fn taken_on_unique_violation(err: DbErr, field: &[&str], message: &str) -> MutationError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            UserError::new(field, UserErrorCode::Taken, message).into()
        }
        _ => err.into(),
    }
}

/// Maps an update that found no row (deleted by a concurrent request after
/// it was read) to a `NOT_FOUND` user error at `field`.
pub fn not_found_if_not_updated(
    err: DbErr,
    field: &[impl AsRef<str>],
    what: &str,
) -> MutationError {
    match err {
        DbErr::RecordNotUpdated => UserError::not_found(field, what).into(),
        err => err.into(),
    }
}

/// Maps a foreign-key violation to a `NOT_FOUND` user error at `field`: the
/// row referred to was deleted by a concurrent request after it was checked.
pub fn not_found_on_foreign_key_violation(
    err: DbErr,
    field: &[impl AsRef<str>],
    what: &str,
) -> MutationError {
    match err.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => UserError::not_found(field, what).into(),
        _ => err.into(),
    }
}

/// Splits a mutation's outcome into what its payload carries: the value, or
/// the user errors; internal failures go on as top-level errors.
pub fn into_payload<T>(result: Result<T, MutationError>) -> ApiResult<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(MutationError::User(errors)) => Ok((None, errors)),
        Err(MutationError::Api(err)) => Err(err),
    }
}
