//! The schedule ledger. Recording a slot that starts a run writes the slot and the run in
//! one transaction, and the slot's unique key refuses a second record: an orchestrator
//! that lost the lease, or a restarted one, cannot fire a slot twice.

use super::Store;
use crate::entities::{firings, runs, transitions};
use crate::{FiringRow, Page, PageRequest, RunRow, StoreError, TransitionRow};
use chrono::{DateTime, Utc};
use ferry_common::state::RunState;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use uuid::Uuid;

impl Store {
    /// The latest slot recorded for a pipeline's schedule.
    pub async fn last_slot(&self, pipeline: Uuid, schedule_index: u32) -> Result<Option<DateTime<Utc>>, StoreError> {
        let found = firings::Entity::find()
            .filter(firings::Column::PipelineId.eq(pipeline))
            .filter(firings::Column::ScheduleIndex.eq(schedule_index as i32))
            .order_by_desc(firings::Column::Slot)
            .one(&self.db)
            .await?;
        Ok(found.map(|f| f.slot))
    }

    /// Records a slot, and with `run` (its spec) creates the run in the same transaction.
    /// `None` when the slot was already recorded (by this or another orchestrator).
    pub async fn record_firing(&self, firing: &FiringRow, run_spec: Option<&serde_json::Value>) -> Result<Option<FiringRow>, StoreError> {
        let txn = self.db.begin().await?;
        let mut firing = firing.clone();
        let run = run_spec.map(|spec| RunRow {
            id: Uuid::now_v7(),
            tenant_id: firing.tenant_id,
            pipeline_id: firing.pipeline_id,
            state: RunState::Queued,
            spec: spec.clone(),
            cancel_requested: false,
            error: None,
            created_at: firing.created_at,
            started_at: None,
            finished_at: None,
        });
        firing.run_id = run.as_ref().map(|r| r.id);
        let model = firings::Model {
            id: firing.id,
            tenant_id: firing.tenant_id,
            pipeline_id: firing.pipeline_id,
            schedule_index: firing.schedule_index as i32,
            slot: firing.slot,
            outcome: firing.outcome.clone(),
            run_id: firing.run_id,
            detail: firing.detail.clone(),
            created_at: firing.created_at,
        };
        let inserted = firings::Entity::insert(model.into_active_model())
            .on_conflict(
                OnConflict::columns([firings::Column::PipelineId, firings::Column::ScheduleIndex, firings::Column::Slot])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        if inserted == 0 {
            txn.rollback().await?;
            return Ok(None);
        }
        if let Some(row) = &run {
            runs::Entity::insert(runs::Model::from(row).into_active_model()).exec_without_returning(&txn).await?;
            let transition = TransitionRow {
                tenant_id: row.tenant_id,
                run_id: row.id,
                task_id: None,
                from_state: None,
                to_state: RunState::Queued.as_str().to_owned(),
                cause: format!("schedule slot {}", firing.slot.to_rfc3339()),
                at: row.created_at,
            };
            transitions::Entity::insert(transitions::ActiveModel::from(&transition)).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
        Ok(Some(firing))
    }

    /// A pipeline's ledger, newest slot first.
    pub async fn list_firings(&self, tenant: Uuid, pipeline: Uuid, page: &PageRequest) -> Result<Page<FiringRow>, StoreError> {
        let window = super::page::Window::parse(page)?;
        let mut query = firings::Entity::find()
            .filter(firings::Column::TenantId.eq(tenant))
            .filter(firings::Column::PipelineId.eq(pipeline));
        if let Some(before) = window.after {
            query = query.filter(firings::Column::Id.lt(before));
        }
        let rows = query.order_by_desc(firings::Column::Id).limit(window.fetch()).all(&self.db).await?;
        let rows = rows
            .into_iter()
            .map(|m| FiringRow {
                id: m.id,
                tenant_id: m.tenant_id,
                pipeline_id: m.pipeline_id,
                schedule_index: u32::try_from(m.schedule_index).unwrap_or(0),
                slot: m.slot,
                outcome: m.outcome,
                run_id: m.run_id,
                detail: m.detail,
                created_at: m.created_at,
            })
            .collect();
        Ok(window.finish(rows, |f: &FiringRow| f.id))
    }

    /// The id of a run of the pipeline still queued or running, if any (overlap).
    pub async fn active_run_of(&self, pipeline: Uuid) -> Result<Option<Uuid>, StoreError> {
        let found = runs::Entity::find()
            .filter(runs::Column::PipelineId.eq(pipeline))
            .filter(runs::Column::State.is_in(super::runs::active_run_states()))
            .one(&self.db)
            .await?;
        Ok(found.map(|r| r.id))
    }

    /// Every pipeline of every tenant, for the scheduler (which reads their schedules).
    pub async fn all_pipelines(&self) -> Result<Vec<crate::PipelineRow>, StoreError> {
        let rows = crate::entities::pipelines::Entity::find().all(&self.db).await?;
        Ok(rows.into_iter().map(crate::PipelineRow::from).collect())
    }
}
