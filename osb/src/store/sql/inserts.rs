//! The store's inserts. Each inserts a record unless its key is taken and, if it
//! inserted, forgets the tombstone of the same key (an id used again after an
//! asynchronous delete finished: its `last_operation` must not answer from the old
//! one). SQLite runs the insert and the delete as one transaction on its thread;
//! PostgreSQL as one statement (a data-modifying `WITH`), one round trip instead of
//! four (`BEGIN`, insert, delete, `COMMIT`).

/// One insert, in both forms.
pub(super) struct Insert {
    /// The insert alone; its first parameters are the key.
    pub(super) insert: &'static str,
    /// Forgets the tombstone of the key; its parameters are the insert's first `keys`.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(super) forget: &'static str,
    /// How many of the insert's parameters `forget` takes.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(super) keys: usize,
    /// The insert and the forgetting in one statement, with the insert's parameters:
    /// its one row's `inserted` is 1 if it inserted, 0 if not.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(super) combined: &'static str,
}

macro_rules! insert_instance {
    () => {
        "INSERT INTO osb_instances (instance_id, service_id, plan_id, parameters, context, \
         maintenance_version, dashboard_url, metadata, state, op_id, op_kind, op_state, \
         op_description, op_runner, op_started_at, op_heartbeat_at, op_instance_usable, \
         op_update_repeatable, pending_plan_id, pending_parameters, pending_maintenance_version, \
         pending_fingerprint, fingerprint, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21, $22, $23, $24) ON CONFLICT (instance_id) DO NOTHING"
    };
}

macro_rules! binding_columns {
    () => {
        "INSERT INTO osb_bindings (instance_id, binding_id, service_id, plan_id, parameters, \
         bind_resource, response, state, op_id, op_kind, op_state, op_description, op_runner, \
         op_started_at, op_heartbeat_at, op_instance_usable, op_update_repeatable, fingerprint, \
         version) "
    };
}

macro_rules! insert_binding {
    () => {
        concat!(
            binding_columns!(),
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19) ON CONFLICT (instance_id, binding_id) DO NOTHING"
        )
    };
}

// The states `ResourceState::bindable` accepts, as `ResourceState::as_str` writes them
// («Binding»: an instance being updated stays usable). The `WHERE` also keeps SQLite
// from reading `ON CONFLICT` as part of the `SELECT`.
macro_rules! insert_binding_if_bindable {
    () => {
        concat!(
            binding_columns!(),
            "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19 WHERE EXISTS (SELECT 1 FROM osb_instances WHERE instance_id = $1 \
             AND state IN ('ready', 'updating')) ON CONFLICT (instance_id, binding_id) DO NOTHING"
        )
    };
}

/// `$insert`, then the delete of `osb_tombstones` rows with `instance_id = $1` and
/// `binding_id = $binding_id`, in one statement.
macro_rules! combined {
    ($insert:expr, $binding_id:literal) => {
        concat!(
            "WITH claimed AS (",
            $insert,
            " RETURNING 1), forgotten AS (DELETE FROM osb_tombstones WHERE instance_id = $1 \
             AND binding_id = ",
            $binding_id,
            " AND EXISTS (SELECT 1 FROM claimed)) SELECT count(*) AS inserted FROM claimed"
        )
    };
}

const FORGET_INSTANCE: &str =
    "DELETE FROM osb_tombstones WHERE instance_id = $1 AND binding_id = ''";
const FORGET_BINDING: &str =
    "DELETE FROM osb_tombstones WHERE instance_id = $1 AND binding_id = $2";

/// A new instance.
pub(super) const INSTANCE: Insert = Insert {
    insert: insert_instance!(),
    forget: FORGET_INSTANCE,
    keys: 1,
    combined: combined!(insert_instance!(), "''"),
};

/// A new binding.
pub(super) const BINDING: Insert = Insert {
    insert: insert_binding!(),
    forget: FORGET_BINDING,
    keys: 2,
    combined: combined!(insert_binding!(), "$2"),
};

/// A new binding, only if its instance takes one.
pub(super) const BINDING_IF_BINDABLE: Insert = Insert {
    insert: insert_binding_if_bindable!(),
    forget: FORGET_BINDING,
    keys: 2,
    combined: combined!(insert_binding_if_bindable!(), "$2"),
};
