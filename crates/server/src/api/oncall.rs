//! (being written)

use axum::Router;
use utoipa::OpenApi;

use crate::AppState;

/// Routes behind authentication.
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// Routes without a login (authenticated by a secret in the URL).
pub fn public_routes() -> Router<AppState> {
    Router::new()
}

#[derive(OpenApi)]
#[openapi(paths())]
pub struct OncallApi;
