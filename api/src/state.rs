//! What every handler can reach: the database, the seams, the admin key.

use ferry_common::broker::Broker;
use ferry_common::coordination::Coordinator;
use ferry_common::secret::Secret;
use ferry_common::spec::ValidationContext;
use ferry_store::Store;
use std::fmt;
use std::sync::Arc;

/// Shared state of the API, cloned into each request (every field is a cheap handle).
///
/// The API never writes run or task state itself beyond creating a run and setting its
/// cancel flag: the orchestrator is the one writer. `on_run_change` is how the API tells
/// an embedded orchestrator to look now rather than at its next poll; in a distributed
/// deployment it may do nothing and the orchestrator finds the change by polling.
#[derive(Clone)]
pub struct AppState {
    /// The database (runs, tasks, pipelines).
    pub store: Store,
    /// Live workers, for `GET /api/v1/workers`.
    pub coordinator: Arc<dyn Coordinator>,
    /// Checked by `/readyz`.
    pub broker: Arc<dyn Broker>,
    /// The bearer key every `/api/v1` request must present.
    pub admin_key: Secret,
    /// What spec validation needs to know (stored connection names).
    pub validation: ValidationContext,
    /// Called after a run is created or asked to cancel, to wake the orchestrator.
    pub on_run_change: Arc<dyn Fn() + Send + Sync>,
    /// Seals connection secrets (`FERRY_MASTER_KEY`); without it, connections with
    /// secrets cannot be stored.
    pub master_key: Option<ferry_common::sealed::MasterKey>,
    /// Sends `POST /api/v1/channels/{name}/test` calls (with this process's
    /// `FERRY_SMTP_URL` for email channels).
    pub notify_sender: ferry_notifier::Sender,
    /// Requests per key and second (`None`: no limit).
    pub rate_limit: Option<crate::limits::RateLimit>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store.backend_name())
            .field("coordinator", &self.coordinator.name())
            .field("broker", &self.broker.name())
            .field("admin_key", &self.admin_key)
            .field("validation", &self.validation)
            .finish_non_exhaustive()
    }
}
