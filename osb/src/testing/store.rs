//! The contract every [`Store`] keeps, as a test any implementation can run.

use serde_json::value::RawValue;

use crate::response::OperationState;
use crate::store::{
    BindingInsert, BindingRecord, Fingerprint, InstanceRecord, OperationKind, OperationRecord,
    ResourceKey, ResourceState, Store, Tombstone,
};

fn json(text: &str) -> Box<RawValue> {
    match RawValue::from_string(text.to_owned()) {
        Ok(raw) => raw,
        Err(err) => panic!("invalid test JSON {text}: {err}"),
    }
}

/// An instance record with distinctive values in every field.
pub fn sample_instance(instance_id: &str) -> InstanceRecord {
    InstanceRecord {
        instance_id: instance_id.to_owned(),
        service_id: "svc-1".to_owned(),
        plan_id: "plan-1".to_owned(),
        parameters: Some(json(r#"{"size_mb":64,"tags":["a","b"]}"#)),
        context: Some(json(r#"{"platform":"cloudfoundry","space_guid":"s"}"#)),
        maintenance_version: Some("1.0.0".to_owned()),
        dashboard_url: Some("https://dash/1".to_owned()),
        metadata: Some(json(r#"{"labels":{"team":"x"}}"#)),
        state: ResourceState::Creating,
        operation: Some(OperationRecord::start(
            OperationKind::Provision,
            Some("op-1".to_owned()),
            true,
            1_000,
        )),
        pending: None,
        fingerprint: Fingerprint::from_bytes([0xf1; 32]),
        version: 1,
    }
}

/// A binding record of `instance_id` with distinctive values in every field.
pub fn sample_binding(instance_id: &str, binding_id: &str) -> BindingRecord {
    BindingRecord {
        instance_id: instance_id.to_owned(),
        binding_id: binding_id.to_owned(),
        service_id: "svc-1".to_owned(),
        plan_id: "plan-1".to_owned(),
        parameters: None,
        bind_resource: Some(json(r#"{"app_guid":"app-1"}"#)),
        response: Some(json(r#"{"credentials":{"password":"p"}}"#)),
        state: ResourceState::Ready,
        operation: Some(OperationRecord::finished(OperationKind::Bind, 2_000)),
        fingerprint: Fingerprint::from_bytes([0xb1; 32]),
        version: 1,
    }
}

fn unwrap<T>(result: Result<T, crate::store::StoreError>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("store contract: the store failed: {err}"),
    }
}

macro_rules! check {
    ($condition:expr, $($message:tt)+) => {
        if !$condition {
            panic!("store contract: {}", format!($($message)+));
        }
    };
}

/// Checks that `store` keeps the contract of [`Store`]: round trips of every field,
/// insert only if absent, update and delete only at the expected version, cascading
/// deletes, tombstones, stale operations. Uses ids starting with `prefix`, so it can
/// run against a shared database. Panics on the first broken rule.
pub async fn store_contract(store: &dyn Store, prefix: &str) {
    let id = format!("{prefix}-instance");

    check!(store.ping().await.is_ok(), "the store answers a ping");
    check!(
        unwrap(store.instance(&id).await).is_none(),
        "an unknown instance is None"
    );
    let record = sample_instance(&id);
    check!(
        unwrap(store.insert_instance(&record).await),
        "inserting a new instance succeeds"
    );
    check!(
        !unwrap(store.insert_instance(&record).await),
        "inserting an existing instance fails"
    );
    let Some(read) = unwrap(store.instance(&id).await) else {
        panic!("store contract: an inserted instance can be read");
    };
    check!(
        read.service_id == "svc-1" && read.plan_id == "plan-1",
        "ids round-trip"
    );
    check!(
        read.parameters.as_deref().map(RawValue::get) == Some(r#"{"size_mb":64,"tags":["a","b"]}"#),
        "parameters round-trip byte for byte"
    );
    check!(
        read.context.as_deref().map(RawValue::get)
            == Some(r#"{"platform":"cloudfoundry","space_guid":"s"}"#),
        "context round-trips"
    );
    check!(
        read.metadata.as_deref().map(RawValue::get) == Some(r#"{"labels":{"team":"x"}}"#),
        "metadata round-trips"
    );
    check!(
        read.maintenance_version.as_deref() == Some("1.0.0"),
        "maintenance version round-trips"
    );
    check!(
        read.dashboard_url.as_deref() == Some("https://dash/1"),
        "dashboard url round-trips"
    );
    check!(
        read.state == ResourceState::Creating
            && read.version == 1
            && read.fingerprint == Fingerprint::from_bytes([0xf1; 32]),
        "state, version, fingerprint round-trip"
    );
    check!(
        read.operation == record.operation,
        "the operation round-trips: {:?}",
        read.operation
    );
    // The narrower reads say the same as the whole record.
    check!(
        unwrap(store.instance_operation(&id).await)
            == Some((read.plan_id.clone(), read.operation.clone())),
        "instance_operation reads the plan and the operation"
    );
    let Some(fetched) = unwrap(store.instance_for_fetch(&id).await) else {
        panic!("store contract: instance_for_fetch finds an inserted instance");
    };
    check!(
        fetched.service_id == read.service_id
            && fetched.plan_id == read.plan_id
            && fetched.state == read.state
            && fetched.parameters.as_deref().map(RawValue::get)
                == read.parameters.as_deref().map(RawValue::get)
            && fetched.maintenance_version == read.maintenance_version
            && fetched.dashboard_url == read.dashboard_url
            && fetched.metadata.as_deref().map(RawValue::get)
                == read.metadata.as_deref().map(RawValue::get),
        "instance_for_fetch reads what a fetch shows"
    );
    check!(
        unwrap(store.instance_operation("nothing-here").await).is_none()
            && unwrap(store.instance_for_fetch("nothing-here").await).is_none(),
        "the narrower reads of an unknown instance are None"
    );

    // Compare-and-set on the version.
    let mut next = read.clone();
    next.state = ResourceState::Updating;
    next.version = 2;
    next.pending = Some(crate::store::PendingUpdate {
        plan_id: Some("plan-2".to_owned()),
        parameters: Some(json(r#"{"size_mb":128}"#)),
        maintenance_version: None,
        fingerprint: Fingerprint::from_bytes([0x01; 32]),
    });
    let mut operation = OperationRecord::start(OperationKind::Update, None, false, 3_000);
    operation.description = Some("resizing".to_owned());
    operation.state = OperationState::Failed;
    operation.instance_usable = Some(true);
    operation.update_repeatable = Some(false);
    next.operation = Some(operation.clone());
    check!(
        !unwrap(store.update_instance(&next, 7).await),
        "an update at a wrong version fails"
    );
    check!(
        unwrap(store.update_instance(&next, 1).await),
        "an update at the read version succeeds"
    );
    check!(
        !unwrap(store.update_instance(&next, 1).await),
        "a second update at the old version fails"
    );
    let Some(read) = unwrap(store.instance(&id).await) else {
        panic!("store contract: an updated instance can be read");
    };
    check!(
        read.version == 2 && read.state == ResourceState::Updating,
        "the update is stored"
    );
    check!(
        unwrap(store.instance_state(&id).await) == Some(ResourceState::Updating),
        "instance_state reads the stored state"
    );
    check!(
        unwrap(store.instance_state(&format!("{prefix}-nobody")).await).is_none(),
        "instance_state of a missing instance is None"
    );
    check!(
        read.operation == Some(operation),
        "every operation field round-trips: {:?}",
        read.operation
    );
    let pending = read.pending.as_ref();
    check!(
        pending.and_then(|p| p.plan_id.as_deref()) == Some("plan-2")
            && pending
                .and_then(|p| p.parameters.as_deref())
                .map(RawValue::get)
                == Some(r#"{"size_mb":128}"#)
            && pending.map(|p| p.fingerprint) == Some(Fingerprint::from_bytes([0x01; 32])),
        "the pending update round-trips"
    );

    // Bindings.
    let binding = sample_binding(&id, "b-1");
    check!(
        unwrap(store.insert_binding(&binding).await),
        "inserting a binding succeeds"
    );
    check!(
        !unwrap(store.insert_binding(&binding).await),
        "inserting it again fails"
    );
    check!(
        unwrap(store.insert_binding(&sample_binding(&id, "b-2")).await),
        "another binding id is another binding"
    );
    let Some(read_binding) = unwrap(store.binding(&id, "b-1").await) else {
        panic!("store contract: an inserted binding can be read");
    };
    check!(
        read_binding.response.as_deref().map(RawValue::get)
            == Some(r#"{"credentials":{"password":"p"}}"#),
        "the binding response round-trips"
    );
    check!(
        read_binding.bind_resource.as_deref().map(RawValue::get) == Some(r#"{"app_guid":"app-1"}"#),
        "bind_resource round-trips"
    );
    check!(
        read_binding.operation == binding.operation,
        "the binding operation round-trips"
    );
    let mut changed = read_binding.clone();
    changed.state = ResourceState::Deleting;
    changed.version = 2;
    check!(
        !unwrap(store.update_binding(&changed, 5).await),
        "a binding update at a wrong version fails"
    );
    check!(
        unwrap(store.update_binding(&changed, 1).await),
        "a binding update at the read version succeeds"
    );
    let tombstone = Tombstone {
        instance_id: id.clone(),
        binding_id: Some("b-1".to_owned()),
        operation: OperationRecord::finished(OperationKind::Unbind, 4_000),
        deleted_at: 4_000,
    };
    check!(
        !unwrap(store.delete_binding(&id, "b-1", 1, Some(&tombstone)).await),
        "a binding delete at a wrong version fails"
    );
    check!(
        unwrap(store.delete_binding(&id, "b-1", 2, Some(&tombstone)).await),
        "a binding delete at the read version succeeds"
    );
    check!(
        unwrap(store.binding(&id, "b-1").await).is_none(),
        "a deleted binding is gone"
    );
    check!(
        unwrap(store.tombstone(&id, Some("b-1")).await) == Some(tombstone.clone()),
        "the unbind leaves its tombstone"
    );
    check!(
        unwrap(store.insert_binding(&binding).await),
        "a deleted binding id can be bound again"
    );
    check!(
        unwrap(store.tombstone(&id, Some("b-1")).await).is_none(),
        "binding again forgets the tombstone"
    );

    // A bind's claim: an insert conditional on the instance.
    let parent = format!("{prefix}-bindable");
    let mut parent_record = sample_instance(&parent);
    check!(
        unwrap(
            store
                .insert_binding_if_bindable(&sample_binding(&parent, "c-1"))
                .await
        ) == BindingInsert::Unbindable(None),
        "a binding of a missing instance is not inserted, and says so"
    );
    check!(
        unwrap(store.insert_instance(&parent_record).await),
        "inserting the instance to bind succeeds"
    );
    check!(
        unwrap(
            store
                .insert_binding_if_bindable(&sample_binding(&parent, "c-1"))
                .await
        ) == BindingInsert::Unbindable(Some(ResourceState::Creating)),
        "a binding of an instance being created is not inserted, and says why"
    );
    check!(
        unwrap(store.binding(&parent, "c-1").await).is_none(),
        "nothing is written for an instance that takes no binding"
    );
    parent_record.state = ResourceState::Ready;
    parent_record.version = 2;
    check!(
        unwrap(store.update_instance(&parent_record, 1).await),
        "the instance to bind is ready"
    );
    let conditional = sample_binding(&parent, "c-1");
    check!(
        unwrap(store.insert_binding_if_bindable(&conditional).await) == BindingInsert::Inserted,
        "a binding of a ready instance is inserted"
    );
    check!(
        unwrap(store.binding(&parent, "c-1").await)
            .is_some_and(|read| read.fingerprint == conditional.fingerprint
                && read.response.as_deref().map(RawValue::get)
                    == conditional.response.as_deref().map(RawValue::get)),
        "the conditionally inserted binding reads back"
    );
    check!(
        unwrap(store.insert_binding_if_bindable(&conditional).await) == BindingInsert::Taken,
        "inserting it again says the key is taken"
    );
    let unbound = Tombstone {
        instance_id: parent.clone(),
        binding_id: Some("c-1".to_owned()),
        operation: OperationRecord::finished(OperationKind::Unbind, 5_000),
        deleted_at: 5_000,
    };
    check!(
        unwrap(
            store
                .delete_binding(&parent, "c-1", 1, Some(&unbound))
                .await
        ),
        "the conditionally inserted binding can be deleted"
    );
    parent_record.state = ResourceState::Updating;
    parent_record.version = 3;
    check!(
        unwrap(store.update_instance(&parent_record, 2).await),
        "the instance to bind is being updated"
    );
    check!(
        unwrap(store.insert_binding_if_bindable(&conditional).await) == BindingInsert::Inserted,
        "an instance being updated takes a binding, also one deleted before"
    );
    check!(
        unwrap(store.tombstone(&parent, Some("c-1")).await).is_none(),
        "binding again conditionally forgets the tombstone"
    );

    // Stale runner operations.
    let mut running = sample_instance(&format!("{prefix}-running"));
    running.operation = Some(OperationRecord::start(
        OperationKind::Provision,
        Some("op-r".to_owned()),
        true,
        10_000,
    ));
    check!(
        unwrap(store.insert_instance(&running).await),
        "inserting a running instance succeeds"
    );
    let stale = unwrap(store.stale_operations(10_001).await);
    check!(
        stale.contains(&ResourceKey::Instance(running.instance_id.clone())),
        "a runner operation whose heartbeat is old is stale: {stale:?}"
    );
    check!(
        !stale.contains(&ResourceKey::Instance(id.clone())),
        "an operation that is not in progress is not stale"
    );
    let fresh = unwrap(store.stale_operations(10_000).await);
    check!(
        !fresh.contains(&ResourceKey::Instance(running.instance_id.clone())),
        "a recent heartbeat is not stale"
    );
    let mut finished = running.clone();
    finished.version = 2;
    finished.state = ResourceState::Ready;
    finished.operation = Some(OperationRecord::finished(OperationKind::Provision, 10_000));
    check!(
        unwrap(store.update_instance(&finished, 1).await),
        "finishing the running operation succeeds"
    );
    let after = unwrap(store.stale_operations(10_001).await);
    check!(
        !after.contains(&ResourceKey::Instance(running.instance_id.clone())),
        "an operation that finished is not stale: {after:?}"
    );
    let mut binding_running = sample_binding(&running.instance_id, "b-running");
    binding_running.state = ResourceState::Creating;
    binding_running.operation = Some(OperationRecord::start(
        OperationKind::Bind,
        Some("op-b".to_owned()),
        true,
        10_000,
    ));
    let binding_key = ResourceKey::Binding(running.instance_id.clone(), "b-running".to_owned());
    check!(
        unwrap(store.insert_binding(&binding_running).await),
        "inserting a running binding succeeds"
    );
    let stale = unwrap(store.stale_operations(10_001).await);
    check!(
        stale.contains(&binding_key),
        "a binding's runner operation whose heartbeat is old is stale: {stale:?}"
    );
    let mut bound = binding_running.clone();
    bound.version = 2;
    bound.state = ResourceState::Ready;
    bound.operation = Some(OperationRecord::finished(OperationKind::Bind, 10_000));
    check!(
        unwrap(store.update_binding(&bound, 1).await),
        "finishing the binding's operation succeeds"
    );
    let after = unwrap(store.stale_operations(10_001).await);
    check!(
        !after.contains(&binding_key),
        "a binding whose operation finished is not stale: {after:?}"
    );
    check!(
        unwrap(store.update_binding(&binding_running, 2).await),
        "a binding can be changed back to running"
    );
    check!(
        unwrap(store.delete_instance(&running.instance_id, 2, None).await),
        "deleting without a tombstone succeeds"
    );
    let after = unwrap(store.stale_operations(10_001).await);
    check!(
        !after.contains(&binding_key),
        "the bindings of a deleted instance are not stale: {after:?}"
    );

    // Deleting an instance deletes its bindings and leaves a tombstone.
    let tombstone = Tombstone {
        instance_id: id.clone(),
        binding_id: None,
        operation: OperationRecord::finished(OperationKind::Deprovision, 5_000),
        deleted_at: 5_000,
    };
    check!(
        !unwrap(store.delete_instance(&id, 1, Some(&tombstone)).await),
        "a delete at a wrong version fails"
    );
    check!(
        unwrap(store.delete_instance(&id, 2, Some(&tombstone)).await),
        "a delete at the read version succeeds"
    );
    check!(
        unwrap(store.instance(&id).await).is_none(),
        "a deleted instance is gone"
    );
    check!(
        unwrap(store.binding(&id, "b-2").await).is_none(),
        "its bindings are gone too"
    );
    check!(
        unwrap(store.tombstone(&id, None).await) == Some(tombstone),
        "the deprovision leaves its tombstone"
    );
    check!(
        unwrap(store.insert_instance(&sample_instance(&id)).await),
        "a deleted id can be provisioned again"
    );
    check!(
        unwrap(store.tombstone(&id, None).await).is_none(),
        "provisioning again forgets the tombstone"
    );

    // Tombstones are bounded.
    for n in 0..5 {
        let tombstone = Tombstone {
            instance_id: format!("{prefix}-old-{n}"),
            binding_id: None,
            operation: OperationRecord::finished(OperationKind::Deprovision, 100 + n),
            deleted_at: 100 + n,
        };
        let mut record = sample_instance(&tombstone.instance_id);
        record.version = 1;
        check!(
            unwrap(store.insert_instance(&record).await),
            "inserting {n}"
        );
        check!(
            unwrap(
                store
                    .delete_instance(&tombstone.instance_id, 1, Some(&tombstone))
                    .await
            ),
            "deleting {n}"
        );
    }
    unwrap(store.prune_tombstones(102, usize::MAX).await);
    check!(
        unwrap(store.tombstone(&format!("{prefix}-old-1"), None).await).is_none(),
        "tombstones older than the cut are forgotten"
    );
    check!(
        unwrap(store.tombstone(&format!("{prefix}-old-2"), None).await).is_some(),
        "tombstones at the cut stay"
    );
    unwrap(store.delete_instance(&id, 1, None).await);
}
