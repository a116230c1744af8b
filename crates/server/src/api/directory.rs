//! Directory routes: users and their tokens, teams, services, categories, resolution codes,
//! templates, the priority matrix and the admin status report.

use axum::Router;
use utoipa::OpenApi;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}

#[derive(OpenApi)]
#[openapi(paths())]
pub struct DirectoryApi;
