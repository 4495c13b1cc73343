#![doc = include_str!("../../docs/state.md")]

mod claim;
mod config;
mod memory;
mod operation_id;
mod record;
mod resume;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
mod store;

pub(crate) use claim::{BindingClaim, BindingSettle, CLAIMED, InstanceClaim, InstanceSettle};
pub use config::StateConfig;
pub use memory::MemoryStore;
pub(crate) use operation_id::OperationId;
pub(crate) use record::FingerprintPrefix;
pub use record::{
    BindingRecord, Fingerprint, InstanceRecord, Json, OperationKind, OperationRecord,
    PendingUpdate, ResourceKey, ResourceState, Tombstone, fingerprint,
};
pub use resume::{Interrupted, Resumed};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::SqlStore;
pub use store::{Store, StoreError};
