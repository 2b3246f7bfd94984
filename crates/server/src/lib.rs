//! The `austa` server: configuration, the command line, the HTTP application, the services behind it
//! and its background workers.

pub mod api;
pub mod app;
pub mod audit;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod context;
pub mod database;
pub mod error;
pub mod guard;
pub mod keys;
pub mod metrics;
pub mod seed;
pub mod service;
pub mod telemetry;
pub mod work;
pub mod workers;
