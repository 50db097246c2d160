//! After `ferry run`: its async deliveries. The process hosts the only workers of the
//! embedded stack, so it waits until each of the run's deliveries has been tried (or is
//! queued behind an earlier one), prints where each stands, and leaves those still
//! retrying to the next `ferry run` or `ferry standalone` on the same data directory —
//! they are stored, not lost.

use ferry_common::delivery_state::DeliveryState;
use ferry_store::{DeliveryFilter, DeliveryRow, PageRequest, RunRow, Store};
use std::time::Duration;

/// Waits for the first outcome of every async delivery of `run`, then prints them.
pub(crate) async fn settle(store: &Store, run: &RunRow) -> anyhow::Result<()> {
    let filter = DeliveryFilter { run_id: Some(run.id), ..DeliveryFilter::default() };
    loop {
        let rows = store.list_deliveries(run.tenant_id, &filter, &PageRequest { cursor: None, limit: 500 }).await?.items;
        let asynchronous: Vec<&DeliveryRow> = rows.iter().filter(|d| d.mode == "async").collect();
        if asynchronous.iter().all(|d| settled(d)) {
            for d in asynchronous {
                println!("  delivery to {}: {}", d.destination, describe(d));
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Tried at least once, finished, or queued behind an earlier delivery.
fn settled(d: &DeliveryRow) -> bool {
    match d.state {
        DeliveryState::Running => false,
        DeliveryState::Pending => d.blocked_by.is_some(),
        _ => true,
    }
}

fn describe(d: &DeliveryRow) -> String {
    let error = d.last_error.as_deref().unwrap_or("");
    match d.state {
        DeliveryState::Delivered => {
            let copied = d.result.as_ref().and_then(|r| r["files_copied"].as_u64()).unwrap_or(0);
            format!("delivered ({} files, {copied} copied)", d.files)
        }
        DeliveryState::Retrying => format!("retrying ({error}); the next `ferry run` or `ferry standalone` on this data directory carries on"),
        DeliveryState::Pending => format!("queued behind delivery {}", d.blocked_by.map(|b| b.to_string()).unwrap_or_default()),
        state => format!("{state} {error}"),
    }
}
