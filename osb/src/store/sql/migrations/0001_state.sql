-- The state of a broker: instances, bindings, their last operations, and tombstones
-- of finished deletes. Valid for SQLite and PostgreSQL. JSON is kept as text, exactly
-- as the platform sent it; times are Unix milliseconds; booleans are 0/1.

CREATE TABLE osb_instances (
    instance_id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    parameters TEXT,
    context TEXT,
    maintenance_version TEXT,
    dashboard_url TEXT,
    metadata TEXT,
    state TEXT NOT NULL,
    op_id TEXT,
    op_kind TEXT,
    op_state TEXT,
    op_description TEXT,
    op_runner BIGINT,
    op_started_at BIGINT,
    op_heartbeat_at BIGINT,
    op_instance_usable BIGINT,
    op_update_repeatable BIGINT,
    pending_plan_id TEXT,
    pending_parameters TEXT,
    pending_maintenance_version TEXT,
    pending_fingerprint TEXT,
    fingerprint TEXT NOT NULL,
    version BIGINT NOT NULL
);

CREATE TABLE osb_bindings (
    instance_id TEXT NOT NULL,
    binding_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    parameters TEXT,
    bind_resource TEXT,
    response TEXT,
    state TEXT NOT NULL,
    op_id TEXT,
    op_kind TEXT,
    op_state TEXT,
    op_description TEXT,
    op_runner BIGINT,
    op_started_at BIGINT,
    op_heartbeat_at BIGINT,
    op_instance_usable BIGINT,
    op_update_repeatable BIGINT,
    fingerprint TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (instance_id, binding_id)
);

CREATE TABLE osb_tombstones (
    instance_id TEXT NOT NULL,
    binding_id TEXT NOT NULL,
    op_id TEXT,
    op_kind TEXT,
    op_state TEXT,
    op_description TEXT,
    op_runner BIGINT,
    op_started_at BIGINT,
    op_heartbeat_at BIGINT,
    op_instance_usable BIGINT,
    op_update_repeatable BIGINT,
    deleted_at BIGINT NOT NULL,
    PRIMARY KEY (instance_id, binding_id)
);

CREATE INDEX osb_tombstones_deleted_at ON osb_tombstones (deleted_at);
CREATE INDEX osb_instances_running ON osb_instances (op_state, op_heartbeat_at);
CREATE INDEX osb_bindings_running ON osb_bindings (op_state, op_heartbeat_at);
