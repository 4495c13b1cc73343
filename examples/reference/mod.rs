//! The reference broker: one offering, `inmemory-db`, with a synchronous plan
//! (`small`) and an asynchronous one (`large`), written with the DSL on the
//! framework's state store. The binary is `examples/reference/main.rs`; tests use
//! the broker in-process from here.

mod broker;
pub mod catalog;
pub mod params;

pub use broker::Reference;

use std::time::Duration;

use osb::store::StateConfig;

/// A router builder with the reference broker (asynchronous work taking `delay`)
/// and its state settings; add authentication and a store, then build:
///
/// ```
/// # use std::time::Duration;
/// let app = osb_examples::reference::builder(Duration::from_secs(1))
///     .auth(osb::auth::BasicAuth::new("admin", "admin"))
///     .store(osb::store::MemoryStore::new())
///     .build()?;
/// # Ok::<(), osb::BuildError>(())
/// ```
pub fn builder(delay: Duration) -> osb::Builder {
    osb::Builder::new()
        .broker(Reference::new(delay))
        .state_config(StateConfig {
            // The large plan's work takes about a second: poll again then.
            retry_after: Duration::from_secs(1),
            ..StateConfig::default()
        })
}
