//! The storage interface the state layer needs: records read by key, created only if
//! absent, changed only if unchanged since they were read.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::Error;

use super::key::ResourceKey;
use super::record::{BindingRecord, InstanceRecord, OperationRecord, ResourceState, Tombstone};

/// A failure of the storage itself (not of a rule: those are `Ok(false)`).
///
/// An [`unavailable`](StoreError::unavailable) failure (the database cannot be
/// reached, is overloaded, or has no room) passes: requests answer 503 with
/// `Retry-After` meanwhile. Any other failure answers 500. Either way the message goes
/// to the log only; the platform gets a generic description.
#[derive(Debug, thiserror::Error)]
#[error("the state store failed: {message}")]
pub struct StoreError {
    message: String,
    /// When to retry, for a failure that passes.
    retry_after: Option<Duration>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retry_after: None,
            source: None,
        }
    }

    /// A failure caused by `source`.
    pub fn caused_by(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::new(message).with_source(source)
    }

    /// A failure that passes (the database is unreachable, overloaded or full): the
    /// request answers 503 with `Retry-After: retry_after`.
    pub fn unavailable(message: impl Into<String>, retry_after: Duration) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(message)
        }
    }

    /// The same failure, caused by `source`.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What failed, without the causes.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// Whether the failure passes: see [`unavailable`](StoreError::unavailable).
    pub fn is_unavailable(&self) -> bool {
        self.retry_after.is_some()
    }

    /// When to retry a failure that passes.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The same failure, retried after `delay` if it passes (a failure that does not
    /// pass stays as it is).
    #[must_use]
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        if let Some(retry_after) = &mut self.retry_after {
            *retry_after = delay;
        }
        self
    }
}

/// What the platform hears of a store failure: 503 and when to retry, or a generic
/// 500; the store's own message (which may name a host or a path) goes to the log.
impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err.retry_after {
            Some(delay) => Error::unavailable()
                .with_description("The service broker's state store is unavailable; retry later.")
                .with_retry_after(delay)
                .with_source(err),
            None => Error::internal(err),
        }
    }
}

/// What [`Store::insert_binding_if_bindable`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingInsert {
    /// The binding is stored.
    Inserted,
    /// A binding with its key exists: nothing was written.
    Taken,
    /// Its instance is missing (`None`) or in a state that takes no new binding:
    /// nothing was written.
    Unbindable(Option<ResourceState>),
}

/// Where the framework keeps instances, bindings and operations.
///
/// Every change is conditional, so several broker replicas sharing one database
/// never overwrite each other: an insert succeeds only if the key is free (a unique
/// key in SQL), an update or delete only if the record's `version` is still the one
/// read (a compare-and-set in one statement). A `false` answer means another request
/// got there first; the framework then reads again or answers `ConcurrencyError`.
///
/// Implemented by [`MemoryStore`](super::MemoryStore), and, behind features, by the
/// SQLite and PostgreSQL stores.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The instance `instance_id`.
    async fn instance(&self, instance_id: &str) -> Result<Option<InstanceRecord>, StoreError>;

    /// Whether the store answers: the readiness route asks it
    /// ([`Builder::readiness_route`](crate::Builder::readiness_route)). The default
    /// reads an instance no request can name (the empty id); SQL stores run `SELECT 1`.
    async fn ping(&self) -> Result<(), StoreError> {
        self.instance_state("").await.map(drop)
    }

    /// Where instance `instance_id` stands: all a bind needs to know of it. The
    /// default reads the whole record; stores override it to read only the state.
    async fn instance_state(&self, instance_id: &str) -> Result<Option<ResourceState>, StoreError> {
        Ok(self.instance(instance_id).await?.map(|record| record.state))
    }

    /// Instance `instance_id`'s plan and last operation: all a poll of
    /// `last_operation` needs. The default reads the whole record; stores override it
    /// to read only those.
    async fn instance_operation(
        &self,
        instance_id: &str,
    ) -> Result<Option<(String, Option<OperationRecord>)>, StoreError> {
        Ok(self
            .instance(instance_id)
            .await?
            .map(|record| (record.plan_id, record.operation)))
    }

    /// Instance `instance_id` as a fetch shows it: its service, plan, state,
    /// parameters, maintenance version, dashboard URL and metadata. The other fields
    /// may be left empty (no context, operation or pending update; any fingerprint and
    /// version). The default reads the whole record; stores override it to read only
    /// those.
    async fn instance_for_fetch(
        &self,
        instance_id: &str,
    ) -> Result<Option<InstanceRecord>, StoreError> {
        self.instance(instance_id).await
    }

    /// Stores a new instance, unless one with this id exists (`false`). Forgets a
    /// tombstone of the same id.
    async fn insert_instance(&self, record: &InstanceRecord) -> Result<bool, StoreError>;

    /// Replaces the instance if its stored version is `expected_version`.
    async fn update_instance(
        &self,
        record: &InstanceRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError>;

    /// Deletes the instance and its bindings if its stored version is
    /// `expected_version`, leaving `tombstone` if given.
    async fn delete_instance(
        &self,
        instance_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError>;

    /// The binding `binding_id` of instance `instance_id`.
    async fn binding(
        &self,
        instance_id: &str,
        binding_id: &str,
    ) -> Result<Option<BindingRecord>, StoreError>;

    /// Stores a new binding, unless one with this key exists (`false`).
    async fn insert_binding(&self, record: &BindingRecord) -> Result<bool, StoreError>;

    /// Stores a new binding if its instance may get one (it exists, and is ready or
    /// being updated: «Binding») and no binding has its key: all a bind's claim needs.
    /// The default reads the instance's state, then inserts; SQL stores make it one
    /// statement.
    async fn insert_binding_if_bindable(
        &self,
        record: &BindingRecord,
    ) -> Result<BindingInsert, StoreError> {
        let instance = self.instance_state(&record.instance_id).await?;
        if !instance.is_some_and(ResourceState::bindable) {
            return Ok(BindingInsert::Unbindable(instance));
        }
        Ok(if self.insert_binding(record).await? {
            BindingInsert::Inserted
        } else {
            BindingInsert::Taken
        })
    }

    /// Replaces the binding if its stored version is `expected_version`.
    async fn update_binding(
        &self,
        record: &BindingRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError>;

    /// Deletes the binding if its stored version is `expected_version`, leaving
    /// `tombstone` if given.
    async fn delete_binding(
        &self,
        instance_id: &str,
        binding_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError>;

    /// The tombstone of a deleted instance (`binding_id` `None`) or binding.
    async fn tombstone(
        &self,
        instance_id: &str,
        binding_id: Option<&str>,
    ) -> Result<Option<Tombstone>, StoreError>;

    /// Resources whose runner operation is in progress but whose runner has not said
    /// it is alive since `heartbeat_before` (Unix milliseconds): interrupted work.
    async fn stale_operations(&self, heartbeat_before: i64)
    -> Result<Vec<ResourceKey>, StoreError>;

    /// Forgets tombstones older than `deleted_before`, and the oldest beyond
    /// `keep_at_most`.
    async fn prune_tombstones(
        &self,
        deleted_before: i64,
        keep_at_most: usize,
    ) -> Result<(), StoreError>;

    /// Since when (Unix milliseconds) this process is the only one using the store, if
    /// the store knows: every lease whose heartbeat is older was held by a process that
    /// is gone, so its work is taken over at once after a restart instead of once the
    /// lease expired. `None` (the default) when other processes may share the store,
    /// or when nothing in it outlives the process.
    fn sole_user_since(&self) -> Option<i64> {
        None
    }
}

/// A shared store: several routers (replicas in one process, or a router and the
/// broker's own code) can use one store.
#[async_trait]
impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    async fn instance(&self, instance_id: &str) -> Result<Option<InstanceRecord>, StoreError> {
        (**self).instance(instance_id).await
    }

    async fn instance_state(&self, instance_id: &str) -> Result<Option<ResourceState>, StoreError> {
        (**self).instance_state(instance_id).await
    }

    async fn instance_operation(
        &self,
        instance_id: &str,
    ) -> Result<Option<(String, Option<OperationRecord>)>, StoreError> {
        (**self).instance_operation(instance_id).await
    }

    async fn instance_for_fetch(
        &self,
        instance_id: &str,
    ) -> Result<Option<InstanceRecord>, StoreError> {
        (**self).instance_for_fetch(instance_id).await
    }

    async fn insert_instance(&self, record: &InstanceRecord) -> Result<bool, StoreError> {
        (**self).insert_instance(record).await
    }

    async fn update_instance(
        &self,
        record: &InstanceRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        (**self).update_instance(record, expected_version).await
    }

    async fn delete_instance(
        &self,
        instance_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        (**self)
            .delete_instance(instance_id, expected_version, tombstone)
            .await
    }

    async fn binding(
        &self,
        instance_id: &str,
        binding_id: &str,
    ) -> Result<Option<BindingRecord>, StoreError> {
        (**self).binding(instance_id, binding_id).await
    }

    async fn insert_binding(&self, record: &BindingRecord) -> Result<bool, StoreError> {
        (**self).insert_binding(record).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        (**self).ping().await
    }

    async fn insert_binding_if_bindable(
        &self,
        record: &BindingRecord,
    ) -> Result<BindingInsert, StoreError> {
        (**self).insert_binding_if_bindable(record).await
    }

    async fn update_binding(
        &self,
        record: &BindingRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        (**self).update_binding(record, expected_version).await
    }

    async fn delete_binding(
        &self,
        instance_id: &str,
        binding_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        (**self)
            .delete_binding(instance_id, binding_id, expected_version, tombstone)
            .await
    }

    async fn tombstone(
        &self,
        instance_id: &str,
        binding_id: Option<&str>,
    ) -> Result<Option<Tombstone>, StoreError> {
        (**self).tombstone(instance_id, binding_id).await
    }

    async fn stale_operations(
        &self,
        heartbeat_before: i64,
    ) -> Result<Vec<ResourceKey>, StoreError> {
        (**self).stale_operations(heartbeat_before).await
    }

    async fn prune_tombstones(
        &self,
        deleted_before: i64,
        keep_at_most: usize,
    ) -> Result<(), StoreError> {
        (**self)
            .prune_tombstones(deleted_before, keep_at_most)
            .await
    }

    fn sole_user_since(&self) -> Option<i64> {
        (**self).sole_user_since()
    }
}
