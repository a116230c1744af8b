//! Incident list queries: filters, full-text search, sorting and cursor pagination.

use mayday_core::search_text::Term;
use mayday_core::{Incident, Priority, Status};
use uuid::Uuid;

/// Which text a search may match: what everyone may read, or everything including work notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchScope {
    Public,
    All,
}

/// What a list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    UpdatedAt,
    Priority,
    Number,
}

impl SortField {
    /// The name the API uses for this order.
    pub fn name(self) -> &'static str {
        match self {
            SortField::CreatedAt => "created_at",
            SortField::UpdatedAt => "updated_at",
            SortField::Priority => "priority",
            SortField::Number => "number",
        }
    }

    /// The column that orders it. Creation order is the order incidents were logged in, which
    /// is their number's order: numbers are handed out as incidents are created (imports insert
    /// in chronological order), and ordering by the key lets both engines stop early.
    pub fn column(self) -> &'static str {
        match self {
            SortField::CreatedAt => "number",
            SortField::UpdatedAt => "updated_at",
            SortField::Priority => "priority",
            SortField::Number => "number",
        }
    }
    /// This field's value for an incident (what a cursor remembers).
    pub fn value_of(self, i: &Incident) -> i64 {
        match self {
            SortField::CreatedAt => i.number,
            SortField::UpdatedAt => i.updated_at,
            SortField::Priority => i.priority.level() as i64,
            SortField::Number => i.number,
        }
    }
}

/// Where the previous page ended: the sort value and number of its last item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub value: i64,
    pub number: i64,
}

/// A filtered, sorted page of incidents. Empty filter lists mean "any".
#[derive(Debug, Clone)]
pub struct IncidentQuery {
    pub statuses: Vec<Status>,
    pub priorities: Vec<Priority>,
    /// `None` inside the list stands for "unassigned".
    pub assignees: Vec<Option<Uuid>>,
    pub groups: Vec<Option<Uuid>>,
    pub categories: Vec<String>,
    pub services: Vec<Uuid>,
    /// Only incidents reported by this user (requesters).
    pub reporter: Option<Uuid>,
    pub exclude_confidential: bool,
    pub search: Option<(Vec<Term>, SearchScope)>,
    pub sort: SortField,
    pub descending: bool,
    pub after: Option<Cursor>,
    pub limit: u32,
    pub include_total: bool,
}

impl Default for IncidentQuery {
    fn default() -> Self {
        Self {
            statuses: Vec::new(),
            priorities: Vec::new(),
            assignees: Vec::new(),
            groups: Vec::new(),
            categories: Vec::new(),
            services: Vec::new(),
            reporter: None,
            exclude_confidential: false,
            search: None,
            sort: SortField::CreatedAt,
            descending: true,
            after: None,
            limit: 50,
            include_total: false,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct IncidentPage {
    pub items: Vec<Incident>,
    pub next_cursor: Option<Cursor>,
    pub total: Option<i64>,
}
