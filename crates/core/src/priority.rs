//! Impact × urgency → priority through a configurable matrix.

use serde::{Deserialize, Serialize};

use crate::error::ValidationErrors;

macro_rules! level_newtype {
    ($name:ident, $what:literal) => {
        #[doc = concat!("The ", $what, " of an incident: 1 high, 2 medium, 3 low.")]
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(try_from = "i64", into = "i64")]
        pub struct $name(u8);

        impl $name {
            pub fn new(value: i64) -> Result<Self, String> {
                if (1..=3).contains(&value) {
                    Ok(Self(value as u8))
                } else {
                    Err(format!(
                        "{} must be 1 (high), 2 (medium) or 3 (low), got {value}",
                        $what
                    ))
                }
            }
            pub fn get(self) -> u8 {
                self.0
            }
        }
        impl TryFrom<i64> for $name {
            type Error = String;
            fn try_from(v: i64) -> Result<Self, String> {
                Self::new(v)
            }
        }
        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                v.0 as i64
            }
        }
    };
}

level_newtype!(Impact, "impact");
level_newtype!(Urgency, "urgency");

/// P1 critical .. P5 planning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Priority(u8);

impl Priority {
    pub const P1: Priority = Priority(1);
    pub const P5: Priority = Priority(5);

    pub fn from_level(level: i64) -> Result<Self, String> {
        if (1..=5).contains(&level) {
            Ok(Self(level as u8))
        } else {
            Err(format!("priority level must be 1..5, got {level}"))
        }
    }
    /// 1 for P1 .. 5 for P5.
    pub fn level(self) -> u8 {
        self.0
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let digits = t.strip_prefix('P').or_else(|| t.strip_prefix('p'));
        match digits.and_then(|d| d.parse::<i64>().ok()) {
            Some(n) if (1..=5).contains(&n) => Ok(Self(n as u8)),
            _ => Err(format!(
                "priority must be one of P1, P2, P3, P4, P5, got {s:?}"
            )),
        }
    }
    pub fn label(self) -> &'static str {
        match self.0 {
            1 => "critical",
            2 => "high",
            3 => "moderate",
            4 => "low",
            _ => "planning",
        }
    }
}

impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "P{}", self.0)
    }
}
impl TryFrom<String> for Priority {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<Priority> for String {
    fn from(p: Priority) -> String {
        p.to_string()
    }
}

/// The impact × urgency table. Row = impact − 1, column = urgency − 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityMatrix {
    cells: [[Priority; 3]; 3],
}

impl Default for PriorityMatrix {
    /// priority = impact + urgency − 1.
    fn default() -> Self {
        let mut cells = [[Priority::P1; 3]; 3];
        for (i, row) in cells.iter_mut().enumerate() {
            for (u, cell) in row.iter_mut().enumerate() {
                *cell = Priority((i + u + 1) as u8);
            }
        }
        Self { cells }
    }
}

impl PriorityMatrix {
    /// Builds a matrix from rows of priority levels (1..5), impact-major, checking every cell.
    pub fn from_levels(rows: &[Vec<i64>]) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if rows.len() != 3 || rows.iter().any(|r| r.len() != 3) {
            errors.add(
                "priority.matrix",
                "must be 3 rows (impact 1..3) of 3 levels (urgency 1..3)",
            );
            return Err(errors);
        }
        let mut cells = [[Priority::P1; 3]; 3];
        for (i, row) in rows.iter().enumerate() {
            for (u, &level) in row.iter().enumerate() {
                match Priority::from_level(level) {
                    Ok(p) => cells[i][u] = p,
                    Err(e) => errors.add(format!("priority.matrix[{i}][{u}]"), e),
                }
            }
        }
        errors.into_result()?;
        Ok(Self { cells })
    }

    pub fn priority(&self, impact: Impact, urgency: Urgency) -> Priority {
        self.cells[impact.get() as usize - 1][urgency.get() as usize - 1]
    }

    /// Rows of levels, impact-major (for display and the API).
    pub fn levels(&self) -> Vec<Vec<u8>> {
        self.cells
            .iter()
            .map(|r| r.iter().map(|p| p.level()).collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(i: i64, u: i64) -> Priority {
        PriorityMatrix::default().priority(Impact::new(i).unwrap(), Urgency::new(u).unwrap())
    }

    #[test]
    fn default_matrix_is_impact_plus_urgency_minus_one() {
        assert_eq!(p(1, 1).to_string(), "P1");
        assert_eq!(p(2, 3).to_string(), "P4");
        assert_eq!(p(3, 3).to_string(), "P5");
        assert_eq!(p(1, 3).to_string(), "P3");
    }

    #[test]
    fn levels_out_of_range_are_refused() {
        assert!(Impact::new(0).is_err());
        assert!(Urgency::new(4).is_err());
        assert!(Priority::parse("P6").is_err());
        assert!(Priority::parse("high").is_err());
        assert_eq!(Priority::parse("p2").unwrap().level(), 2);
    }

    #[test]
    fn custom_matrix_names_bad_cells() {
        let err = PriorityMatrix::from_levels(&[vec![1, 1, 2], vec![1, 9, 3], vec![2, 3, 0]])
            .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["priority.matrix[1][1]", "priority.matrix[2][2]"]);
        let m =
            PriorityMatrix::from_levels(&[vec![1, 1, 2], vec![1, 2, 3], vec![2, 3, 4]]).unwrap();
        assert_eq!(
            m.priority(Impact::new(1).unwrap(), Urgency::new(2).unwrap()),
            Priority::P1
        );
    }
}
