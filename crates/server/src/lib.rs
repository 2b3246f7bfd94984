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
pub mod job_handlers;
pub mod jobs;
pub mod keys;
pub mod llm;
pub mod metrics;
pub mod outgoing;
pub mod seed;
pub mod service;
pub mod storage;
pub mod telemetry;
pub mod work;
pub mod workers;

/// `Debug` that prints only the type's name: for request and response bodies that carry personal
/// data or secrets, so that no log line or panic message can show them.
#[macro_export]
macro_rules! redacted_debug {
    ($($name:ident),+ $(,)?) => {$(
        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    )+};
}
