//! The conformance suite: the same scenarios, written once against `dyn Store`, that every backend
//! must pass (run on SQLite and PostgreSQL by `tests/db.rs`). Failing is the purpose here, so the
//! suite asserts with panics.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

pub mod fixtures;
pub mod suite;
