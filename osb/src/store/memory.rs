//! A store in the process's memory: for tests, and for brokers whose state may be lost.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use serde_json::value::RawValue;

use super::claim::{BindingClaim, BindingSettle, CLAIMED, InstanceClaim, InstanceSettle};
use super::interface::{Store, StoreError};
use super::key::ResourceKey;
use super::operation_id::OperationId;
use super::record::{
    BindingRecord, Fingerprint, InstanceRecord, Json, OperationKind, OperationRecord,
    PendingUpdate, ResourceState, Tombstone,
};
use crate::response::OperationState;

/// How many independently locked parts hold the instances and bindings (a power of
/// two). A map that grows rehashes only its own part, so the pause of a rehash stays
/// short however many instances there are, and requests for different instances
/// rarely wait for each other. 512 rather than 64: a rehash reads every key of its
/// part, and at 1.5 million instances a 64th of them paused the worker for long
/// enough to double the p99 of writes (docs/PERFORMANCE.md, «Store growth»); 512
/// empty parts take about 0.1 MiB.
const SHARDS: usize = 512;

/// How many distinct offering and plan ids each shard shares between its records
/// (they come from the catalog, so a handful); others are stored apart.
const SHARED_IDS: usize = 16;

/// Everything in memory, lost when the process ends; use it in tests or when the
/// platform can rebuild state.
///
/// Instances and their bindings live in 512 parts, each under its own lock,
/// chosen by the instance id; finished deletes in one list under its own lock, taken
/// only while a part's lock is held, never the other way round. No lock is held
/// across an `.await`. Records are kept compactly (ids shared) and rebuilt when read.
pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    tombstones: Mutex<Tombstones>,
    /// How many tombstones exist, read without their lock (see `forget_tombstone`).
    tombstone_count: AtomicUsize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            tombstones: Mutex::default(),
            tombstone_count: AtomicUsize::new(0),
        }
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The part holding instance `instance_id` and its bindings.
    fn shard(&self, instance_id: &str) -> MutexGuard<'_, Shard> {
        // FNV-1a: only spreads instances over the parts; the maps inside have their
        // own seeded hash (see `HashMap`). Its uneven spread of ids numbered in
        // sequence staggers the parts' growth (docs/PERFORMANCE.md, «Store growth»).
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in instance_id.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        // The high bits of FNV-1a are better mixed than the low ones.
        let index = usize::try_from(hash >> 32).unwrap_or_default() % SHARDS;
        lock(&self.shards[index])
    }

    fn tombstones(&self) -> MutexGuard<'_, Tombstones> {
        lock(&self.tombstones)
    }

    /// Forgets the tombstone of a resource being created again. Called with the
    /// instance's shard locked: a tombstone of this instance is buried under the same
    /// lock, so the count read here is never too low for it.
    fn forget_tombstone(&self, instance_id: &str, binding_id: Option<&str>) {
        if self.tombstone_count.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut tombstones = self.tombstones();
        tombstones.forget(instance_id, binding_id.unwrap_or_default());
        self.tombstone_count
            .store(tombstones.len(), Ordering::Relaxed);
    }

    /// Remembers a finished delete. Called with the instance's shard locked.
    fn bury(&self, tombstone: &Tombstone) {
        let mut tombstones = self.tombstones();
        tombstones.bury(tombstone);
        self.tombstone_count
            .store(tombstones.len(), Ordering::Relaxed);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock cannot leave a half-written record: records are
    // built before they are inserted, and the only code that can panic while
    // changing one in place is allocation, which aborts instead.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------
// Compact records

/// An operation's id as stored: its text, or the parts of an id the framework made
/// (written out when the record is read; most never are).
#[derive(Clone)]
enum StoredId {
    Text(Box<str>),
    Made(OperationId),
}

impl StoredId {
    fn text(&self) -> String {
        match self {
            StoredId::Text(text) => String::from(&**text),
            StoredId::Made(id) => id.to_string(),
        }
    }
}

/// An operation as stored: strings boxed.
#[derive(Clone)]
struct StoredOperation {
    id: Option<StoredId>,
    description: Option<Box<str>>,
    started_at: i64,
    heartbeat_at: i64,
    kind: OperationKind,
    state: OperationState,
    runner: bool,
    instance_usable: Option<bool>,
    update_repeatable: Option<bool>,
}

impl StoredOperation {
    fn new(op: &OperationRecord) -> Self {
        // The clone's strings are exactly as long as their text: boxing them moves
        // them, so this copies each string once, as a field-by-field copy would.
        Self::owned(op.clone())
    }

    /// The operation a claim starts: run by a runner, in progress.
    fn started(kind: OperationKind, id: OperationId, now: i64) -> Self {
        Self {
            id: Some(StoredId::Made(id)),
            description: None,
            started_at: now,
            heartbeat_at: now,
            kind,
            state: OperationState::InProgress,
            runner: true,
            instance_usable: None,
            update_repeatable: None,
        }
    }

    /// `op`, its strings moved rather than copied.
    fn owned(op: OperationRecord) -> Self {
        Self {
            id: op.id.map(|id| StoredId::Text(id.into_boxed_str())),
            description: op.description.map(String::into_boxed_str),
            started_at: op.started_at,
            heartbeat_at: op.heartbeat_at,
            kind: op.kind,
            state: op.state,
            runner: op.runner,
            instance_usable: op.instance_usable,
            update_repeatable: op.update_repeatable,
        }
    }

    fn record(&self) -> OperationRecord {
        OperationRecord {
            id: self.id.as_ref().map(StoredId::text),
            kind: self.kind,
            state: self.state,
            description: self.description.as_deref().map(str::to_owned),
            runner: self.runner,
            started_at: self.started_at,
            heartbeat_at: self.heartbeat_at,
            instance_usable: self.instance_usable,
            update_repeatable: self.update_repeatable,
        }
    }

    fn assign(&mut self, op: &OperationRecord) {
        match (&mut self.id, op.id.as_deref()) {
            (Some(StoredId::Text(stored)), Some(id)) if **stored == *id => {}
            (stored, id) => *stored = id.map(|id| StoredId::Text(Box::from(id))),
        }
        assign_text(&mut self.description, op.description.as_deref());
        self.started_at = op.started_at;
        self.heartbeat_at = op.heartbeat_at;
        self.kind = op.kind;
        self.state = op.state;
        self.runner = op.runner;
        self.instance_usable = op.instance_usable;
        self.update_repeatable = op.update_repeatable;
    }
}

fn assign_operation(stored: &mut Option<StoredOperation>, op: Option<&OperationRecord>) {
    match (stored.as_mut(), op) {
        (Some(stored), Some(op)) => stored.assign(op),
        (_, op) => *stored = op.map(StoredOperation::new),
    }
}

/// Sets `stored` to `new`, keeping the allocation if the text is the same.
fn assign_text(stored: &mut Option<Box<str>>, new: Option<&str>) {
    if stored.as_deref() != new {
        *stored = new.map(Box::from);
    }
}

/// Sets `stored` to `new`, keeping the allocation if the JSON text is the same.
fn assign_json(stored: &mut Option<Json>, new: Option<&Json>) {
    if stored.as_deref().map(RawValue::get) != new.map(|j| j.get()) {
        *stored = new.cloned();
    }
}

/// A service instance as stored; its id is the key.
struct StoredInstance {
    service_id: Arc<str>,
    plan_id: Arc<str>,
    parameters: Option<Json>,
    context: Option<Json>,
    /// Shared like the ids: a catalog has a handful of maintenance versions.
    maintenance_version: Option<Arc<str>>,
    dashboard_url: Option<Box<str>>,
    metadata: Option<Json>,
    operation: Option<StoredOperation>,
    pending: Option<Box<PendingUpdate>>,
    fingerprint: Fingerprint,
    version: i64,
    state: ResourceState,
}

/// A service binding as stored; its ids are the keys.
struct StoredBinding {
    service_id: Arc<str>,
    plan_id: Arc<str>,
    parameters: Option<Json>,
    bind_resource: Option<Json>,
    response: Option<Json>,
    operation: Option<StoredOperation>,
    fingerprint: Fingerprint,
    version: i64,
    state: ResourceState,
}

/// The store's maps hash ids with foldhash rather than the standard library's
/// SipHash: an instance id was hashed twice per write in SipHash's byte-at-a-time
/// loop, about 750 of a provision's 59,000 instructions (docs/PERFORMANCE.md,
/// «Where the CPU goes»), and a rehash as the store grows reads every key of its
/// part. Each map draws its own random seed, so no list of colliding ids works
/// against it; foldhash does not claim to resist an attacker who can probe its
/// seeds by timing, which the ids' only source, the authenticated platform, is not
/// taken to be.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// The keys a binding is stored under: its instance's id and its own, as the
/// shard's maps keep them.
type BindingKeys = (Arc<str>, Arc<str>);

/// One part of the store: some instances, and the bindings of the same instance ids.
///
/// Ids are kept as `Arc<str>`, so the index of running operations shares them with
/// the maps instead of copying them: a write that claims and settles a resource
/// allocates nothing for the index.
#[derive(Default)]
struct Shard {
    instances: HashMap<Arc<str>, Box<StoredInstance>>,
    /// By instance id, then binding id. A binding may outlive or precede its
    /// instance's record: the two maps are independent, as the store's contract is.
    bindings: HashMap<Arc<str>, OfInstance>,
    ids: Ids,
    running: Running,
}

/// The bindings of one instance id, and that id as the shard's map keeps it.
struct OfInstance {
    instance_id: Arc<str>,
    bindings: HashMap<Arc<str>, Box<StoredBinding>>,
}

/// The keys of a shard's records whose operation a runner has in progress: the only
/// ones `stale_operations` can answer, so the sweep looks at a handful of records
/// instead of every one (a scan of a million records under the shard locks would
/// stall every request for tens of milliseconds, every half lease).
#[derive(Default)]
struct Running {
    instances: HashSet<Arc<str>>,
    /// Instance id and binding id.
    bindings: HashSet<(Arc<str>, Arc<str>)>,
}

/// Whether a runner has `operation` in progress.
fn runs(operation: Option<&OperationRecord>) -> bool {
    operation.is_some_and(|op| op.runner && op.state == OperationState::InProgress)
}

impl Running {
    /// Records whether the instance under `key` has a runner operation in progress.
    fn instance(&mut self, key: &Arc<str>, running: bool) {
        if running {
            if !self.instances.contains(&**key) {
                self.instances.insert(key.clone());
            }
        } else if !self.instances.is_empty() {
            self.instances.remove(&**key);
        }
    }

    /// Records whether instance `id`, stored in `instances`, has a runner operation in
    /// progress (the index holds the map's own key).
    fn instance_in(
        &mut self,
        instances: &HashMap<Arc<str>, Box<StoredInstance>>,
        id: &str,
        running: bool,
    ) {
        if running {
            if let Some((key, _)) = instances.get_key_value(id) {
                self.instance(key, true);
            }
        } else if !self.instances.is_empty() {
            self.instances.remove(id);
        }
    }

    /// Records whether binding `id` of `of_instance` has a runner operation in
    /// progress (the index holds the maps' own keys).
    fn binding_in(&mut self, of_instance: &OfInstance, id: &str, running: bool) {
        if !running && self.bindings.is_empty() {
            return;
        }
        if let Some((key, _)) = of_instance.bindings.get_key_value(id) {
            self.binding(&of_instance.instance_id, key, running);
        }
    }

    /// Records whether the binding under `instance` and `binding` has a runner
    /// operation in progress.
    fn binding(&mut self, instance: &Arc<str>, binding: &Arc<str>, running: bool) {
        if !running && self.bindings.is_empty() {
            return;
        }
        // The pair is made of the maps' own keys: two reference counts, no copy.
        let key = (instance.clone(), binding.clone());
        if running {
            self.bindings.insert(key);
        } else {
            self.bindings.remove(&key);
        }
    }

    /// Forgets instance `instance_id` and its bindings.
    fn forget_instance(&mut self, instance_id: &str) {
        if !self.instances.is_empty() {
            self.instances.remove(instance_id);
        }
        if !self.bindings.is_empty() {
            self.bindings
                .retain(|(instance, _)| **instance != *instance_id);
        }
    }
}

/// Offering ids, plan ids and maintenance versions shared between a shard's records.
#[derive(Default)]
struct Ids(Vec<Arc<str>>);

impl Ids {
    /// `id` shared with the records that have it already.
    fn id(&mut self, id: &str) -> Arc<str> {
        if let Some(shared) = self.0.iter().find(|shared| ***shared == *id) {
            return shared.clone();
        }
        let new: Arc<str> = Arc::from(id);
        if self.0.len() < SHARED_IDS {
            self.0.push(new.clone());
        }
        new
    }

    /// Sets `stored` to `id`, keeping it if it is the same.
    fn assign_id(&mut self, stored: &mut Arc<str>, id: &str) {
        if **stored != *id {
            *stored = self.id(id);
        }
    }

    fn store_instance(&mut self, record: &InstanceRecord) -> StoredInstance {
        StoredInstance {
            service_id: self.id(&record.service_id),
            plan_id: self.id(&record.plan_id),
            parameters: record.parameters.clone(),
            context: record.context.clone(),
            maintenance_version: record.maintenance_version.as_deref().map(|v| self.id(v)),
            dashboard_url: record.dashboard_url.as_deref().map(Box::from),
            metadata: record.metadata.clone(),
            operation: record.operation.as_ref().map(StoredOperation::new),
            pending: record.pending.clone().map(Box::new),
            fingerprint: record.fingerprint,
            version: record.version,
            state: record.state,
        }
    }

    /// Replaces `stored` by `record`, reusing what did not change.
    fn assign_instance(&mut self, stored: &mut StoredInstance, record: &InstanceRecord) {
        self.assign_id(&mut stored.service_id, &record.service_id);
        self.assign_id(&mut stored.plan_id, &record.plan_id);
        assign_json(&mut stored.parameters, record.parameters.as_ref());
        assign_json(&mut stored.context, record.context.as_ref());
        match (
            &mut stored.maintenance_version,
            record.maintenance_version.as_deref(),
        ) {
            (Some(stored), Some(version)) => self.assign_id(stored, version),
            (stored, version) => *stored = version.map(|v| self.id(v)),
        }
        assign_text(&mut stored.dashboard_url, record.dashboard_url.as_deref());
        assign_json(&mut stored.metadata, record.metadata.as_ref());
        assign_operation(&mut stored.operation, record.operation.as_ref());
        stored.pending = record.pending.clone().map(Box::new);
        stored.fingerprint = record.fingerprint;
        stored.version = record.version;
        stored.state = record.state;
    }

    /// The stored form of a claimed instance: each field copied once from the request.
    fn claim_instance(&mut self, claim: &InstanceClaim<'_>) -> StoredInstance {
        StoredInstance {
            service_id: self.id(claim.service_id),
            plan_id: self.id(claim.plan_id),
            parameters: claim.parameters.map(ToOwned::to_owned),
            context: claim.context.map(ToOwned::to_owned),
            maintenance_version: claim.maintenance_version.map(|v| self.id(v)),
            dashboard_url: None,
            metadata: None,
            operation: Some(StoredOperation::started(
                OperationKind::Provision,
                claim.operation,
                claim.now,
            )),
            pending: None,
            fingerprint: claim.fingerprint,
            version: CLAIMED,
            state: ResourceState::Creating,
        }
    }

    /// The stored form of a claimed binding.
    fn claim_binding(&mut self, claim: &BindingClaim<'_>) -> StoredBinding {
        StoredBinding {
            service_id: self.id(claim.service_id),
            plan_id: self.id(claim.plan_id),
            parameters: claim.parameters.map(ToOwned::to_owned),
            bind_resource: claim.bind_resource.map(ToOwned::to_owned),
            response: None,
            operation: Some(StoredOperation::started(
                OperationKind::Bind,
                claim.operation,
                claim.now,
            )),
            fingerprint: claim.fingerprint,
            version: CLAIMED,
            state: ResourceState::Creating,
        }
    }

    fn store_binding(&mut self, record: &BindingRecord) -> StoredBinding {
        StoredBinding {
            service_id: self.id(&record.service_id),
            plan_id: self.id(&record.plan_id),
            parameters: record.parameters.clone(),
            bind_resource: record.bind_resource.clone(),
            response: record.response.clone(),
            operation: record.operation.as_ref().map(StoredOperation::new),
            fingerprint: record.fingerprint,
            version: record.version,
            state: record.state,
        }
    }

    fn assign_binding(&mut self, stored: &mut StoredBinding, record: &BindingRecord) {
        self.assign_id(&mut stored.service_id, &record.service_id);
        self.assign_id(&mut stored.plan_id, &record.plan_id);
        assign_json(&mut stored.parameters, record.parameters.as_ref());
        assign_json(&mut stored.bind_resource, record.bind_resource.as_ref());
        assign_json(&mut stored.response, record.response.as_ref());
        assign_operation(&mut stored.operation, record.operation.as_ref());
        stored.fingerprint = record.fingerprint;
        stored.version = record.version;
        stored.state = record.state;
    }
}

fn instance_record(instance_id: &str, stored: &StoredInstance) -> InstanceRecord {
    InstanceRecord {
        instance_id: instance_id.to_owned(),
        context: stored.context.clone(),
        operation: stored.operation.as_ref().map(StoredOperation::record),
        pending: stored.pending.as_deref().cloned(),
        ..instance_for_fetch(stored)
    }
}

/// The record as a fetch answers it: an empty `instance_id`, and no `context`,
/// `operation` or `pending` (a fetch answers none of them; copying the context is
/// most of what a read of the whole record costs).
fn instance_for_fetch(stored: &StoredInstance) -> InstanceRecord {
    InstanceRecord {
        instance_id: String::new(),
        service_id: String::from(&*stored.service_id),
        plan_id: String::from(&*stored.plan_id),
        parameters: stored.parameters.clone(),
        context: None,
        maintenance_version: stored.maintenance_version.as_deref().map(str::to_owned),
        dashboard_url: stored.dashboard_url.as_deref().map(str::to_owned),
        metadata: stored.metadata.clone(),
        state: stored.state,
        operation: None,
        pending: None,
        fingerprint: stored.fingerprint,
        version: stored.version,
    }
}

fn binding_record(instance_id: &str, binding_id: &str, stored: &StoredBinding) -> BindingRecord {
    BindingRecord {
        instance_id: instance_id.to_owned(),
        binding_id: binding_id.to_owned(),
        service_id: String::from(&*stored.service_id),
        plan_id: String::from(&*stored.plan_id),
        parameters: stored.parameters.clone(),
        bind_resource: stored.bind_resource.clone(),
        response: stored.response.clone(),
        state: stored.state,
        operation: stored.operation.as_ref().map(StoredOperation::record),
        fingerprint: stored.fingerprint,
        version: stored.version,
    }
}

/// Whether a runner has the stored `operation` in progress.
fn is_running(operation: Option<&StoredOperation>) -> bool {
    operation.is_some_and(|op| op.runner && op.state == OperationState::InProgress)
}

fn is_stale(operation: Option<&StoredOperation>, heartbeat_before: i64) -> bool {
    is_running(operation) && operation.is_some_and(|op| op.heartbeat_at < heartbeat_before)
}

// ---------------------------------------------------------------------------------
// Tombstones

/// Finished deletes, keyed by instance, then binding (`""` for the instance itself).
#[derive(Default)]
struct Tombstones {
    by_key: HashMap<Box<str>, HashMap<Box<str>, Tombstone>>,
    /// How many tombstones `by_key` holds.
    count: usize,
    /// Deletion time → key, to forget the oldest first.
    order: BTreeMap<(i64, u64), (Box<str>, Box<str>)>,
    counter: u64,
}

impl Tombstones {
    fn len(&self) -> usize {
        self.count
    }

    fn get(&self, instance_id: &str, binding_id: &str) -> Option<&Tombstone> {
        self.by_key.get(instance_id)?.get(binding_id)
    }

    fn bury(&mut self, tombstone: &Tombstone) {
        let instance_id: Box<str> = tombstone.instance_id.as_str().into();
        let binding_id: Box<str> = tombstone.binding_id.as_deref().unwrap_or_default().into();
        self.counter += 1;
        self.order.insert(
            (tombstone.deleted_at, self.counter),
            (instance_id.clone(), binding_id.clone()),
        );
        let previous = self
            .by_key
            .entry(instance_id)
            .or_default()
            .insert(binding_id, tombstone.clone());
        if previous.is_none() {
            self.count += 1;
        }
    }

    fn forget(&mut self, instance_id: &str, binding_id: &str) {
        let Some(of_instance) = self.by_key.get_mut(instance_id) else {
            return;
        };
        if of_instance.remove(binding_id).is_some() {
            self.count -= 1;
        }
        if of_instance.is_empty() {
            self.by_key.remove(instance_id);
        }
    }
}

// ---------------------------------------------------------------------------------
// The store

/// The store's operations, synchronous: nothing in memory waits. The router calls
/// them directly (osb/src/lifecycle/handle.rs), without a boxed future per
/// call; the [`Store`] implementation below wraps them, so the store contract tests
/// them too. Each does what the `Store` method of the same name without `_now` does.
impl MemoryStore {
    pub(crate) fn instance_now(&self, instance_id: &str) -> Option<InstanceRecord> {
        let shard = self.shard(instance_id);
        shard
            .instances
            .get(instance_id)
            .map(|stored| instance_record(instance_id, stored))
    }

    /// What a poll of instance `instance_id`'s last operation reads: its plan and
    /// operation, without building the whole record.
    pub(crate) fn instance_operation_now(
        &self,
        instance_id: &str,
    ) -> Option<(Arc<str>, Option<OperationRecord>)> {
        let shard = self.shard(instance_id);
        let stored = shard.instances.get(instance_id)?;
        Some((
            stored.plan_id.clone(),
            stored.operation.as_ref().map(StoredOperation::record),
        ))
    }

    /// Instance `instance_id` as a fetch answers it (see `instance_for_fetch`).
    pub(crate) fn instance_for_fetch_now(&self, instance_id: &str) -> Option<InstanceRecord> {
        let shard = self.shard(instance_id);
        shard
            .instances
            .get(instance_id)
            .map(|stored| instance_for_fetch(stored))
    }

    pub(crate) fn instance_state_now(&self, instance_id: &str) -> Option<ResourceState> {
        let shard = self.shard(instance_id);
        shard.instances.get(instance_id).map(|stored| stored.state)
    }

    pub(crate) fn insert_instance_now(&self, record: &InstanceRecord) -> bool {
        let mut guard = self.shard(&record.instance_id);
        let Shard {
            instances,
            ids,
            running,
            ..
        } = &mut *guard;
        let key: Arc<str> = Arc::from(record.instance_id.as_str());
        let std::collections::hash_map::Entry::Vacant(vacant) = instances.entry(key.clone()) else {
            return false;
        };
        vacant.insert(Box::new(ids.store_instance(record)));
        running.instance(&key, runs(record.operation.as_ref()));
        self.forget_tombstone(&record.instance_id, None);
        true
    }

    pub(crate) fn update_instance_now(
        &self,
        record: &InstanceRecord,
        expected_version: i64,
    ) -> bool {
        let mut guard = self.shard(&record.instance_id);
        let Shard {
            instances,
            ids,
            running,
            ..
        } = &mut *guard;
        let id = record.instance_id.as_str();
        match instances.get_mut(id) {
            Some(stored) if stored.version == expected_version => {
                ids.assign_instance(stored, record);
            }
            _ => return false,
        }
        running.instance_in(instances, id, runs(record.operation.as_ref()));
        true
    }

    pub(crate) fn delete_instance_now(
        &self,
        instance_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> bool {
        let mut shard = self.shard(instance_id);
        if shard.instances.get(instance_id).map(|r| r.version) != Some(expected_version) {
            return false;
        }
        shard.instances.remove(instance_id);
        shard.bindings.remove(instance_id);
        shard.running.forget_instance(instance_id);
        if let Some(tombstone) = tombstone {
            self.bury(tombstone);
        }
        true
    }

    pub(crate) fn binding_now(&self, instance_id: &str, binding_id: &str) -> Option<BindingRecord> {
        let shard = self.shard(instance_id);
        shard
            .bindings
            .get(instance_id)
            .and_then(|of_instance| of_instance.bindings.get(binding_id))
            .map(|stored| binding_record(instance_id, binding_id, stored))
    }

    pub(crate) fn insert_binding_now(&self, record: &BindingRecord) -> bool {
        let mut guard = self.shard(&record.instance_id);
        let Shard {
            bindings,
            ids,
            running,
            ..
        } = &mut *guard;
        let of_instance = match bindings.get_mut(record.instance_id.as_str()) {
            Some(of_instance) => of_instance,
            None => {
                let key: Arc<str> = Arc::from(record.instance_id.as_str());
                bindings.entry(key.clone()).or_insert_with(|| OfInstance {
                    instance_id: key,
                    bindings: HashMap::default(),
                })
            }
        };
        let key: Arc<str> = Arc::from(record.binding_id.as_str());
        let std::collections::hash_map::Entry::Vacant(vacant) =
            of_instance.bindings.entry(key.clone())
        else {
            return false;
        };
        vacant.insert(Box::new(ids.store_binding(record)));
        running.binding(
            &of_instance.instance_id,
            &key,
            runs(record.operation.as_ref()),
        );
        self.forget_tombstone(&record.instance_id, Some(&record.binding_id));
        true
    }

    pub(crate) fn update_binding_now(&self, record: &BindingRecord, expected_version: i64) -> bool {
        let mut guard = self.shard(&record.instance_id);
        let Shard {
            bindings,
            ids,
            running,
            ..
        } = &mut *guard;
        let Some(of_instance) = bindings.get_mut(record.instance_id.as_str()) else {
            return false;
        };
        let id = record.binding_id.as_str();
        match of_instance.bindings.get_mut(id) {
            Some(stored) if stored.version == expected_version => {
                ids.assign_binding(stored, record);
            }
            _ => return false,
        }
        running.binding_in(of_instance, id, runs(record.operation.as_ref()));
        true
    }

    pub(crate) fn delete_binding_now(
        &self,
        instance_id: &str,
        binding_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> bool {
        let mut guard = self.shard(instance_id);
        let Shard {
            bindings, running, ..
        } = &mut *guard;
        let Some(of_instance) = bindings.get_mut(instance_id) else {
            return false;
        };
        let Some((key, stored)) = of_instance.bindings.get_key_value(binding_id) else {
            return false;
        };
        if stored.version != expected_version {
            return false;
        }
        running.binding(&of_instance.instance_id, key, false);
        of_instance.bindings.remove(binding_id);
        if of_instance.bindings.is_empty() {
            bindings.remove(instance_id);
        }
        if let Some(tombstone) = tombstone {
            self.bury(tombstone);
        }
        true
    }

    /// Inserts a claimed instance unless one exists under its id; says under which
    /// key it is stored, `None` if refused (nothing written then).
    pub(crate) fn claim_instance_now(&self, claim: &InstanceClaim<'_>) -> Option<Arc<str>> {
        let mut guard = self.shard(claim.instance_id);
        let Shard { instances, ids, .. } = &mut *guard;
        let key: Arc<str> = Arc::from(claim.instance_id);
        let std::collections::hash_map::Entry::Vacant(vacant) = instances.entry(key.clone()) else {
            return None;
        };
        vacant.insert(Box::new(ids.claim_instance(claim)));
        // Not yet in the index of running operations: see `mark_running_now`.
        self.forget_tombstone(claim.instance_id, None);
        Some(key)
    }

    /// Settles the instance claimed under `instance_id`, if it is still at the
    /// claim's version.
    pub(crate) fn settle_instance_now(&self, instance_id: &str, settle: InstanceSettle) -> bool {
        let mut guard = self.shard(instance_id);
        let Shard {
            instances, running, ..
        } = &mut *guard;
        let runs = runs(Some(&settle.operation));
        match instances.get_mut(instance_id) {
            Some(stored) if stored.version == CLAIMED => {
                stored.version = CLAIMED + 1;
                stored.state = settle.state;
                stored.operation = Some(StoredOperation::owned(settle.operation));
                // Parameters in force that read as the request's are kept as claimed:
                // the block stored with the claim stays, and the answer's copy, made
                // later in the request, is freed with it (which keeps glibc's cache of
                // small blocks in balance; docs/PERFORMANCE.md, «The allocator's
                // slow paths»).
                if let Some(in_force) = settle.parameters
                    && stored.parameters.as_ref().map(|p| p.get()) != Some(in_force.get())
                {
                    stored.parameters = Some(in_force);
                }
                stored.dashboard_url = settle.dashboard_url.map(String::into_boxed_str);
                stored.metadata = settle.metadata;
            }
            _ => return false,
        }
        running.instance_in(instances, instance_id, runs);
        true
    }

    /// Inserts a claimed binding of a [bindable](ResourceState::bindable) instance
    /// unless one exists under its ids; says under which keys (instance, binding) it
    /// is stored, `Ok(None)` if a binding exists, and the instance's state (`None`:
    /// it does not exist) if it cannot be bound. Nothing is written unless claimed.
    ///
    /// The instance is checked under the lock that inserts the binding: one lookup
    /// fewer per bind than a check of its own, and no instance deleted in between.
    pub(crate) fn claim_binding_now(
        &self,
        claim: &BindingClaim<'_>,
    ) -> Result<Option<BindingKeys>, Option<ResourceState>> {
        let mut guard = self.shard(claim.instance_id);
        let Shard {
            instances,
            bindings,
            ids,
            ..
        } = &mut *guard;
        let Some((instance_key, instance)) = instances.get_key_value(claim.instance_id) else {
            return Err(None);
        };
        if !instance.state.bindable() {
            return Err(Some(instance.state));
        }
        let of_instance = match bindings.get_mut(claim.instance_id) {
            Some(of_instance) => of_instance,
            // The instance's first binding: keyed by the instance map's own key.
            None => bindings
                .entry(instance_key.clone())
                .or_insert_with(|| OfInstance {
                    instance_id: instance_key.clone(),
                    bindings: HashMap::default(),
                }),
        };
        let key: Arc<str> = Arc::from(claim.binding_id);
        let std::collections::hash_map::Entry::Vacant(vacant) =
            of_instance.bindings.entry(key.clone())
        else {
            return Ok(None);
        };
        vacant.insert(Box::new(ids.claim_binding(claim)));
        // Not yet in the index of running operations: see `mark_running_now`.
        let keys = (of_instance.instance_id.clone(), key);
        self.forget_tombstone(claim.instance_id, Some(claim.binding_id));
        Ok(Some(keys))
    }

    /// Settles the binding claimed under these ids, if it is still at the claim's
    /// version.
    pub(crate) fn settle_binding_now(
        &self,
        instance_id: &str,
        binding_id: &str,
        settle: BindingSettle,
    ) -> bool {
        let mut guard = self.shard(instance_id);
        let Shard {
            bindings, running, ..
        } = &mut *guard;
        let Some(of_instance) = bindings.get_mut(instance_id) else {
            return false;
        };
        let runs = runs(Some(&settle.operation));
        match of_instance.bindings.get_mut(binding_id) {
            Some(stored) if stored.version == CLAIMED => {
                stored.version = CLAIMED + 1;
                stored.state = settle.state;
                stored.operation = Some(StoredOperation::owned(settle.operation));
                stored.response = settle.response;
            }
            _ => return false,
        }
        running.binding_in(of_instance, binding_id, runs);
        true
    }

    /// Puts a claimed resource in the index of running operations, if its claim's
    /// operation is still in progress.
    ///
    /// A claim is left out of the index while the request that made it calls its
    /// broker for the first time: a handler that answers in that first poll (the
    /// common case) settles its claim at once, and its operation cannot be stale
    /// meanwhile (its heartbeat is the claim's time, a lease is seconds). One that
    /// does not answer at once is marked running here by its runner before the
    /// request waits for it (`runner::run`), so the sweep finds it from then on.
    pub(crate) fn mark_running_now(&self, instance_id: &str, binding_id: Option<&str>) {
        let mut guard = self.shard(instance_id);
        let Shard {
            instances,
            bindings,
            running,
            ..
        } = &mut *guard;
        match binding_id {
            None => {
                let stored = instances.get(instance_id);
                if stored.is_some_and(|s| is_running(s.operation.as_ref())) {
                    running.instance_in(instances, instance_id, true);
                }
            }
            Some(binding_id) => {
                let Some(of_instance) = bindings.get(instance_id) else {
                    return;
                };
                let stored = of_instance.bindings.get(binding_id);
                if stored.is_some_and(|s| is_running(s.operation.as_ref())) {
                    running.binding_in(of_instance, binding_id, true);
                }
            }
        }
    }

    pub(crate) fn tombstone_now(
        &self,
        instance_id: &str,
        binding_id: Option<&str>,
    ) -> Option<Tombstone> {
        self.tombstones()
            .get(instance_id, binding_id.unwrap_or_default())
            .cloned()
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn instance(&self, instance_id: &str) -> Result<Option<InstanceRecord>, StoreError> {
        Ok(self.instance_now(instance_id))
    }

    async fn instance_state(&self, instance_id: &str) -> Result<Option<ResourceState>, StoreError> {
        Ok(self.instance_state_now(instance_id))
    }

    async fn insert_instance(&self, record: &InstanceRecord) -> Result<bool, StoreError> {
        Ok(self.insert_instance_now(record))
    }

    async fn update_instance(
        &self,
        record: &InstanceRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.update_instance_now(record, expected_version))
    }

    async fn delete_instance(
        &self,
        instance_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        Ok(self.delete_instance_now(instance_id, expected_version, tombstone))
    }

    async fn binding(
        &self,
        instance_id: &str,
        binding_id: &str,
    ) -> Result<Option<BindingRecord>, StoreError> {
        Ok(self.binding_now(instance_id, binding_id))
    }

    async fn insert_binding(&self, record: &BindingRecord) -> Result<bool, StoreError> {
        Ok(self.insert_binding_now(record))
    }

    async fn update_binding(
        &self,
        record: &BindingRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.update_binding_now(record, expected_version))
    }

    async fn delete_binding(
        &self,
        instance_id: &str,
        binding_id: &str,
        expected_version: i64,
        tombstone: Option<&Tombstone>,
    ) -> Result<bool, StoreError> {
        Ok(self.delete_binding_now(instance_id, binding_id, expected_version, tombstone))
    }

    async fn tombstone(
        &self,
        instance_id: &str,
        binding_id: Option<&str>,
    ) -> Result<Option<Tombstone>, StoreError> {
        Ok(self.tombstone_now(instance_id, binding_id))
    }

    async fn stale_operations(
        &self,
        heartbeat_before: i64,
    ) -> Result<Vec<ResourceKey>, StoreError> {
        let mut stale = Vec::new();
        for shard in &self.shards {
            let shard = lock(shard);
            for instance_id in &shard.running.instances {
                let record = shard.instances.get(instance_id);
                if record.is_some_and(|r| is_stale(r.operation.as_ref(), heartbeat_before)) {
                    stale.push(ResourceKey::Instance(instance_id.to_string()));
                }
            }
        }
        for shard in &self.shards {
            let shard = lock(shard);
            for (instance_id, binding_id) in &shard.running.bindings {
                let record = shard
                    .bindings
                    .get(instance_id)
                    .and_then(|of_instance| of_instance.bindings.get(binding_id));
                if record.is_some_and(|r| is_stale(r.operation.as_ref(), heartbeat_before)) {
                    stale.push(ResourceKey::Binding(
                        instance_id.to_string(),
                        binding_id.to_string(),
                    ));
                }
            }
        }
        Ok(stale)
    }

    async fn prune_tombstones(
        &self,
        deleted_before: i64,
        keep_at_most: usize,
    ) -> Result<(), StoreError> {
        let mut tombstones = self.tombstones();
        while let Some((&(deleted_at, counter), _)) = tombstones.order.iter().next() {
            let too_many = tombstones.order.len() > keep_at_most;
            if deleted_at >= deleted_before && !too_many {
                break;
            }
            if let Some((instance_id, binding_id)) = tombstones.order.remove(&(deleted_at, counter))
            {
                // A newer tombstone of the same key may have replaced this one.
                if tombstones
                    .get(&instance_id, &binding_id)
                    .is_some_and(|t| t.deleted_at == deleted_at)
                {
                    tombstones.forget(&instance_id, &binding_id);
                }
            }
        }
        self.tombstone_count
            .store(tombstones.len(), Ordering::Relaxed);
        Ok(())
    }
}
