//! API errors as `application/problem+json` (RFC 9457): a stable `type`, a human `detail`, and
//! for invalid input every offending field in `errors`. Internal causes are logged, not shown.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mayday_core::incident::CommandError;
use mayday_core::{FieldError, ValidationErrors};
use mayday_store::StoreError;
use serde::Serialize;

/// An error the API answers with.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not JSON or not an object.
    BadRequest(String),
    /// 401: no or bad credentials.
    Unauthorized(String),
    /// 403: known caller, not allowed.
    Forbidden(String),
    /// 404: no such thing (or not visible to the caller).
    NotFound(String),
    /// 409: conflicts with the current state; `allowed` lists legal transitions when relevant.
    Conflict {
        detail: String,
        allowed: Option<Vec<String>>,
    },
    /// 412: `If-Match` names a stale version.
    PreconditionFailed(String),
    /// 413: body over the limit.
    PayloadTooLarge(String),
    /// 415: body is not JSON.
    UnsupportedMediaType(String),
    /// 422: invalid fields.
    Invalid(ValidationErrors),
    /// 422 without field detail (e.g. idempotency key reused with another body).
    Unprocessable(String),
    /// 428: `If-Match` required.
    PreconditionRequired(String),
    /// 429: slow down.
    TooManyRequests(String),
    /// 500: our fault; the cause goes to the log only.
    Internal(String),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldError>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_transitions: Option<Vec<String>>,
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(ValidationErrors::single(field, message))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) | ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::Conflict {
                allowed: Some(_), ..
            } => "illegal-transition",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PreconditionFailed(_) => "stale-version",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::Invalid(_) => "validation-failed",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::PreconditionRequired(_) => "if-match-required",
            ApiError::TooManyRequests(_) => "rate-limited",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.slug(), self.status())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let kind = format!("urn:mayday:problem:{}", self.slug());
        let (detail, errors, allowed) = match self {
            ApiError::Invalid(v) => (
                format!("{} field(s) are invalid: {v}", v.0.len()),
                Some(v.0),
                None,
            ),
            ApiError::Conflict { detail, allowed } => (detail, None, allowed),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (
                    "an internal error occurred; it has been logged".to_string(),
                    None,
                    None,
                )
            }
            ApiError::BadRequest(d)
            | ApiError::Unauthorized(d)
            | ApiError::Forbidden(d)
            | ApiError::NotFound(d)
            | ApiError::PreconditionFailed(d)
            | ApiError::PayloadTooLarge(d)
            | ApiError::UnsupportedMediaType(d)
            | ApiError::Unprocessable(d)
            | ApiError::PreconditionRequired(d)
            | ApiError::TooManyRequests(d) => (d, None, None),
        };
        let problem = Problem {
            kind,
            title: status.canonical_reason().unwrap_or("error"),
            status: status.as_u16(),
            detail,
            errors,
            allowed_transitions: allowed,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => ApiError::PreconditionFailed(
                "the record was changed by someone else; fetch it again and retry".into(),
            ),
            StoreError::Duplicate { kind, name } => ApiError::Conflict {
                detail: format!("{kind} {name:?} already exists"),
                allowed: None,
            },
            StoreError::NotFound => ApiError::NotFound("not found".into()),
            StoreError::Backend(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(v: ValidationErrors) -> Self {
        ApiError::Invalid(v)
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Invalid(v) => ApiError::Invalid(v),
            CommandError::IllegalTransition { from, to, allowed } => {
                let names: Vec<String> = allowed.iter().map(|s| s.as_str().to_string()).collect();
                let detail = if names.is_empty() {
                    format!("cannot move from {from} to {to}: {from} is final")
                } else {
                    format!(
                        "cannot move from {from} to {to}; allowed from {from}: {}",
                        names.join(", ")
                    )
                };
                ApiError::Conflict {
                    detail,
                    allowed: Some(names),
                }
            }
            CommandError::Final(status) => ApiError::Conflict {
                detail: format!("the incident is {status} and can no longer change"),
                allowed: Some(Vec::new()),
            },
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
