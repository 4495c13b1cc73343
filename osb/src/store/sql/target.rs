//! Naming the database a store URL points to, never its password.

use std::fmt;

/// Where a store URL points, to name it in messages without its password.
pub(super) enum Target {
    SqliteFile(String),
    SqliteMemory,
    /// `host:port/database` of a server URL.
    Server(String),
}

impl Target {
    pub(super) fn of(url: &str) -> Self {
        let without_query = url.split('?').next().unwrap_or(url);
        if let Some(rest) = without_query.strip_prefix("sqlite:") {
            if rest.contains(":memory:") {
                return Self::SqliteMemory;
            }
            return Self::SqliteFile(rest.strip_prefix("//").unwrap_or(rest).to_owned());
        }
        let rest = without_query
            .split_once("://")
            .map_or(without_query, |(_, rest)| rest);
        // Credentials come before the last `@`; they are never shown.
        let place = rest.rsplit_once('@').map_or(rest, |(_, place)| place);
        Self::Server(place.to_owned())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SqliteFile(path) => write!(f, "(SQLite file {path})"),
            Self::SqliteMemory => f.write_str("(SQLite in memory)"),
            Self::Server(place) => write!(f, "at {place}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn names_the_place_never_the_password() {
        assert_eq!(
            Target::of("postgres://user:secret@db.example:5432/osb?sslmode=require").to_string(),
            "at db.example:5432/osb"
        );
        assert_eq!(
            Target::of("sqlite://data/broker.db?mode=rwc").to_string(),
            "(SQLite file data/broker.db)"
        );
        assert_eq!(
            Target::of("sqlite::memory:").to_string(),
            "(SQLite in memory)"
        );
    }
}
