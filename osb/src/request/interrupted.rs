//! What the framework hands a broker when background work was interrupted.

use crate::response::Timestamp;
use crate::store::OperationKind;

use super::parameters::Parameters;

/// Work that was in progress when its runner stopped (the broker was killed or
/// restarted, or the replica running it died): the framework asks the broker to
/// [`resume`](crate::Broker::resume) it, on whichever replica notices first.
///
/// The request that started the work is gone; this is what the store kept of it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Interrupted {
    /// What the work was doing.
    pub kind: OperationKind,
    /// The instance.
    pub instance_id: String,
    /// The binding, for a bind or an unbind.
    pub binding_id: Option<String>,
    /// The offering.
    pub service_id: String,
    /// The plan (for an update, the plan it moves to).
    pub plan_id: String,
    /// The parameters of the request (for an update, the new ones, else the ones in
    /// force).
    pub parameters: Option<Parameters>,
    /// The `operation` the platform polls.
    pub operation: Option<String>,
    /// When the operation started.
    pub started_at: Timestamp,
}
