//! Ferry's database layer: one sea-orm model for SQLite (embedded) and Postgres
//! (distributed). Callers see plain row structs with typed states, never sea-orm types,
//! so the orchestrator and the API do not depend on the ORM.
//!
//! Writes of run/task state come only from the orchestrator, through [`Store::apply`],
//! which commits a whole batch of changes in one transaction.

mod convert;
mod delivery_rows;
mod entities;
mod error;
mod notify_rows;
mod rows;
mod store;
mod tenant_rows;

pub use delivery_rows::*;
pub use error::StoreError;
pub use notify_rows::*;
pub use rows::*;
pub use store::{NewRun, Store};
pub use tenant_rows::*;
