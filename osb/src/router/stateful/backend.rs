//! The state layer's handle on its store.
//!
//! The framework's own [`MemoryStore`] is called directly: its operations never
//! wait, so a call through the [`Store`] trait object would only box a future per
//! call (three per write request) and dispatch dynamically to code that does not
//! suspend. Any other store goes through the trait object.

use std::any::Any;
use std::sync::Arc;

use crate::state::{
    BindingRecord, InstanceRecord, MemoryStore, OperationRecord, ResourceKey, ResourceState, Store,
    StoreError, Tombstone,
};

/// A store as the state layer holds it.
pub(crate) enum StoreHandle {
    /// The framework's memory store, called synchronously.
    Memory(Arc<MemoryStore>),
    /// Any other store.
    Dyn(Arc<dyn Store>),
}

impl StoreHandle {
    /// `store`, recognised if it is a [`MemoryStore`] (or an `Arc` of one).
    pub(crate) fn new<S: Store>(store: S) -> Self {
        let store = Arc::new(store);
        let any: Arc<dyn Any + Send + Sync> = store.clone();
        if let Ok(memory) = any.clone().downcast::<MemoryStore>() {
            return Self::Memory(memory);
        }
        if let Ok(shared) = any.downcast::<Arc<MemoryStore>>() {
            return Self::Memory(Arc::clone(&shared));
        }
        Self::Dyn(store)
    }

    /// See [`Store::instance`].
    pub(crate) async fn instance(
        &self,
        instance_id: &str,
    ) -> Result<Option<InstanceRecord>, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.instance_now(instance_id)),
            Self::Dyn(store) => store.instance(instance_id).await,
        }
    }

    /// Instance `instance_id`'s plan and last operation: all a poll needs.
    pub(crate) async fn instance_operation(
        &self,
        instance_id: &str,
    ) -> Result<Option<(Arc<str>, Option<OperationRecord>)>, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.instance_operation_now(instance_id)),
            Self::Dyn(store) => Ok(store
                .instance(instance_id)
                .await?
                .map(|record| (Arc::from(record.plan_id), record.operation))),
        }
    }

    /// Instance `instance_id` for a fetch: `context`, `operation` and `instance_id`
    /// may be left empty.
    pub(crate) async fn instance_for_fetch(
        &self,
        instance_id: &str,
    ) -> Result<Option<InstanceRecord>, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.instance_for_fetch_now(instance_id)),
            Self::Dyn(store) => store.instance(instance_id).await,
        }
    }

    /// See [`Store::instance_state`].
    pub(crate) async fn instance_state(
        &self,
        instance_id: &str,
    ) -> Result<Option<ResourceState>, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.instance_state_now(instance_id)),
            Self::Dyn(store) => store.instance_state(instance_id).await,
        }
    }

    /// See [`Store::insert_instance`].
    pub(crate) async fn insert_instance(
        &self,
        record: &InstanceRecord,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.insert_instance_now(record)),
            Self::Dyn(store) => store.insert_instance(record).await,
        }
    }

    /// See [`Store::update_instance`].
    pub(crate) async fn update_instance(
        &self,
        record: &InstanceRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.update_instance_now(record, expected_version)),
            Self::Dyn(store) => store.update_instance(record, expected_version).await,
        }
    }

    /// See [`Store::delete_instance`].
    pub(crate) async fn delete_instance(
        &self,
        instance_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Memory(store) => {
                Ok(store.delete_instance_now(instance_id, expected_version, tombstone))
            }
            Self::Dyn(store) => {
                store
                    .delete_instance(instance_id, expected_version, tombstone)
                    .await
            }
        }
    }

    /// See [`Store::binding`].
    pub(crate) async fn binding(
        &self,
        instance_id: &str,
        binding_id: &str,
    ) -> Result<Option<BindingRecord>, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.binding_now(instance_id, binding_id)),
            Self::Dyn(store) => store.binding(instance_id, binding_id).await,
        }
    }

    /// See [`Store::insert_binding`].
    pub(crate) async fn insert_binding(&self, record: &BindingRecord) -> Result<bool, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.insert_binding_now(record)),
            Self::Dyn(store) => store.insert_binding(record).await,
        }
    }

    /// See [`Store::update_binding`].
    pub(crate) async fn update_binding(
        &self,
        record: &BindingRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.update_binding_now(record, expected_version)),
            Self::Dyn(store) => store.update_binding(record, expected_version).await,
        }
    }

    /// See [`Store::delete_binding`].
    pub(crate) async fn delete_binding(
        &self,
        instance_id: &str,
        binding_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Memory(store) => {
                Ok(store.delete_binding_now(instance_id, binding_id, expected_version, tombstone))
            }
            Self::Dyn(store) => {
                store
                    .delete_binding(instance_id, binding_id, expected_version, tombstone)
                    .await
            }
        }
    }

    /// See [`Store::tombstone`].
    pub(crate) async fn tombstone(
        &self,
        instance_id: &str,
        binding_id: Option<&str>,
    ) -> Result<Option<Tombstone>, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.tombstone_now(instance_id, binding_id)),
            Self::Dyn(store) => store.tombstone(instance_id, binding_id).await,
        }
    }

    /// See [`Store::stale_operations`] (every half lease: through the trait).
    pub(crate) async fn stale_operations(
        &self,
        heartbeat_before: i64,
    ) -> Result<Vec<ResourceKey>, StoreError> {
        self.as_dyn().stale_operations(heartbeat_before).await
    }

    /// See [`Store::prune_tombstones`] (with the sweep: through the trait).
    pub(crate) async fn prune_tombstones(
        &self,
        deleted_before: i64,
        keep_at_most: usize,
    ) -> Result<(), StoreError> {
        self.as_dyn()
            .prune_tombstones(deleted_before, keep_at_most)
            .await
    }

    /// The store as a trait object.
    pub(crate) fn as_dyn(&self) -> &dyn Store {
        match self {
            Self::Memory(store) => &**store,
            Self::Dyn(store) => &**store,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_store_is_called_directly_and_a_shared_one_stays_shared() {
        assert!(matches!(
            StoreHandle::new(MemoryStore::new()),
            StoreHandle::Memory(_)
        ));
        let shared = Arc::new(MemoryStore::new());
        let StoreHandle::Memory(held) = StoreHandle::new(Arc::clone(&shared)) else {
            panic!("an Arc<MemoryStore> should be recognised");
        };
        assert!(Arc::ptr_eq(&held, &shared));
        // Any other store, even one wrapping a memory store, goes through the trait.
        let doubly: Arc<Arc<MemoryStore>> = Arc::new(shared);
        assert!(matches!(StoreHandle::new(doubly), StoreHandle::Dyn(_)));
    }

    #[tokio::test]
    async fn both_paths_see_the_same_records() {
        let shared = Arc::new(MemoryStore::new());
        let direct = StoreHandle::new(Arc::clone(&shared));
        let through_trait = StoreHandle::Dyn(shared);
        let record = InstanceRecord {
            instance_id: "i-1".to_owned(),
            service_id: "svc-1".to_owned(),
            plan_id: "plan-1".to_owned(),
            parameters: None,
            context: None,
            maintenance_version: None,
            dashboard_url: None,
            metadata: None,
            state: ResourceState::Ready,
            operation: None,
            pending: None,
            fingerprint: crate::state::Fingerprint::from_bytes([7; 32]),
            version: 3,
        };
        assert!(direct.insert_instance(&record).await.unwrap());
        assert!(!through_trait.insert_instance(&record).await.unwrap());
        let read = through_trait.instance("i-1").await.unwrap().unwrap();
        assert_eq!(read.version, record.version);
        assert_eq!(
            direct.instance_state("i-1").await.unwrap(),
            Some(record.state)
        );
    }
}
