//! The state layer's handle on its store.
//!
//! The framework's own [`MemoryStore`] is called directly: its operations never
//! wait, so a call through the [`Store`] trait object would only box a future per
//! call (three per write request) and dispatch dynamically to code that does not
//! suspend. Any other store goes through the trait object.

use std::any::Any;
use std::sync::Arc;

use crate::store::KeyRef;

use super::record::Record;

use crate::store::claim::{BindingClaim, BindingSettle, CLAIMED, InstanceClaim, InstanceSettle};
use crate::store::{
    BindingInsert, BindingRecord, InstanceRecord, MemoryStore, OperationRecord, ResourceKey,
    ResourceState, Store, StoreError, Tombstone,
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
                .instance_operation(instance_id)
                .await?
                .map(|(plan_id, operation)| (Arc::from(plan_id), operation))),
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
            Self::Dyn(store) => store.instance_for_fetch(instance_id).await,
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

    /// Whether the store answers.
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Dyn(store) => store.ping().await,
        }
    }

    /// Claims a new instance: inserted unless one exists under its id (`None` then,
    /// nothing written).
    pub(crate) async fn claim_instance(
        &self,
        claim: &InstanceClaim<'_>,
    ) -> Result<Option<ClaimedInstance>, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.claim_instance_now(claim).map(ClaimedInstance::Memory)),
            Self::Dyn(store) => {
                let record = claim.to_record();
                let inserted = store.insert_instance(&record).await?;
                Ok(inserted.then(|| ClaimedInstance::Record(Box::new(record))))
            }
        }
    }

    /// Settles a claimed instance; `false` if it changed since the claim.
    pub(crate) async fn settle_instance(
        &self,
        claimed: &mut ClaimedInstance,
        settle: InstanceSettle,
    ) -> Result<bool, StoreError> {
        match (self, claimed) {
            (Self::Memory(store), ClaimedInstance::Memory(id)) => {
                Ok(store.settle_instance_now(id, settle))
            }
            (_, ClaimedInstance::Record(record)) => {
                settle.apply(record);
                self.update_instance(record, CLAIMED).await
            }
            // A claim is settled through the handle that made it.
            (Self::Dyn(_), ClaimedInstance::Memory(_)) => Ok(false),
        }
    }

    /// Inserts a claimed binding of a [bindable](ResourceState::bindable) instance
    /// unless one exists under its ids.
    pub(crate) async fn claim_binding(
        &self,
        claim: &BindingClaim<'_>,
    ) -> Result<BindingClaimed, StoreError> {
        match self {
            Self::Memory(store) => Ok(match store.claim_binding_now(claim) {
                Ok(Some((instance, binding))) => {
                    BindingClaimed::Claimed(ClaimedBinding::Memory(instance, binding))
                }
                Ok(None) => BindingClaimed::Taken,
                Err(instance) => BindingClaimed::Unbindable(instance),
            }),
            Self::Dyn(store) => {
                let record = claim.to_record();
                Ok(match store.insert_binding_if_bindable(&record).await? {
                    BindingInsert::Inserted => {
                        BindingClaimed::Claimed(ClaimedBinding::Record(Box::new(record)))
                    }
                    BindingInsert::Taken => BindingClaimed::Taken,
                    BindingInsert::Unbindable(instance) => BindingClaimed::Unbindable(instance),
                })
            }
        }
    }

    /// Settles a claimed binding; `false` if it changed since the claim.
    pub(crate) async fn settle_binding(
        &self,
        claimed: &mut ClaimedBinding,
        settle: BindingSettle,
    ) -> Result<bool, StoreError> {
        match (self, claimed) {
            (Self::Memory(store), ClaimedBinding::Memory(instance, binding)) => {
                Ok(store.settle_binding_now(instance, binding, settle))
            }
            (_, ClaimedBinding::Record(record)) => {
                settle.apply(record);
                self.update_binding(record, CLAIMED).await
            }
            // A claim is settled through the handle that made it.
            (Self::Dyn(_), ClaimedBinding::Memory(..)) => Ok(false),
        }
    }

    /// Tells the store that the runner of `key`'s claimed operation goes on after
    /// its first poll (see `MemoryStore::mark_running_now`); other stores index
    /// running operations themselves.
    pub(crate) fn mark_running(&self, key: KeyRef<'_>) {
        if let Self::Memory(store) = self {
            match key {
                KeyRef::Instance(instance_id) => store.mark_running_now(instance_id, None),
                KeyRef::Binding(instance_id, binding_id) => {
                    store.mark_running_now(instance_id, Some(binding_id));
                }
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

    /// See [`Store::sole_user_since`].
    pub(crate) fn sole_user_since(&self) -> Option<i64> {
        self.as_dyn().sole_user_since()
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

    /// The record under `key`.
    pub(super) async fn load(&self, key: KeyRef<'_>) -> Result<Option<Record>, StoreError> {
        Ok(match key {
            KeyRef::Instance(id) => self.instance(id).await?.map(Record::Instance),
            KeyRef::Binding(instance_id, binding_id) => self
                .binding(instance_id, binding_id)
                .await?
                .map(Record::Binding),
        })
    }

    /// Replaces `record` if its stored version is `expected_version`.
    pub(super) async fn save(
        &self,
        record: &Record,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        match record {
            Record::Instance(record) => self.update_instance(record, expected_version).await,
            Record::Binding(record) => self.update_binding(record, expected_version).await,
        }
    }

    /// Deletes the record under `key` if its stored version is `expected_version`,
    /// leaving `tombstone` if given (an instance's bindings go with it).
    pub(super) async fn delete(
        &self,
        key: KeyRef<'_>,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        match key {
            KeyRef::Instance(id) => self.delete_instance(id, expected_version, tombstone).await,
            KeyRef::Binding(instance_id, binding_id) => {
                self.delete_binding(instance_id, binding_id, expected_version, tombstone)
                    .await
            }
        }
    }

    /// The store as a trait object.
    pub(crate) fn as_dyn(&self) -> &dyn Store {
        match self {
            Self::Memory(store) => &**store,
            Self::Dyn(store) => &**store,
        }
    }
}

/// A claimed instance until it is settled: the memory store's key, or the owned
/// record that a store behind the trait needs whole to settle it (boxed: the claim is
/// held in the write's future, which every write request allocates).
pub(crate) enum ClaimedInstance {
    /// Claimed in the memory store, under this key.
    Memory(Arc<str>),
    /// Claimed with this record.
    Record(Box<InstanceRecord>),
}

impl ClaimedInstance {
    /// The instance's id.
    pub(crate) fn instance_id(&self) -> &str {
        match self {
            Self::Memory(id) => id,
            Self::Record(record) => &record.instance_id,
        }
    }
}

/// What claiming a binding came to.
pub(crate) enum BindingClaimed {
    /// The binding is the request's to make.
    Claimed(ClaimedBinding),
    /// A binding exists under its ids; nothing was written.
    Taken,
    /// Its instance cannot be bound in the state it is in (`None`: it does not
    /// exist); nothing was written.
    Unbindable(Option<ResourceState>),
}

/// A claimed binding until it is settled (see [`ClaimedInstance`]).
pub(crate) enum ClaimedBinding {
    /// Claimed in the memory store, under these keys: instance id, binding id.
    Memory(Arc<str>, Arc<str>),
    /// Claimed with this record.
    Record(Box<BindingRecord>),
}

impl ClaimedBinding {
    /// The instance's and the binding's ids.
    pub(crate) fn ids(&self) -> (&str, &str) {
        match self {
            Self::Memory(instance, binding) => (instance, binding),
            Self::Record(record) => (&record.instance_id, &record.binding_id),
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

    fn json(text: &str) -> Box<serde_json::value::RawValue> {
        serde_json::value::RawValue::from_string(text.to_owned()).unwrap()
    }

    /// The memory store's own claim and settle leave the records that the trait's
    /// insert and update leave, and refuse what they refuse.
    #[tokio::test]
    async fn claims_and_settles_are_the_same_on_both_paths() {
        use crate::store::operation_id::OperationId;
        use crate::store::{Fingerprint, OperationKind};
        let shared = Arc::new(MemoryStore::new());
        let direct = StoreHandle::new(Arc::clone(&shared));
        let through_trait = StoreHandle::Dyn(shared);
        let (context, parameters) = (json(r#"{"platform":"cf"}"#), json(r#"{"size":1}"#));
        for (handle, instance_id) in [(&direct, "i-direct"), (&through_trait, "i-trait")] {
            let claim = InstanceClaim {
                instance_id,
                service_id: "svc",
                plan_id: "plan",
                parameters: Some(&parameters),
                context: Some(&context),
                maintenance_version: Some("1.0.0"),
                operation: OperationId::new(OperationKind::Provision, 10, 1),
                now: 10,
                fingerprint: Fingerprint::from_bytes([7; 32]),
            };
            let mut claimed = handle.claim_instance(&claim).await.unwrap().unwrap();
            assert_eq!(claimed.instance_id(), instance_id);
            assert!(handle.claim_instance(&claim).await.unwrap().is_none());
            let stored = direct.instance(instance_id).await.unwrap().unwrap();
            assert_eq!(stored.operation, Some(claim.started()));
            assert_eq!(stored.state, ResourceState::Creating);
            let settle = InstanceSettle {
                state: ResourceState::Ready,
                operation: OperationRecord::finished(OperationKind::Provision, 20),
                parameters: Some(json(r#"{"size":1,"tier":"s"}"#)),
                dashboard_url: Some("https://dash".to_owned()),
                metadata: None,
            };
            assert!(handle.settle_instance(&mut claimed, settle).await.unwrap());
            // Settled once: the claim's version is gone.
            let again = InstanceSettle {
                state: ResourceState::Failed,
                operation: OperationRecord::finished(OperationKind::Provision, 30),
                parameters: None,
                dashboard_url: None,
                metadata: None,
            };
            assert!(!handle.settle_instance(&mut claimed, again).await.unwrap());
        }
        let mut a = direct.instance("i-direct").await.unwrap().unwrap();
        let b = through_trait.instance("i-trait").await.unwrap().unwrap();
        assert_eq!(a.version, 2);
        assert_eq!(
            a.parameters.as_deref().map(|p| p.get()),
            Some(r#"{"size":1,"tier":"s"}"#)
        );
        assert_eq!(
            a.context.as_deref().map(|c| c.get()),
            Some(r#"{"platform":"cf"}"#)
        );
        a.instance_id = b.instance_id.clone();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(direct.stale_operations(i64::MAX).await.unwrap().is_empty());

        let resource = json(r#"{"app_guid":"app"}"#);
        for (handle, binding_id) in [(&direct, "b-direct"), (&through_trait, "b-trait")] {
            let claim = BindingClaim {
                instance_id: "i-direct",
                binding_id,
                service_id: "svc",
                plan_id: "plan",
                parameters: None,
                bind_resource: Some(&resource),
                operation: OperationId::new(OperationKind::Bind, 10, 2),
                now: 10,
                fingerprint: Fingerprint::from_bytes([8; 32]),
            };
            let BindingClaimed::Claimed(mut claimed) = handle.claim_binding(&claim).await.unwrap()
            else {
                panic!("not claimed");
            };
            assert_eq!(claimed.ids(), ("i-direct", binding_id));
            assert!(matches!(
                handle.claim_binding(&claim).await.unwrap(),
                BindingClaimed::Taken
            ));
            // An instance that does not exist gets no binding, through either handle.
            let orphan = BindingClaim {
                instance_id: "i-missing",
                ..claim
            };
            assert!(matches!(
                handle.claim_binding(&orphan).await.unwrap(),
                BindingClaimed::Unbindable(None)
            ));
            assert!(
                handle
                    .binding("i-missing", binding_id)
                    .await
                    .unwrap()
                    .is_none()
            );
            // Once its runner goes on past the first poll, the sweep finds the claim's
            // operation when it is stale.
            let key = ResourceKey::Binding("i-direct".into(), binding_id.into());
            handle.mark_running(KeyRef::Binding("i-direct", binding_id));
            assert!(direct.stale_operations(11).await.unwrap().contains(&key));
            let settle = BindingSettle {
                state: ResourceState::Ready,
                operation: OperationRecord::finished(OperationKind::Bind, 20),
                response: Some(json(r#"{"credentials":{"k":"v"}}"#)),
            };
            assert!(handle.settle_binding(&mut claimed, settle).await.unwrap());
        }
        let mut a = direct
            .binding("i-direct", "b-direct")
            .await
            .unwrap()
            .unwrap();
        let b = through_trait
            .binding("i-direct", "b-trait")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.version, 2);
        a.binding_id = b.binding_id.clone();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(direct.stale_operations(i64::MAX).await.unwrap().is_empty());
    }
}
