//! Reading JSON request bodies field by field, so that one 422 names every problem (unknown
//! fields, wrong types, bad values) instead of stopping at the first.

use mayday_core::{Millis, ValidationErrors};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::clock::parse_rfc3339;
use crate::error::ApiError;

/// A JSON object being read; problems accumulate in `errors`.
#[derive(Debug)]
pub struct Input {
    obj: Map<String, Value>,
    pub errors: ValidationErrors,
}

/// A field that may be absent (leave as is), null (clear) or set.
pub type Patch<T> = Option<Option<T>>;

impl Input {
    /// Takes a parsed body; it must be an object whose keys are all in `allowed`.
    pub fn new(body: Value, allowed: &[&str]) -> Result<Self, ApiError> {
        let Value::Object(obj) = body else {
            return Err(ApiError::BadRequest(
                "the body must be a JSON object".into(),
            ));
        };
        let mut errors = ValidationErrors::new();
        for key in obj.keys() {
            if !allowed.contains(&key.as_str()) {
                errors.add(
                    key.clone(),
                    format!("unknown field; known fields: {}", allowed.join(", ")),
                );
            }
        }
        Ok(Self { obj, errors })
    }

    pub fn has(&self, key: &str) -> bool {
        self.obj.contains_key(key)
    }

    pub fn raw(&self, key: &str) -> Option<&Value> {
        self.obj.get(key)
    }

    /// Adds a field that is not already present (used to apply templates).
    pub fn insert_default(&mut self, key: &str, value: Value) {
        self.obj.entry(key.to_string()).or_insert(value);
    }

    pub fn error(&mut self, key: &str, message: impl Into<String>) {
        self.errors.add(key, message);
    }

    fn typed<T>(&mut self, key: &str, what: &str, f: impl Fn(&Value) -> Option<T>) -> Patch<T> {
        match self.obj.get(key) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => match f(v) {
                Some(t) => Some(Some(t)),
                None => {
                    self.errors.add(key, format!("must be {what}"));
                    None
                }
            },
        }
    }

    /// A string that may be null.
    pub fn nullable_string(&mut self, key: &str) -> Patch<String> {
        self.typed(key, "a string", |v| v.as_str().map(String::from))
    }

    /// A string; null counts as absent for non-nullable fields and is reported.
    pub fn string(&mut self, key: &str) -> Option<String> {
        self.non_null(key, |s| s.nullable_string(key))
    }

    pub fn int(&mut self, key: &str) -> Option<i64> {
        self.non_null(key, |s| s.typed(key, "an integer", Value::as_i64))
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        self.non_null(key, |s| s.typed(key, "true or false", Value::as_bool))
    }

    pub fn strings(&mut self, key: &str) -> Option<Vec<String>> {
        self.non_null(key, |s| {
            s.typed(key, "an array of strings", |v| {
                v.as_array()?
                    .iter()
                    .map(|x| x.as_str().map(String::from))
                    .collect::<Option<Vec<_>>>()
            })
        })
    }

    /// An RFC 3339 time that may be null.
    pub fn nullable_time(&mut self, key: &str) -> Patch<Millis> {
        match self.nullable_string(key) {
            Some(Some(s)) => match parse_rfc3339(&s) {
                Ok(t) => Some(Some(t)),
                Err(e) => {
                    self.errors.add(key, e);
                    None
                }
            },
            other => other.map(|_| None),
        }
    }

    pub fn time(&mut self, key: &str) -> Option<Millis> {
        self.non_null(key, |s| s.nullable_time(key))
    }

    pub fn uuid(&mut self, key: &str) -> Option<Uuid> {
        let s = self.string(key)?;
        match Uuid::parse_str(&s) {
            Ok(u) => Some(u),
            Err(_) => {
                self.errors
                    .add(key, format!("must be an id (UUID), got {s:?}"));
                None
            }
        }
    }

    fn non_null<T>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> Patch<T>) -> Option<T> {
        match f(self) {
            Some(Some(v)) => Some(v),
            Some(None) => {
                self.errors.add(key, "must not be null");
                None
            }
            None => None,
        }
    }

    /// Ends reading: `Err` with every problem found, if any.
    pub fn finish(self) -> Result<(), ApiError> {
        self.errors.into_result().map_err(ApiError::Invalid)
    }
}
