//! Application services: one function per use case. They authorize the caller, resolve
//! references, run the domain command and write the result (state + events) in one transaction.

pub mod directory;
pub mod incidents;
pub mod integrations;
pub mod oncall;
pub mod sla;
