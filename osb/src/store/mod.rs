#![doc = include_str!("../../docs/store.md")]

pub(crate) mod claim;
mod config;
mod interface;
mod key;
pub(crate) mod memory;
pub(crate) mod operation_id;
pub(crate) mod record;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;

pub use config::StateConfig;
pub use interface::{BindingInsert, Store, StoreError};
pub(crate) use key::KeyRef;
pub use key::ResourceKey;
pub use memory::MemoryStore;
pub use record::{
    BindingRecord, Fingerprint, InstanceRecord, Json, OperationKind, OperationRecord,
    PendingUpdate, ResourceState, Tombstone, fingerprint,
};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres"))))]
pub use sql::{EncryptionKey, SqlOptions, SqlStore};
