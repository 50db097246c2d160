//! What the API shows of datasets: per destination, when the dataset last arrived there
//! and whose data it was.

use chrono::{DateTime, Utc};
use ferry_store::DatasetMarkerRow;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// A dataset's freshness at one destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DatasetMarker {
    /// The destination URL, as the copy's spec wrote it.
    pub destination: String,
    /// When the last delivery there completed (the copy's success).
    pub delivered_at: DateTime<Utc>,
    pub pipeline_id: Uuid,
    /// The run whose data it is.
    pub run_id: Uuid,
    pub task_id: Uuid,
    /// That run's logical time (its schedule slot, or when it was asked for).
    pub logical_time: DateTime<Utc>,
    /// Where in the source the copy had read to, when it knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub position: Option<Value>,
}

/// A dataset and its destinations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Dataset {
    pub name: String,
    /// One marker per destination it was delivered to, by URL.
    pub destinations: Vec<DatasetMarker>,
}

/// Every dataset of the tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DatasetList {
    pub items: Vec<Dataset>,
}

impl Dataset {
    /// Groups markers (sorted by dataset) into datasets.
    pub fn group(rows: Vec<DatasetMarkerRow>) -> Vec<Dataset> {
        let mut out: Vec<Dataset> = Vec::new();
        for m in rows {
            let marker = DatasetMarker {
                destination: m.destination,
                delivered_at: m.delivered_at,
                pipeline_id: m.pipeline_id,
                run_id: m.run_id,
                task_id: m.task_id,
                logical_time: m.logical_time,
                position: m.position,
            };
            match out.last_mut() {
                Some(d) if d.name == m.dataset => d.destinations.push(marker),
                _ => out.push(Dataset { name: m.dataset, destinations: vec![marker] }),
            }
        }
        out
    }
}
