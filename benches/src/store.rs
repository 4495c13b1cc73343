//! The baseline's state (`bare-axum`), written by hand: instances and bindings in
//! memory, with the specification's bookkeeping (idempotent provision and bind, 410 vs 404,
//! ConcurrencyError, the last operation of every resource).
//!
//! Asynchronous operations finish `delay` after they start. They settle lazily, when
//! a request next looks at the resource, so no background task can be lost and the
//! state is consistent under locks that are never held across an `.await`.
//!
//! Instances live in [`SHARDS`] maps, each under its own lock, chosen by the
//! instance id: a map that grows rehashes only its own share of the instances, so
//! the pause of a rehash stays short however many instances there are (one map
//! under one lock stalled every request for tens of milliseconds at each doubling
//! past a few hundred thousand instances). Entries are boxed, so a rehash moves
//! pointers, not records.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use osb::Error;
use osb::response::OperationState;
use rand::Rng as _;
use rand::distr::Alphanumeric;

/// How many finished deletes are remembered, so polling them answers `succeeded`.
const TOMBSTONES: usize = 10_000;

/// How many independently locked maps hold the instances (a power of two).
const SHARDS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKind {
    Small,
    Large,
}

impl PlanKind {
    /// Whether the plan's operations run asynchronously.
    pub fn is_async(self) -> bool {
        self == PlanKind::Large
    }

    pub fn max_size(self) -> u32 {
        match self {
            PlanKind::Small => osb_examples::reference::params::SmallParams::MAX_SIZE,
            PlanKind::Large => osb_examples::reference::params::LargeParams::MAX_SIZE,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PlanKind::Small => "small",
            PlanKind::Large => "large",
        }
    }
}

/// What an operation did: finished now, or continues as `operation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T = ()> {
    Done(T),
    Existing(T),
    Accepted(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    Update,
    Delete,
}

impl Kind {
    fn verb(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Update => "update",
            Kind::Delete => "delete",
        }
    }
}

/// The last operation on a resource, as `last_operation` reports it.
#[derive(Debug, Clone)]
pub struct LastOp {
    kind: Kind,
    pub state: OperationState,
    /// The plan of the resource: `large` operations are polled with `Retry-After`.
    pub plan: PlanKind,
}

impl LastOp {
    fn new(kind: Kind, state: OperationState, plan: PlanKind) -> Self {
        Self { kind, state, plan }
    }

    /// The last operation of a resource created synchronously or in the background.
    pub fn created(state: OperationState, plan: PlanKind) -> Self {
        Self::new(Kind::Create, state, plan)
    }

    /// The description `last_operation` answers with, as the framework's state store
    /// does: none unless the operation failed.
    pub fn description(&self, instance_id: &str) -> Option<String> {
        (self.state == OperationState::Failed).then(|| {
            format!(
                "service instance {instance_id}: {} failed",
                self.kind.verb()
            )
        })
    }
}

#[derive(Debug, Clone)]
enum Phase {
    Creating {
        operation: String,
        until: Instant,
    },
    Ready,
    Updating {
        operation: String,
        until: Instant,
        plan: PlanKind,
        size_mb: u32,
    },
    Deleting {
        operation: String,
        until: Instant,
    },
}

/// The attributes a provision request is compared on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSpec {
    pub service_id: String,
    pub plan: PlanKind,
    pub size_mb: u32,
}

/// What an instance is, compactly: the offering's id is stored once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sizing {
    plan: PlanKind,
    size_mb: u32,
}

#[derive(Debug)]
struct Instance {
    service_id: Box<str>,
    /// The current plan and size.
    spec: Sizing,
    /// What the creating request asked for, to tell a retry from a conflict.
    requested: Sizing,
    phase: Phase,
    last: LastOp,
    bindings: HashMap<Box<str>, BindingRecord>,
    /// How many bindings are being created or deleted asynchronously: settling
    /// looks at the bindings only when some are.
    pending_bindings: usize,
    binding_tombstones: Option<Box<Tombstones>>,
}

impl Instance {
    fn spec(&self) -> InstanceSpec {
        InstanceSpec {
            service_id: self.service_id.as_ref().to_owned(),
            plan: self.spec.plan,
            size_mb: self.spec.size_mb,
        }
    }

    fn is_requested(&self, spec: &InstanceSpec) -> bool {
        *self.service_id == *spec.service_id
            && self.requested.plan == spec.plan
            && self.requested.size_mb == spec.size_mb
    }

    fn bury_binding(&mut self, id: Box<str>, last: LastOp) {
        self.binding_tombstones
            .get_or_insert_with(Box::default)
            .bury(id, last);
    }

    fn binding_tombstone(&self, id: &str) -> Option<&LastOp> {
        self.binding_tombstones.as_ref()?.get(id)
    }

    fn forget_binding(&mut self, id: &str) {
        if let Some(tombstones) = &mut self.binding_tombstones {
            tombstones.forget(id);
        }
    }
}

/// A binding's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub uri: String,
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone)]
struct BindingRecord {
    plan: PlanKind,
    app: Option<String>,
    credentials: Credentials,
    phase: BindingPhase,
    last: LastOp,
}

#[derive(Debug, Clone)]
enum BindingPhase {
    Creating { operation: String, until: Instant },
    Ready,
    Deleting { operation: String, until: Instant },
}

/// Finished deletes, oldest forgotten first.
#[derive(Debug, Clone, Default)]
struct Tombstones {
    order: VecDeque<Box<str>>,
    last: HashMap<Box<str>, LastOp>,
}

impl Tombstones {
    fn bury(&mut self, id: Box<str>, last: LastOp) {
        if self.last.insert(id.clone(), last).is_none() {
            self.order.push_back(id);
        }
        while self.order.len() > TOMBSTONES {
            if let Some(oldest) = self.order.pop_front() {
                self.last.remove(&oldest);
            }
        }
    }

    fn get(&self, id: &str) -> Option<&LastOp> {
        self.last.get(id)
    }

    fn forget(&mut self, id: &str) {
        if self.last.remove(id).is_some() {
            self.order.retain(|other| &**other != id);
        }
    }
}

/// One of the [`SHARDS`] maps of instances.
#[derive(Default)]
struct Shard {
    instances: HashMap<Box<str>, Box<Instance>>,
}

impl Shard {
    /// Applies every asynchronous operation of instance `id` whose time has come; a
    /// finished delete leaves a tombstone in `tombstones`.
    fn settle(&mut self, id: &str, now: Instant, tombstones: &Mutex<Tombstones>) {
        let Some(instance) = self.instances.get_mut(id) else {
            return;
        };
        match &instance.phase {
            Phase::Creating { until, .. } if now >= *until => {
                instance.phase = Phase::Ready;
                instance.last.state = OperationState::Succeeded;
            }
            Phase::Updating {
                until,
                plan,
                size_mb,
                ..
            } if now >= *until => {
                instance.spec = Sizing {
                    plan: *plan,
                    size_mb: *size_mb,
                };
                instance.phase = Phase::Ready;
                instance.last.state = OperationState::Succeeded;
            }
            Phase::Deleting { until, .. } if now >= *until => {
                let mut last = instance.last.clone();
                last.state = OperationState::Succeeded;
                if let Some((id, _)) = self.instances.remove_entry(id) {
                    lock(tombstones).bury(id, last);
                }
                return;
            }
            _ => {}
        }
        if instance.pending_bindings == 0 {
            return;
        }
        let mut finished = Vec::new();
        for (binding_id, binding) in &mut instance.bindings {
            match &binding.phase {
                BindingPhase::Creating { until, .. } if now >= *until => {
                    binding.phase = BindingPhase::Ready;
                    binding.last.state = OperationState::Succeeded;
                    instance.pending_bindings -= 1;
                }
                BindingPhase::Deleting { until, .. } if now >= *until => {
                    finished.push(binding_id.clone());
                }
                _ => {}
            }
        }
        for binding_id in finished {
            if let Some(binding) = instance.bindings.remove(&binding_id) {
                instance.pending_bindings -= 1;
                let mut last = binding.last;
                last.state = OperationState::Succeeded;
                instance.bury_binding(binding_id, last);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A handler panicking while holding the lock is a bug; later requests still
    // get an answer instead of a poisoned lock.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The broker's state, shared by all requests.
pub struct Store {
    shards: Box<[Mutex<Shard>]>,
    /// Finished instance deletes; locked after a shard, never before.
    tombstones: Mutex<Tombstones>,
    next_operation: AtomicU64,
    delay: Duration,
}

fn busy(what: &str) -> Error {
    Error::concurrency_error().with_description(format!(
        "{what} is being changed by another operation; retry when it has finished"
    ))
}

fn operation_name(kind: Kind, number: u64) -> String {
    format!("{}-{number}", kind.verb())
}

fn random_string(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

impl Store {
    pub fn new(delay: Duration) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            tombstones: Mutex::default(),
            next_operation: AtomicU64::new(0),
            delay,
        }
    }

    /// The locked shard of instance `id` (FNV-1a of the id picks it; the maps inside
    /// keep the standard library's DoS-resistant hashing).
    fn lock(&self, id: &str) -> Result<MutexGuard<'_, Shard>, Error> {
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        // Fold the high bits in: FNV's low bits mix poorly.
        let index = ((hash ^ (hash >> 32)) as usize) & (SHARDS - 1);
        Ok(lock(&self.shards[index]))
    }

    /// Numbers the next operation (every bind and unbind takes a number, as before
    /// the store was sharded, so operation names stay the same).
    fn next_number(&self) -> u64 {
        self.next_operation.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn operation(&self, kind: Kind) -> String {
        operation_name(kind, self.next_number())
    }

    /// «Provisioning»: 201/202 for a new instance, 200 for an identical one,
    /// 202 with the same operation while it is still being created, 409 otherwise.
    pub fn provision(&self, id: &str, spec: InstanceSpec) -> Result<Outcome, Error> {
        let now = Instant::now();
        let mut shard = self.lock(id)?;
        shard.settle(id, now, &self.tombstones);
        if let Some(instance) = shard.instances.get(id) {
            let identical = instance.is_requested(&spec);
            return match (&instance.phase, identical) {
                (Phase::Creating { operation, .. }, true) => {
                    Ok(Outcome::Accepted(operation.clone()))
                }
                (Phase::Deleting { .. }, _) => Err(busy("the service instance")),
                (_, true) => Ok(Outcome::Existing(())),
                (_, false) => Err(Error::instance_already_exists().with_description(format!(
                    "service instance `{id}` already exists with another plan or other parameters"
                ))),
            };
        }
        lock(&self.tombstones).forget(id);
        let (phase, last, outcome) = if spec.plan.is_async() {
            let operation = self.operation(Kind::Create);
            (
                Phase::Creating {
                    operation: operation.clone(),
                    until: now + self.delay,
                },
                LastOp::new(Kind::Create, OperationState::InProgress, spec.plan),
                Outcome::Accepted(operation),
            )
        } else {
            (
                Phase::Ready,
                LastOp::new(Kind::Create, OperationState::Succeeded, spec.plan),
                Outcome::Done(()),
            )
        };
        let sizing = Sizing {
            plan: spec.plan,
            size_mb: spec.size_mb,
        };
        shard.instances.insert(
            id.into(),
            Box::new(Instance {
                service_id: spec.service_id.into_boxed_str(),
                spec: sizing,
                requested: sizing,
                phase,
                last,
                bindings: HashMap::new(),
                pending_bindings: 0,
                binding_tombstones: None,
            }),
        );
        Ok(outcome)
    }

    /// «Updating a Service Instance»: a plan change and/or a new size.
    pub fn update(
        &self,
        id: &str,
        plan: Option<PlanKind>,
        size_mb: Option<u32>,
    ) -> Result<Outcome, Error> {
        let now = Instant::now();
        let mut shard = self.lock(id)?;
        shard.settle(id, now, &self.tombstones);
        let Some(instance) = shard.instances.get_mut(id) else {
            return Err(Error::instance_not_found()
                .with_description(format!("service instance `{id}` does not exist")));
        };
        let target = plan.unwrap_or(instance.spec.plan);
        let size_mb = size_mb.unwrap_or(instance.spec.size_mb);
        match &instance.phase {
            Phase::Ready => {}
            Phase::Updating {
                operation,
                plan: pending_plan,
                size_mb: pending_size,
                ..
            } if *pending_plan == target && *pending_size == size_mb => {
                // «Updating»: a re-sent PATCH gets 202 until the update has finished.
                return Ok(Outcome::Accepted(operation.clone()));
            }
            _ => return Err(busy("the service instance")),
        }
        if size_mb > target.max_size() {
            return Err(Error::unprocessable(format!(
                "size_mb {size_mb} is more than plan `{}` allows ({}); pass a smaller size_mb with the plan change",
                target.name(),
                target.max_size()
            ))
            .update_repeatable(false));
        }
        if target.is_async() {
            let operation = self.operation(Kind::Update);
            instance.phase = Phase::Updating {
                operation: operation.clone(),
                until: now + self.delay,
                plan: target,
                size_mb,
            };
            instance.last = LastOp::new(Kind::Update, OperationState::InProgress, target);
            Ok(Outcome::Accepted(operation))
        } else {
            instance.spec = Sizing {
                plan: target,
                size_mb,
            };
            instance.last = LastOp::new(Kind::Update, OperationState::Succeeded, target);
            Ok(Outcome::Done(()))
        }
    }

    /// «Deprovisioning»: 200/202, 410 for what does not exist.
    pub fn deprovision(&self, id: &str) -> Result<Outcome, Error> {
        let now = Instant::now();
        let mut shard = self.lock(id)?;
        shard.settle(id, now, &self.tombstones);
        let Some(instance) = shard.instances.get_mut(id) else {
            return Err(Error::instance_not_found()
                .with_description(format!("service instance `{id}` does not exist")));
        };
        match &instance.phase {
            Phase::Ready => {}
            Phase::Deleting { operation, .. } => return Ok(Outcome::Accepted(operation.clone())),
            _ => return Err(busy("the service instance")),
        }
        if instance.spec.plan.is_async() {
            let operation = self.operation(Kind::Delete);
            instance.phase = Phase::Deleting {
                operation: operation.clone(),
                until: now + self.delay,
            };
            instance.last =
                LastOp::new(Kind::Delete, OperationState::InProgress, instance.spec.plan);
            Ok(Outcome::Accepted(operation))
        } else {
            let plan = instance.spec.plan;
            if let Some((id, _)) = shard.instances.remove_entry(id) {
                let last = LastOp::new(Kind::Delete, OperationState::Succeeded, plan);
                lock(&self.tombstones).bury(id, last);
            }
            Ok(Outcome::Done(()))
        }
    }

    /// «Fetching a Service Instance»: 404 while it is created, 422 while it is updated.
    pub fn fetch(&self, id: &str) -> Result<InstanceSpec, Error> {
        let mut shard = self.lock(id)?;
        shard.settle(id, Instant::now(), &self.tombstones);
        let missing = || {
            Error::instance_not_found()
                .with_description(format!("service instance `{id}` does not exist"))
        };
        let instance = shard.instances.get(id).ok_or_else(missing)?;
        match instance.phase {
            Phase::Creating { .. } => Err(Error::instance_not_found().with_description(format!(
                "service instance `{id}` is still being provisioned"
            ))),
            Phase::Updating { .. } => Err(Error::concurrency_error()
                .with_description(format!("service instance `{id}` is being updated"))),
            Phase::Ready | Phase::Deleting { .. } => Ok(instance.spec()),
        }
    }

    /// The last operation on instance `id`, finished deletes included.
    pub fn last_operation(&self, id: &str) -> Result<LastOp, Error> {
        let mut shard = self.lock(id)?;
        shard.settle(id, Instant::now(), &self.tombstones);
        if let Some(instance) = shard.instances.get(id) {
            return Ok(instance.last.clone());
        }
        lock(&self.tombstones).get(id).cloned().ok_or_else(|| {
            Error::instance_not_found()
                .with_description(format!("service instance `{id}` does not exist"))
        })
    }

    /// «Binding»: the same idempotency rules as provisioning.
    pub fn bind(
        &self,
        instance_id: &str,
        binding_id: &str,
        plan: PlanKind,
        app: Option<String>,
    ) -> Result<Outcome<Credentials>, Error> {
        let now = Instant::now();
        let mut shard = self.lock(instance_id)?;
        shard.settle(instance_id, now, &self.tombstones);
        let number = self.next_number();
        let Some(instance) = shard.instances.get_mut(instance_id) else {
            return Err(Error::instance_not_found().with_description(format!(
                "service instance `{instance_id}` does not exist, so it cannot be bound"
            )));
        };
        match instance.phase {
            Phase::Creating { .. } | Phase::Deleting { .. } => {
                return Err(busy("the service instance"));
            }
            Phase::Ready | Phase::Updating { .. } => {}
        }
        if let Some(binding) = instance.bindings.get(binding_id) {
            let identical = binding.plan == plan && binding.app == app;
            return match (&binding.phase, identical) {
                (BindingPhase::Creating { operation, .. }, true) => {
                    Ok(Outcome::Accepted(operation.clone()))
                }
                (BindingPhase::Deleting { .. }, _) => Err(busy("the service binding")),
                (BindingPhase::Ready, true) => Ok(Outcome::Existing(binding.credentials.clone())),
                (_, false) => Err(Error::binding_already_exists().with_description(format!(
                    "service binding `{binding_id}` already exists with other parameters"
                ))),
            };
        }
        instance.forget_binding(binding_id);
        let credentials = Credentials {
            uri: format!("inmemory://{instance_id}/{binding_id}"),
            username: format!("user-{}", random_string(8).to_lowercase()),
            password: random_string(24),
        };
        let (phase, last, outcome) = if plan.is_async() {
            let operation = operation_name(Kind::Create, number);
            instance.pending_bindings += 1;
            (
                BindingPhase::Creating {
                    operation: operation.clone(),
                    until: now + self.delay,
                },
                LastOp::new(Kind::Create, OperationState::InProgress, plan),
                Outcome::Accepted(operation),
            )
        } else {
            (
                BindingPhase::Ready,
                LastOp::new(Kind::Create, OperationState::Succeeded, plan),
                Outcome::Done(credentials.clone()),
            )
        };
        instance.bindings.insert(
            binding_id.into(),
            BindingRecord {
                plan,
                app,
                credentials,
                phase,
                last,
            },
        );
        Ok(outcome)
    }

    /// «Unbinding»: 200/202, 410 for what does not exist.
    pub fn unbind(&self, instance_id: &str, binding_id: &str) -> Result<Outcome, Error> {
        let now = Instant::now();
        let mut shard = self.lock(instance_id)?;
        shard.settle(instance_id, now, &self.tombstones);
        let number = self.next_number();
        let gone = || {
            Error::binding_not_found()
                .with_description(format!("service binding `{binding_id}` does not exist"))
        };
        let instance = shard.instances.get_mut(instance_id).ok_or_else(gone)?;
        let binding = instance.bindings.get_mut(binding_id).ok_or_else(gone)?;
        match &binding.phase {
            BindingPhase::Ready => {}
            BindingPhase::Deleting { operation, .. } => {
                return Ok(Outcome::Accepted(operation.clone()));
            }
            BindingPhase::Creating { .. } => return Err(busy("the service binding")),
        }
        if binding.plan.is_async() {
            let operation = operation_name(Kind::Delete, number);
            binding.phase = BindingPhase::Deleting {
                operation: operation.clone(),
                until: now + self.delay,
            };
            binding.last = LastOp::new(Kind::Delete, OperationState::InProgress, binding.plan);
            instance.pending_bindings += 1;
            Ok(Outcome::Accepted(operation))
        } else {
            let plan = binding.plan;
            if let Some((binding_id, _)) = instance.bindings.remove_entry(binding_id) {
                let last = LastOp::new(Kind::Delete, OperationState::Succeeded, plan);
                instance.bury_binding(binding_id, last);
            }
            Ok(Outcome::Done(()))
        }
    }

    /// «Fetching a Service Binding»: 404 while it is being created.
    pub fn fetch_binding(&self, instance_id: &str, binding_id: &str) -> Result<Credentials, Error> {
        let mut shard = self.lock(instance_id)?;
        shard.settle(instance_id, Instant::now(), &self.tombstones);
        let missing = || {
            Error::binding_not_found()
                .with_description(format!("service binding `{binding_id}` does not exist"))
        };
        let binding = shard
            .instances
            .get(instance_id)
            .and_then(|instance| instance.bindings.get(binding_id))
            .ok_or_else(missing)?;
        match binding.phase {
            BindingPhase::Creating { .. } => Err(Error::binding_not_found().with_description(
                format!("service binding `{binding_id}` is still being created"),
            )),
            BindingPhase::Ready | BindingPhase::Deleting { .. } => Ok(binding.credentials.clone()),
        }
    }

    /// The last operation on a binding, finished unbinds included.
    pub fn binding_last_operation(
        &self,
        instance_id: &str,
        binding_id: &str,
    ) -> Result<LastOp, Error> {
        let mut shard = self.lock(instance_id)?;
        shard.settle(instance_id, Instant::now(), &self.tombstones);
        let instance = shard.instances.get(instance_id);
        instance
            .and_then(|i| i.bindings.get(binding_id).map(|b| b.last.clone()))
            .or_else(|| instance.and_then(|i| i.binding_tombstone(binding_id).cloned()))
            .ok_or_else(|| {
                Error::binding_not_found()
                    .with_description(format!("service binding `{binding_id}` does not exist"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(plan: PlanKind, size_mb: u32) -> InstanceSpec {
        InstanceSpec {
            service_id: "svc".into(),
            plan,
            size_mb,
        }
    }

    #[test]
    fn provision_is_idempotent() {
        let store = Store::new(Duration::from_secs(60));
        assert!(matches!(
            store.provision("a", spec(PlanKind::Small, 64)),
            Ok(Outcome::Done(()))
        ));
        assert!(matches!(
            store.provision("a", spec(PlanKind::Small, 64)),
            Ok(Outcome::Existing(()))
        ));
        let err = store.provision("a", spec(PlanKind::Small, 65)).unwrap_err();
        assert_eq!(err.kind(), osb::ErrorKind::InstanceAlreadyExists);
        let Ok(Outcome::Accepted(first)) = store.provision("b", spec(PlanKind::Large, 64)) else {
            panic!("not accepted");
        };
        let Ok(Outcome::Accepted(again)) = store.provision("b", spec(PlanKind::Large, 64)) else {
            panic!("not accepted");
        };
        assert_eq!(first, again);
    }
}
