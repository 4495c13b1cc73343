//! Tests of the workspace; they live in this package so they use `osb` as users do.
//!
//! The README's code is compiled here as a doctest, so its example stays true:
#![doc = include_str!("../README.md")]

/// `name` made unique to this process and moment, so test runs sharing a database (the
/// PostgreSQL tests all use one) never collide.
pub fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("{name}-{}-{nanos}", std::process::id())
}

/// A fresh directory under the system's temporary directory, for a SQLite store;
/// removed with everything in it when dropped.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// Creates the directory.
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(unique("osb-state"));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        Self(dir)
    }

    /// The SQLite database file of [`TempDir::sqlite_url`].
    pub fn sqlite_file(&self) -> std::path::PathBuf {
        self.0.join("state.db")
    }

    /// The URL of a SQLite store in the directory, for `--store` or `OSB_STORE`.
    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}", self.sqlite_file().display())
    }
}

impl Default for TempDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// A broker of one offering, `db` (id `svc`), with one plan, `small` (id `plan`), whose
/// provision and deprovision succeed at once: for tests of what surrounds the handlers
/// (health routes, TLS).
pub struct OnePlan;

impl osb::Broker for OnePlan {
    fn catalog(&self) -> osb::catalog::Catalog {
        osb::catalog::Catalog::new([
            osb::catalog::ServiceOffering::new("svc", "db", "A database")
                .plan(osb::catalog::Plan::new("plan", "small", "A small one")),
        ])
    }

    async fn provision(&self, _request: osb::Provision) -> Result<osb::Provisioned, osb::Error> {
        Ok(osb::Provisioned::created())
    }

    async fn deprovision(
        &self,
        _request: osb::Deprovision,
    ) -> Result<osb::Deprovisioned, osb::Error> {
        Ok(osb::Deprovisioned::completed())
    }
}
