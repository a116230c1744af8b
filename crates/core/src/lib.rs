//! Mayday's domain core: incidents, their state machine, priority matrix, taxonomy, roles and
//! timeline events. Everything here is pure: no I/O and no wall-clock reads — time arrives as
//! UTC epoch milliseconds chosen by the caller (see [`clock`]).

pub mod alert;
pub mod clock;
pub mod error;
pub mod incident;
pub mod oncall;
pub mod priority;
pub mod prng;
pub mod role;
pub mod search_text;
pub mod sla;
pub mod state;
pub mod taxonomy;
pub mod timeline;

pub use clock::{Clock, FixedClock, Millis};
pub use error::{FieldError, ValidationErrors};
pub use incident::{Incident, IncidentNumber};
pub use priority::{Impact, Priority, PriorityMatrix, Urgency};
pub use role::Role;
pub use state::Status;
