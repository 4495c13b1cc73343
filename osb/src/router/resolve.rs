//! What a request's query names in the catalog: the owner of a read, the plan of a
//! delete (told to the request's trace).

use http::request::Parts;

use crate::catalog::AsyncOperations;
use crate::compiled::{BrokerRef, CompiledCatalog, PlanRef};
use crate::error::{Error, ErrorKind};

use super::input::Query;
use super::trace::Trace;

/// The query of a read (fetch, poll), and the broker its hints name (`None`: they
/// name none, every broker is asked); hints naming nothing known answer `missing`.
pub(super) fn hinted(
    catalog: &CompiledCatalog,
    parts: &Parts,
    missing: ErrorKind,
    trace: &Trace,
) -> Result<(Query, Option<BrokerRef>), Error> {
    let query = Query::parse(parts.uri.query())?;
    let owner = catalog.owner_by_hints(
        query.service_id.as_deref(),
        query.plan_id.as_deref(),
        missing,
    )?;
    if let Some((plan, entry)) = query
        .plan_id
        .as_deref()
        .and_then(|id| catalog.plan_by_id(id))
    {
        trace.plan(plan, entry);
    }
    Ok((query, owner))
}

/// What a delete (deprovision, unbind) names: the ids it must carry, resolved.
pub(super) struct Deleting {
    pub(super) service_id: String,
    pub(super) plan_id: String,
    pub(super) plan: PlanRef,
    /// The plan's position in its broker's catalog.
    pub(super) position: usize,
    pub(super) accepts_incomplete: bool,
}

/// Reads a delete's query: `service_id` and `plan_id` are required and must belong
/// together, and a plan that deletes only asynchronously needs `accepts_incomplete`.
pub(super) fn deleting(
    catalog: &CompiledCatalog,
    parts: &Parts,
    operation: AsyncOperations,
    trace: &Trace,
) -> Result<Deleting, Error> {
    let mut query = Query::parse(parts.uri.query())?;
    let (service_id, plan_id) = query.required_ids()?;
    let (plan, entry) = catalog.resolve(&service_id, &plan_id)?;
    trace.plan(plan, entry);
    entry.check_async(operation, query.accepts_incomplete)?;
    Ok(Deleting {
        position: entry.position,
        service_id,
        plan_id,
        plan,
        accepts_incomplete: query.accepts_incomplete,
    })
}
