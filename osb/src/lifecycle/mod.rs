//! The specification's bookkeeping on top of a [`Store`](crate::store::Store), for
//! every broker of a router built with a store: idempotent provision and bind, 410
//! for deleting what does not exist, fetch and `last_operation` answered from the
//! store, `ConcurrencyError` for conflicting changes, and work run in the background.
//!
//! Brokers only see requests that need real work. Every decision is a conditional
//! change of the store (insert if absent, update or delete at the version read), so
//! it holds across replicas sharing one database.
//!
//! - `dispatch`: the lifecycle as the router's back end ([`Dispatch`](crate::dispatch::Dispatch)).
//! - `instances`, `bindings`, `reads`: the operations.
//! - `creates`: the rules provision and bind share; `steps`: what the write paths
//!   share; `settle`: how a record changes when an operation ends.
//! - `runner`: background work and its heartbeats; `takeover`: resuming or failing
//!   interrupted work; `detach`: finishing a store change when the client hangs up.
//! - `handle`: the lifecycle's handle on its store; `shared`: what all of it shares.

mod bindings;
mod creates;
mod deletes;
mod detach;
mod dispatch;
mod handle;
mod instances;
mod reads;
mod record;
mod runner;
mod settle;
mod shared;
mod steps;
mod takeover;

use std::sync::Arc;

use crate::dispatch::Direct;
use crate::store::StateConfig;

pub(crate) use handle::StoreHandle;
pub(crate) use shared::Lifecycle;
#[cfg(feature = "sqlite")]
pub(crate) use shared::now_ms;

/// The lifecycle of `direct`'s brokers over `store`. It looks for interrupted work
/// from now on if a runtime is there (the usual `#[tokio::main]`), else from the
/// first request.
pub(crate) fn over(direct: Direct, store: StoreHandle, config: StateConfig) -> Arc<Lifecycle> {
    let lifecycle = Arc::new(Lifecycle::new(direct, store, config));
    if tokio::runtime::Handle::try_current().is_ok() {
        takeover::start_sweeper(&lifecycle);
    }
    lifecycle
}
