//! One sync of a pair at a time: two runs (two pipelines, or a retry racing a straggler)
//! applying changes to the same pair would interleave their baseline journals. The pair's
//! lease (`sync:<key>` on the coordinator, as rclone bisync's lock file) is renewed while
//! the sync runs and lapses [`LEASE_TTL`] after a holder dies, so a `kill -9` delays the
//! next sync of the pair by at most that.

use ferry_common::coordination::Coordinator;
use ferry_common::executor::ExecError;
use std::sync::Arc;
use std::time::Duration;

/// How long a dead holder keeps the pair.
pub(super) const LEASE_TTL: Duration = Duration::from_secs(30);

/// The held lease; renewed in the background, given up on drop.
pub(super) struct PairLease {
    coordinator: Arc<dyn Coordinator>,
    name: String,
    holder: String,
    renew: tokio::task::JoinHandle<()>,
}

impl PairLease {
    /// Takes the pair's lease for `holder` (the task), or says who is in the way.
    pub(super) async fn take(coordinator: Arc<dyn Coordinator>, key: &str, holder: String) -> Result<Self, ExecError> {
        let name = format!("sync:{key}");
        let taken = coordinator
            .acquire_lease(&name, &holder, LEASE_TTL)
            .await
            .map_err(|e| ExecError::Retryable(format!("cannot take the pair's sync lease: {e}")))?;
        if !taken {
            return Err(ExecError::Retryable(
                "another sync of these two locations is running (or died less than 30 s ago); this one is retried after it".into(),
            ));
        }
        let renew = tokio::spawn({
            let (c, name, holder) = (coordinator.clone(), name.clone(), holder.clone());
            async move {
                loop {
                    tokio::time::sleep(LEASE_TTL / 3).await;
                    let _ = c.acquire_lease(&name, &holder, LEASE_TTL).await;
                }
            }
        });
        Ok(Self { coordinator, name, holder, renew })
    }
}

impl Drop for PairLease {
    fn drop(&mut self) {
        self.renew.abort();
        let (c, name, holder) = (self.coordinator.clone(), self.name.clone(), self.holder.clone());
        tokio::spawn(async move {
            let _ = c.release_lease(&name, &holder).await;
        });
    }
}
