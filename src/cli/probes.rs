//! The probe server (`/healthz`, `/readyz`) of roles that serve no API.

use anyhow::Context;
use ferry_api::readiness::{Dependencies, serve_probes};
use tokio_util::sync::CancellationToken;

/// Serves the probes on `bind` (when given) until `shutdown`.
pub(crate) async fn spawn(bind: Option<&str>, deps: Dependencies, shutdown: &CancellationToken) -> anyhow::Result<()> {
    let Some(bind) = bind else { return Ok(()) };
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind} for the probes"))?;
    println!("probes on http://{}/readyz", listener.local_addr()?);
    let token = shutdown.clone();
    tokio::spawn(async move {
        if let Err(e) = serve_probes(listener, deps, async move { token.cancelled().await }).await {
            tracing::warn!(error = %e, "probe server stopped");
        }
    });
    Ok(())
}
