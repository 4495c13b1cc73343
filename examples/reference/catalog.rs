//! The catalog of the reference broker: one offering, two plans, typed parameters.

use super::params::{LargeParams, SmallParams};

/// An in-memory key-value database, one per instance.
#[osb::service(
    id = "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90",
    bindable,
    instances_retrievable,
    bindings_retrievable,
    plan_updateable,
    tags("database", "in-memory"),
    metadata(
        display_name = "In-memory DB",
        provider_display_name = "open-service-broker"
    ),
    plans(Small, Large)
)]
pub struct InmemoryDb;

/// A small database, provisioned synchronously.
#[osb::plan(
    id = "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12",
    free,
    provision = SmallParams,
    update = SmallParams,
    bind = osb::schema::NoParams,
    binding_rotatable,
    maintenance_info(version = "1.0.0", description = "The first release."),
    metadata(display_name = "Small", bullets("Up to 1 GiB", "Synchronous"))
)]
pub struct Small;

/// A large database, provisioned asynchronously.
#[osb::plan(
    id = "c1d3e5f7-2a4c-4e6a-8c0e-3b5d7f9a1c34",
    free = false,
    provision = LargeParams,
    update = LargeParams,
    bind = osb::schema::NoParams,
    asynchronous,
    metadata(
        display_name = "Large",
        bullets("Up to 64 GiB", "Asynchronous"),
        cost(unit = "MONTHLY", usd = 9.99)
    )
)]
pub struct Large;
