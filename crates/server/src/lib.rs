//! The `austa` server: configuration, the command line, the HTTP application and its start-up.

pub mod app;
pub mod cli;
pub mod config;
pub mod database;
pub mod telemetry;
