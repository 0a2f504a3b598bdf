//! Reading a row's columns once for every driver: a row type implements
//! [`FromColumns`], and reads the same way from an sqlx row (SQLite or PostgreSQL)
//! and from a `rusqlite` row (the check-in's fact reads, see [`super::readers`]).
//! [`from_row!`] gives such a type sqlx's `FromRow`, so `query_as` keeps working.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Postgres, Sqlite};

use super::{StoreError, StoreResult};

/// A column value every driver decodes: `String`, `i64`, `f64`, `bool`, and their
/// `Option`s.
pub trait Column:
    for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
    + rusqlite::types::FromSql
{
}

impl<T> Column for T where
    T: for<'r> sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
        + rusqlite::types::FromSql
{
}

/// A result row of any driver, read by column name or position.
pub trait Columns {
    fn get<T: Column>(&self, name: &str) -> StoreResult<T>;
    fn at<T: Column>(&self, index: usize) -> StoreResult<T>;
}

impl Columns for SqliteRow {
    fn get<T: Column>(&self, name: &str) -> StoreResult<T> {
        Ok(sqlx::Row::try_get(self, name)?)
    }
    fn at<T: Column>(&self, index: usize) -> StoreResult<T> {
        Ok(sqlx::Row::try_get(self, index)?)
    }
}

impl Columns for PgRow {
    fn get<T: Column>(&self, name: &str) -> StoreResult<T> {
        Ok(sqlx::Row::try_get(self, name)?)
    }
    fn at<T: Column>(&self, index: usize) -> StoreResult<T> {
        Ok(sqlx::Row::try_get(self, index)?)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn get<T: Column>(&self, name: &str) -> StoreResult<T> {
        Ok(rusqlite::Row::get(self, name)?)
    }
    fn at<T: Column>(&self, index: usize) -> StoreResult<T> {
        Ok(rusqlite::Row::get(self, index)?)
    }
}

/// A type made from one result row.
pub trait FromColumns: Sized {
    fn from_columns(row: &impl Columns) -> StoreResult<Self>;
}

impl<A: Column> FromColumns for (A,) {
    fn from_columns(row: &impl Columns) -> StoreResult<Self> {
        Ok((row.at(0)?,))
    }
}

impl<A: Column, B: Column> FromColumns for (A, B) {
    fn from_columns(row: &impl Columns) -> StoreResult<Self> {
        Ok((row.at(0)?, row.at(1)?))
    }
}

impl<A: Column, B: Column, C: Column> FromColumns for (A, B, C) {
    fn from_columns(row: &impl Columns) -> StoreResult<Self> {
        Ok((row.at(0)?, row.at(1)?, row.at(2)?))
    }
}

/// sqlx's error for a row that [`FromColumns`] refused.
pub fn row_error(error: StoreError) -> sqlx::Error {
    match error {
        StoreError::Database(error) => error,
        other => sqlx::Error::Decode(Box::new(other)),
    }
}

/// Implements sqlx's `FromRow` for SQLite and PostgreSQL rows through the type's
/// [`FromColumns`].
macro_rules! from_row {
    ($row_type:ty) => {
        impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for $row_type {
            fn from_row(row: &'r sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
                <$row_type as $crate::store::columns::FromColumns>::from_columns(row)
                    .map_err($crate::store::columns::row_error)
            }
        }
        impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for $row_type {
            fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
                <$row_type as $crate::store::columns::FromColumns>::from_columns(row)
                    .map_err($crate::store::columns::row_error)
            }
        }
    };
}
pub(crate) use from_row;
