//! One SQL statement with its values, as data: written once in the portable subset
//! (`$1`, `$2`, ...), bound by sqlx on either database or by `rusqlite` on SQLite
//! (the group commit's writer and the check-in's fact reads).

use chrono::{DateTime, Utc};
use rusqlite::types::{ToSql, ToSqlOutput};
use rusqlite::{CachedStatement, Connection};
use uuid::Uuid;

use super::columns::FromColumns;
use super::{StoreResult, to_ms};

/// The numbered marks `$from, $from+1, ...` of `n` values bound one by one (an `IN`
/// list); only marks are formatted into a statement, never the values.
pub fn numbered_marks(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value bound to a statement. Each variant keeps its type when null (PostgreSQL
/// types its parameters).
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(bool),
}

impl From<String> for Param {
    fn from(value: String) -> Param {
        Param::Text(Some(value))
    }
}

impl From<&str> for Param {
    fn from(value: &str) -> Param {
        Param::Text(Some(value.to_owned()))
    }
}

impl From<Option<&str>> for Param {
    fn from(value: Option<&str>) -> Param {
        Param::Text(value.map(str::to_owned))
    }
}

impl From<Option<Uuid>> for Param {
    fn from(value: Option<Uuid>) -> Param {
        Param::Text(value.map(|id| id.to_string()))
    }
}

impl From<i64> for Param {
    fn from(value: i64) -> Param {
        Param::Int(Some(value))
    }
}

impl From<Option<i64>> for Param {
    fn from(value: Option<i64>) -> Param {
        Param::Int(value)
    }
}

impl From<f64> for Param {
    fn from(value: f64) -> Param {
        Param::Real(Some(value))
    }
}

impl From<Option<f64>> for Param {
    fn from(value: Option<f64>) -> Param {
        Param::Real(value)
    }
}

impl From<bool> for Param {
    fn from(value: bool) -> Param {
        Param::Bool(value)
    }
}

impl From<DateTime<Utc>> for Param {
    fn from(value: DateTime<Utc>) -> Param {
        Param::Int(Some(to_ms(value)))
    }
}

/// One statement with its values for `$1`, `$2`, ...
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub sql: &'static str,
    pub params: Vec<Param>,
    /// The statement must change exactly one row, or the facts changed.
    pub changes_one_row: bool,
}

impl Step {
    pub fn new(sql: &'static str, params: Vec<Param>) -> Step {
        Step {
            sql,
            params,
            changes_one_row: false,
        }
    }

    pub fn changing_one_row(sql: &'static str, params: Vec<Param>) -> Step {
        Step {
            changes_one_row: true,
            ..Step::new(sql, params)
        }
    }
}

/// Binds values (`&Param`s, in order) to an sqlx query or query_as.
macro_rules! bind_params {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            let param: &$crate::store::statement::Param = param;
            query = match param {
                $crate::store::statement::Param::Text(v) => query.bind(v.as_deref()),
                $crate::store::statement::Param::Int(v) => query.bind(*v),
                $crate::store::statement::Param::Real(v) => query.bind(*v),
                $crate::store::statement::Param::Bool(v) => query.bind(*v),
            };
        }
        query
    }};
}
pub(crate) use bind_params;

/// Binds a [`Step`]'s values to an sqlx query or query_as built from its SQL.
macro_rules! bind_step {
    ($query:expr, $step:expr) => {{
        let step: &$crate::store::statement::Step = $step;
        $crate::store::statement::bind_params!($query, &step.params)
    }};
}
pub(crate) use bind_step;

/// A [`Step`] prepared (once per connection) with its values bound to `$1`, `$2`, ...
/// by name: a number may appear more than once, and not in order.
pub(crate) fn bound<'c>(db: &'c Connection, step: &Step) -> rusqlite::Result<CachedStatement<'c>> {
    let mut statement = db.prepare_cached(step.sql)?;
    for index in 1..=statement.parameter_count() {
        let name = statement.parameter_name(index).unwrap_or_default();
        let value = name
            .strip_prefix('$')
            .and_then(|number| number.parse::<usize>().ok())
            .and_then(|number| step.params.get(number.checked_sub(1)?));
        match value {
            Some(value) => statement.raw_bind_parameter(index, value)?,
            None => return Err(rusqlite::Error::InvalidParameterName(name.to_owned())),
        }
    }
    Ok(statement)
}

/// Every row of a [`Step`], read by rusqlite through [`FromColumns`].
pub(crate) fn all_rows<T: FromColumns>(db: &Connection, query: &Step) -> StoreResult<Vec<T>> {
    let mut statement = bound(db, query)?;
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(T::from_columns(row)?);
    }
    Ok(out)
}

/// The first row of a [`Step`], if any, read by rusqlite through [`FromColumns`].
pub(crate) fn first_row<T: FromColumns>(db: &Connection, query: &Step) -> StoreResult<Option<T>> {
    let mut statement = bound(db, query)?;
    let mut rows = statement.raw_query();
    rows.next()?.map(T::from_columns).transpose()
}

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Param::Text(v) => v.to_sql(),
            Param::Int(v) => v.to_sql(),
            Param::Real(v) => v.to_sql(),
            Param::Bool(v) => v.to_sql(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::numbered_marks;

    #[test]
    fn numbered_marks_count_on_from_their_first_position() {
        assert_eq!(numbered_marks(1, 3), "$1, $2, $3");
        assert_eq!(numbered_marks(6, 2), "$6, $7");
        assert_eq!(numbered_marks(4, 0), "");
    }
}
