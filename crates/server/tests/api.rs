//! The HTTP integration suite (modules under `tests/api/`): the whole app in-process on `127.0.0.1:0`, driven through its
//! REST API only. Every scenario runs twice: on SQLite in a fresh temporary directory, and on
//! PostgreSQL in a fresh database (created on the server `MAYDAY_TEST_DATABASE_URL` names and
//! dropped afterwards). Without that variable the PostgreSQL variants are skipped with a note,
//! except under `CI`, where they fail.
//!
//! Run: `cargo test -p mayday-server --test api`, and with
//! `MAYDAY_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` for both engines.

#[path = "api/harness.rs"]
mod harness;

#[path = "api/access.rs"]
mod access;
#[path = "api/basics.rs"]
mod basics;
#[path = "api/directory.rs"]
mod directory;
#[path = "api/fields.rs"]
mod fields;
#[path = "api/intake.rs"]
mod intake;
#[path = "api/lifecycle.rs"]
mod lifecycle;
#[path = "api/limits.rs"]
mod limits;
#[path = "api/listing.rs"]
mod listing;
#[path = "api/oncall.rs"]
mod oncall;
#[path = "api/paging.rs"]
mod paging;
#[path = "api/requests.rs"]
mod requests;
#[path = "api/sla.rs"]
mod sla;
#[path = "api/sla_config.rs"]
mod sla_config;
#[path = "api/store_paging.rs"]
mod store_paging;
#[path = "api/store_sessions.rs"]
mod store_sessions;
#[path = "api/web.rs"]
mod web;
