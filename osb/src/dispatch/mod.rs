//! The one interface the HTTP handlers call: the nine operations of the OSB API after
//! the catalog, each handed the plan or the owner the handler resolved.
//!
//! Two implementations, one chosen when the router is built: [`Direct`] hands each
//! request to the broker that owns it (and asks every broker when nothing names the
//! owner); the lifecycle (`crate::lifecycle`) does the specification's bookkeeping
//! over a store and calls the brokers through a [`Direct`] of its own.

mod backend;
mod direct;
mod erased;

pub(crate) use backend::Dispatch;
pub(crate) use direct::Direct;
pub(crate) use erased::{BoxFuture, DynBroker};
