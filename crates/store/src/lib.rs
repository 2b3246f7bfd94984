//! The persistence interface of Austa Care: what the tables are ([`model`]), the values that cross the
//! boundary ([`value`]), the statements every table shares ([`sql`]) and the [`Store`] trait that the
//! SQLite and PostgreSQL backends implement.

pub mod entity;
pub mod error;
pub mod model;
pub mod sql;
pub mod store;
pub mod table;
pub mod value;

pub use entity::Entity;
pub use error::{StoreError, StoreResult};
pub use sql::{Cmp, Dialect, ListQuery, Page};
pub use store::{Backend, MigrationInfo, MigrationStatus, Store, Tx, TxMode};
pub use table::TableDef;
pub use value::{Column, Kind, Value};
pub mod migrations;
pub mod url;

pub use url::{DatabaseUrl, DatabaseUrlError};
