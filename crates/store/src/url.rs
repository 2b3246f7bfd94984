//! Which database a URL names. Strict on purpose: an unknown scheme or a malformed URL is refused with
//! the accepted forms, so a typo never silently creates an empty database somewhere else.

use std::fmt;
use std::path::PathBuf;

/// Accepted forms, quoted in every refusal.
pub const ACCEPTED: &str = "sqlite://PATH (e.g. sqlite://data/austa.db), sqlite::memory:, \
                            or postgres://USER:PASSWORD@HOST:PORT/DATABASE";

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file, created with its folder if missing.
    SqliteFile(PathBuf),
    /// A private in-memory SQLite database (tests, demos).
    SqliteMemory,
    /// A PostgreSQL server; the full URL, handed to the driver as given.
    Postgres(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("unsupported database URL scheme `{scheme}`: use {ACCEPTED}")]
    UnknownScheme { scheme: String },
    #[error("malformed database URL ({reason}): use {ACCEPTED}")]
    Malformed { reason: &'static str },
}

impl DatabaseUrl {
    pub fn parse(text: &str) -> Result<Self, DatabaseUrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(DatabaseUrlError::Malformed { reason: "empty" });
        }
        if text == "sqlite::memory:" || text == "sqlite://:memory:" {
            return Ok(Self::SqliteMemory);
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(DatabaseUrlError::Malformed { reason: "no scheme" });
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                let path = rest.split('?').next().unwrap_or_default();
                if path.is_empty() {
                    return Err(DatabaseUrlError::Malformed {
                        reason: "no SQLite file path",
                    });
                }
                if rest.contains('?') {
                    return Err(DatabaseUrlError::Malformed {
                        reason: "SQLite URLs take no options",
                    });
                }
                Ok(Self::SqliteFile(PathBuf::from(path)))
            }
            "postgres" | "postgresql" => {
                let host_part = rest.split(['/', '?']).next().unwrap_or_default();
                let host = host_part.rsplit('@').next().unwrap_or_default();
                if host.is_empty() && !rest.contains("host=") {
                    return Err(DatabaseUrlError::Malformed {
                        reason: "no PostgreSQL host",
                    });
                }
                if let Some((_, port)) = host.rsplit_once(':')
                    && !host.ends_with(']')
                    && port.parse::<u16>().is_err()
                {
                    return Err(DatabaseUrlError::Malformed {
                        reason: "invalid PostgreSQL port",
                    });
                }
                Ok(Self::Postgres(text.to_owned()))
            }
            other => Err(DatabaseUrlError::UnknownScheme {
                scheme: other.to_owned(),
            }),
        }
    }
}

/// The password of a PostgreSQL URL never reaches a log.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SqliteFile(path) => write!(f, "sqlite://{}", path.display()),
            Self::SqliteMemory => f.write_str("sqlite::memory:"),
            Self::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "postgres://…".into();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let tail = redact_query_password(tail);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => format!("{scheme}://{authority}{tail}"),
    }
}

fn redact_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***".to_owned()
            } else {
                kv.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/austa.db").unwrap(),
            DatabaseUrl::SqliteFile("data/austa.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/austa.db").unwrap(),
            DatabaseUrl::SqliteFile("/var/lib/austa.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:").unwrap(),
            DatabaseUrl::SqliteMemory
        );
        for pg in [
            "postgres://u:p@localhost:5432/austa",
            "postgresql://db.internal/austa",
            "postgres://u@[::1]:5433/x",
        ] {
            assert!(
                matches!(DatabaseUrl::parse(pg).unwrap(), DatabaseUrl::Postgres(_)),
                "{pg}"
            );
        }
    }

    #[test]
    fn refuses_unknown_schemes_and_malformed_urls_with_the_accepted_forms() {
        for bad in ["mysql://localhost/austa", "sqlit://data/austa.db", "file://x.db"] {
            let err = DatabaseUrl::parse(bad).unwrap_err();
            assert!(matches!(err, DatabaseUrlError::UnknownScheme { .. }), "{bad}");
            assert!(err.to_string().contains("sqlite://PATH"), "{err}");
        }
        for bad in [
            "",
            "data/austa.db",
            "sqlite://",
            "postgres://",
            "postgres://u:p@host:notaport/db",
            "sqlite://x.db?mode=ro",
        ] {
            assert!(
                matches!(DatabaseUrl::parse(bad), Err(DatabaseUrlError::Malformed { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_password_never_shows() {
        let url = DatabaseUrl::parse("postgres://austa:s3cret@db:5432/austa?sslmode=require&password=other")
            .unwrap();
        let shown = format!("{url} {url:?}");
        assert!(!shown.contains("s3cret") && !shown.contains("other"), "{shown}");
        assert!(shown.contains("postgres://austa:***@db:5432/austa"), "{shown}");
    }
}
