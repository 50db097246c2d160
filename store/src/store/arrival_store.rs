//! The file-arrival seen-set: per trigger, every object seen with its size and tag (etag
//! or mtime), when it last changed, and whether it fired. Stored so that a restarted or
//! new leader neither misses an arrival nor fires one twice.

use super::Store;
use crate::entities::{arrival_watches, arrivals};
use crate::{ArrivalRow, ArrivalWatch, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use uuid::Uuid;

impl Store {
    /// A trigger's watch state, if it has polled before.
    pub async fn arrival_watch(&self, pipeline: Uuid, trigger_index: u32) -> Result<Option<ArrivalWatch>, StoreError> {
        let found = arrival_watches::Entity::find_by_id((pipeline, trigger_index as i32)).one(&self.db).await?;
        Ok(found.map(|m| ArrivalWatch {
            pipeline_id: m.pipeline_id,
            trigger_index,
            config: m.config,
            polled_at: m.polled_at,
        }))
    }

    /// Writes a trigger's watch state.
    pub async fn save_arrival_watch(&self, watch: &ArrivalWatch) -> Result<(), StoreError> {
        let model = arrival_watches::Model {
            pipeline_id: watch.pipeline_id,
            trigger_index: watch.trigger_index as i32,
            config: watch.config.clone(),
            polled_at: watch.polled_at,
        };
        arrival_watches::Entity::insert(model.into_active_model())
            .on_conflict(
                OnConflict::columns([arrival_watches::Column::PipelineId, arrival_watches::Column::TriggerIndex])
                    .update_columns([
                        arrival_watches::Column::Config,
                        arrival_watches::Column::PolledAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Forgets a trigger's seen-set (its configuration changed).
    pub async fn forget_arrivals(&self, pipeline: Uuid, trigger_index: u32) -> Result<(), StoreError> {
        arrivals::Entity::delete_many()
            .filter(arrivals::Column::PipelineId.eq(pipeline))
            .filter(arrivals::Column::TriggerIndex.eq(trigger_index as i32))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The stored rows of `paths` (one batch of a listing), by path.
    pub async fn arrivals_of(&self, pipeline: Uuid, trigger_index: u32, paths: &[String]) -> Result<HashMap<String, ArrivalRow>, StoreError> {
        if paths.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = arrivals::Entity::find()
            .filter(arrivals::Column::PipelineId.eq(pipeline))
            .filter(arrivals::Column::TriggerIndex.eq(trigger_index as i32))
            .filter(arrivals::Column::Path.is_in(paths.iter().cloned()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|m| (m.path.clone(), row(m))).collect())
    }

    /// Records objects seen new or changed (or, for a baseline, already fired).
    pub async fn upsert_arrivals(&self, rows: &[ArrivalRow]) -> Result<(), StoreError> {
        for chunk in rows.chunks(500) {
            let models = chunk.iter().map(|r| {
                arrivals::Model {
                    pipeline_id: r.pipeline_id,
                    trigger_index: r.trigger_index as i32,
                    path: r.path.clone(),
                    size: r.size as i64,
                    tag: r.tag.clone(),
                    changed_at: r.changed_at,
                    fired: r.fired,
                }
                .into_active_model()
            });
            arrivals::Entity::insert_many(models)
                .on_conflict(
                    OnConflict::columns([arrivals::Column::PipelineId, arrivals::Column::TriggerIndex, arrivals::Column::Path])
                        .update_columns([arrivals::Column::Size, arrivals::Column::Tag, arrivals::Column::ChangedAt, arrivals::Column::Fired])
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Objects seen but not fired yet, unchanged since before `settled_before`, oldest
    /// change first (at most `limit`).
    pub async fn settled_arrivals(&self, pipeline: Uuid, trigger_index: u32, settled_before: DateTime<Utc>, limit: u64) -> Result<Vec<ArrivalRow>, StoreError> {
        let rows = arrivals::Entity::find()
            .filter(arrivals::Column::PipelineId.eq(pipeline))
            .filter(arrivals::Column::TriggerIndex.eq(trigger_index as i32))
            .filter(arrivals::Column::Fired.eq(false))
            .filter(arrivals::Column::ChangedAt.lte(settled_before))
            .order_by_asc(arrivals::Column::ChangedAt)
            .order_by_asc(arrivals::Column::Path)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(row).collect())
    }

    /// Marks objects fired (after their firing was recorded: a crash between the two
    /// leaves them unfired, and the firing's dedup key stops the second run).
    pub async fn mark_arrivals_fired(&self, pipeline: Uuid, trigger_index: u32, paths: &[String]) -> Result<(), StoreError> {
        for chunk in paths.chunks(500) {
            arrivals::Entity::update_many()
                .col_expr(arrivals::Column::Fired, Expr::value(true))
                .filter(arrivals::Column::PipelineId.eq(pipeline))
                .filter(arrivals::Column::TriggerIndex.eq(trigger_index as i32))
                .filter(arrivals::Column::Path.is_in(chunk.iter().cloned()))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }
}

fn row(m: arrivals::Model) -> ArrivalRow {
    ArrivalRow {
        pipeline_id: m.pipeline_id,
        trigger_index: u32::try_from(m.trigger_index).unwrap_or(0),
        path: m.path,
        size: u64::try_from(m.size).unwrap_or(0),
        tag: m.tag,
        changed_at: m.changed_at,
        fired: m.fired,
    }
}
