//! The names each answer defines («Vendor Extension Fields»: extensions must not
//! collide with them). Fetched bindings add `parameters` to a binding's fields.

pub(crate) const INSTANCE_ANSWER_FIELDS: &[&str] = &["dashboard_url", "operation", "metadata"];
pub(crate) const DELETE_ANSWER_FIELDS: &[&str] = &["operation"];
pub(crate) const INSTANCE_DETAILS_FIELDS: &[&str] = &[
    "service_id",
    "plan_id",
    "dashboard_url",
    "parameters",
    "maintenance_info",
    "metadata",
];
pub(crate) const OPERATION_STATUS_FIELDS: &[&str] = &[
    "state",
    "description",
    "instance_usable",
    "update_repeatable",
];
pub(crate) const BINDING_OPERATION_STATUS_FIELDS: &[&str] = &["state", "description"];
pub(crate) const BINDING_FIELDS: &[&str] = &[
    "metadata",
    "credentials",
    "syslog_drain_url",
    "route_service_url",
    "volume_mounts",
    "endpoints",
    "parameters",
    "operation",
];
