//! The notifier's loop: stand by until it holds the lease, then route, deliver and
//! detect in rounds until shutdown or until the lease is lost.

use crate::config::NotifierConfig;
use crate::deliver::Deliverer;
use crate::detect::Detector;
use crate::error::NotifierError;
use crate::route::route_once;
use crate::send::Sender;
use chrono::Utc;
use ferry_common::coordination::Coordinator;
use ferry_common::sealed::MasterKey;
use ferry_store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// The lease that makes one notifier the one that sends.
pub const NOTIFIER_LEASE: &str = "notifier-leader";

/// How often notifications past their retention are forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Events routed per round; a full round is followed by another at once.
const ROUTE_BATCH: u64 = 500;

/// A notifier role.
pub struct Notifier {
    store: Store,
    coordinator: Arc<dyn Coordinator>,
    cfg: NotifierConfig,
    sender: Sender,
    master_key: Option<MasterKey>,
}

impl Notifier {
    /// A notifier over `store`, leading through `coordinator`'s lease; `master_key`
    /// opens the channels' sealed secrets.
    pub fn new(store: Store, coordinator: Arc<dyn Coordinator>, cfg: NotifierConfig, master_key: Option<MasterKey>) -> Result<Self, NotifierError> {
        let sender = Sender::new(cfg.smtp.as_ref(), cfg.request_timeout)?;
        Ok(Notifier { store, coordinator, cfg, sender, master_key })
    }

    /// Leads when it holds the lease, stands by otherwise, until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), NotifierError> {
        let standby = self.cfg.lease_ttl / 3;
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            match self.coordinator.acquire_lease(NOTIFIER_LEASE, &self.cfg.id, self.cfg.lease_ttl).await {
                Ok(true) => {
                    info!(id = %self.cfg.id, "notifier leads");
                    self.lead(&shutdown).await;
                    let _ = self.coordinator.release_lease(NOTIFIER_LEASE, &self.cfg.id).await;
                }
                Ok(false) => {}
                Err(e) => warn!(error = %e, "cannot reach the coordinator for the notifier lease"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(standby) => {}
            }
        }
    }

    async fn lead(&self, shutdown: &CancellationToken) {
        let deliverer = Deliverer::new(self.store.clone(), self.sender.clone(), self.master_key.clone(), &self.cfg);
        let mut detector = Detector::new(self.store.clone(), self.coordinator.clone(), &self.cfg);
        // The lease is renewed beside the rounds, so a slow round cannot outlive it.
        let lost = shutdown.child_token();
        let renewer = tokio::spawn(renew_lease(self.coordinator.clone(), self.cfg.id.clone(), self.cfg.lease_ttl, lost.clone()));
        let mut detected: Option<Instant> = None;
        let mut pruned: Option<Instant> = None;
        loop {
            if lost.is_cancelled() {
                break;
            }
            let mut busy = false;
            match route_once(&self.store, &self.cfg.public_url, ROUTE_BATCH).await {
                Ok(n) => busy |= n as u64 == ROUTE_BATCH,
                Err(e) => warn!(error = %e, "routing the outbox failed; trying again"),
            }
            if let Err(e) = deliverer.deliver_once().await {
                warn!(error = %e, "reading due notifications failed; trying again");
            }
            if detected.is_none_or(|t| t.elapsed() >= self.cfg.detect_every) {
                detected = Some(Instant::now());
                if let Err(e) = detector.detect_once(Utc::now()).await {
                    warn!(error = %e, "an alert round failed; trying again");
                }
            }
            if pruned.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
                pruned = Some(Instant::now());
                // A retention too long for the calendar keeps everything.
                let before = chrono::Duration::from_std(self.cfg.retention).ok().and_then(|d| Utc::now().checked_sub_signed(d));
                if let Some(before) = before {
                    match self.store.prune_notifications(before).await {
                        Ok((0, 0)) => {}
                        Ok((notes, events)) => info!(notes, events, "forgot notifications past their retention"),
                        Err(e) => warn!(error = %e, "pruning old notifications failed; trying again later"),
                    }
                }
            }
            let pause = if busy { Duration::ZERO } else { self.cfg.poll_every };
            tokio::select! {
                _ = lost.cancelled() => break,
                _ = tokio::time::sleep(pause) => {}
                // An attempt ended: its channel may take the next one now.
                _ = deliverer.slot_freed() => {}
            }
        }
        lost.cancel();
        let _ = renewer.await;
        // Attempts under way finish and are recorded (bounded by the request timeout);
        // each holds its claim, so a new leader does not send them meanwhile.
        let _ = tokio::time::timeout(self.cfg.request_timeout + Duration::from_secs(1), deliverer.drain()).await;
    }
}

/// Renews the lease every third of its validity until it is lost (then cancels `lost`)
/// or `lost` is cancelled from outside (shutdown).
async fn renew_lease(coordinator: Arc<dyn Coordinator>, id: String, ttl: Duration, lost: CancellationToken) {
    let mut renewed = Instant::now();
    loop {
        tokio::select! {
            _ = lost.cancelled() => return,
            _ = tokio::time::sleep(ttl / 3) => {}
        }
        match coordinator.acquire_lease(NOTIFIER_LEASE, &id, ttl).await {
            Ok(true) => renewed = Instant::now(),
            Ok(false) => {
                warn!("lost the notifier lease; standing by");
                lost.cancel();
                return;
            }
            Err(e) if renewed.elapsed() < ttl => warn!(error = %e, "cannot renew the notifier lease"),
            Err(e) => {
                warn!(error = %e, "the notifier lease lapsed; standing by");
                lost.cancel();
                return;
            }
        }
    }
}
