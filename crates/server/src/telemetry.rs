//! Structured logs through `tracing`: human-readable by default, JSON lines with
//! `AUSTA_LOG_FORMAT=json`. The level comes from `AUSTA_LOG` (e.g. `info`, `austa_server=debug`).
//! Logs go to stderr so that stdout stays for the JSON a command prints.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("AUSTA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless: the first subscriber stays.
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
