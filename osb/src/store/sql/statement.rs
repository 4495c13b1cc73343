//! Statements as the store writes them, whatever the database: SQL text with numbered
//! parameters (`$1`, `$2`, …) and their values, and rows read back by column name.
//! Each backend turns them into its driver's own.

use crate::store::StoreError;

/// One parameter's value: text or an integer (booleans are 0/1, times Unix ms), or
/// NULL.
#[derive(Debug, Clone)]
pub(super) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Self::Text(Some(text.to_owned()))
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Self::Text(Some(text))
    }
}

impl From<Option<&str>> for Value {
    fn from(text: Option<&str>) -> Self {
        Self::Text(text.map(str::to_owned))
    }
}

impl From<Option<String>> for Value {
    fn from(text: Option<String>) -> Self {
        Self::Text(text)
    }
}

impl From<i64> for Value {
    fn from(number: i64) -> Self {
        Self::Int(Some(number))
    }
}

impl From<Option<i64>> for Value {
    fn from(number: Option<i64>) -> Self {
        Self::Int(number)
    }
}

/// A statement and its parameters, in the order `$1`, `$2`, … name them.
#[derive(Debug, Clone)]
pub(super) struct Statement {
    pub(super) sql: &'static str,
    pub(super) params: Vec<Value>,
}

impl Statement {
    /// `sql` without parameters yet.
    pub(super) fn new(sql: &'static str) -> Self {
        Self {
            sql,
            params: Vec::new(),
        }
    }

    /// The statement with `value` as its next parameter.
    #[must_use]
    pub(super) fn bind(mut self, value: impl Into<Value>) -> Self {
        self.params.push(value.into());
        self
    }
}

/// A row read back, by column name.
pub(super) trait Cells {
    /// A text column (NULL is `None`).
    fn text(&self, column: &str) -> Result<Option<String>, StoreError>;
    /// An integer column (NULL is `None`).
    fn int(&self, column: &str) -> Result<Option<i64>, StoreError>;

    /// A text column that must not be NULL.
    fn required_text(&self, column: &str) -> Result<String, StoreError> {
        self.text(column)?.ok_or_else(|| null(column))
    }

    /// An integer column that must not be NULL.
    fn required_int(&self, column: &str) -> Result<i64, StoreError> {
        self.int(column)?.ok_or_else(|| null(column))
    }
}

fn null(column: &str) -> StoreError {
    StoreError::new(format!("the stored column {column} is NULL"))
}
