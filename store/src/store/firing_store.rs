//! The ledger of firings: schedule slots, backfill slots and trigger firings. Recording a
//! firing that starts a run writes both in one transaction, and the firing's unique
//! (pipeline, dedup key) refuses a second record: an orchestrator that lost the lease, a
//! restarted one, or a retried webhook cannot fire the same thing twice.

use super::Store;
use crate::entities::{firings, runs, transitions};
use crate::{FiringRow, Page, PageRequest, RunRow, StoreError, TransitionRow};
use chrono::{DateTime, Utc};
use ferry_common::state::RunState;
use ferry_common::triggers::RunTrigger;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

/// A run to create with a firing: its expanded spec and why it exists.
#[derive(Debug, Clone, Copy)]
pub struct NewRun<'a> {
    pub spec: &'a Value,
    pub trigger: &'a RunTrigger,
}

impl Store {
    /// The latest slot recorded for a pipeline's schedule or trigger (`source` is
    /// `schedule` or the trigger's kind; the index is its place in its list).
    pub async fn last_slot(&self, pipeline: Uuid, source: &str, schedule_index: u32) -> Result<Option<DateTime<Utc>>, StoreError> {
        let found = firings::Entity::find()
            .filter(firings::Column::PipelineId.eq(pipeline))
            .filter(firings::Column::Source.eq(source))
            .filter(firings::Column::ScheduleIndex.eq(schedule_index as i32))
            .order_by_desc(firings::Column::Slot)
            .one(&self.db)
            .await?;
        Ok(found.map(|f| f.slot))
    }

    /// Records a firing, and with `run` creates the run in the same transaction. `None`
    /// when its dedup key was already recorded (by this or another orchestrator, or an
    /// earlier call with the same idempotency key).
    pub async fn record_firing(&self, firing: &FiringRow, run: Option<NewRun<'_>>) -> Result<Option<FiringRow>, StoreError> {
        let mut firing = firing.clone();
        firing.run_id = run.map(|_| Uuid::now_v7());
        let item = (firing.clone(), run.map(|r| (r.spec.clone(), r.trigger.clone())));
        let inserted = self.record_firings(std::slice::from_ref(&item)).await?;
        Ok((!inserted.is_empty()).then_some(firing))
    }

    /// Records many firings in one transaction (a scheduler round), each with its run
    /// when it has one: `firing.run_id` names the run to create. Firings already recorded
    /// under their dedup key are skipped with their runs. The ids of the firings written.
    pub async fn record_firings(&self, items: &[(FiringRow, Option<(Value, RunTrigger)>)]) -> Result<Vec<Uuid>, StoreError> {
        let txn = self.db.begin().await?;
        let mut written = Vec::new();
        for (firing, run) in items {
            let inserted = firings::Entity::insert(to_model(firing).into_active_model())
                .on_conflict(OnConflict::columns([firings::Column::PipelineId, firings::Column::DedupKey]).do_nothing().to_owned())
                .exec_without_returning(&txn)
                .await?;
            if inserted == 0 {
                continue;
            }
            written.push(firing.id);
            if let Some(event) = super::outbox::missed_event(firing) {
                super::outbox::insert_events(&txn, &[event]).await?;
            }
            if let (Some((spec, trigger)), Some(id)) = (run, firing.run_id) {
                let row = RunRow { id, ..new_run(firing, NewRun { spec, trigger }) };
                insert_run(&txn, &row, firing).await?;
            }
        }
        txn.commit().await?;
        Ok(written)
    }

    /// The firing recorded under a dedup key, if any (an idempotent retry answers with it).
    pub async fn firing_by_key(&self, pipeline: Uuid, dedup_key: &str) -> Result<Option<FiringRow>, StoreError> {
        let found = firings::Entity::find()
            .filter(firings::Column::PipelineId.eq(pipeline))
            .filter(firings::Column::DedupKey.eq(dedup_key))
            .one(&self.db)
            .await?;
        Ok(found.map(from_model))
    }

    /// Firings whose run is not decided yet, oldest slot first.
    pub async fn pending_firings(&self) -> Result<Vec<FiringRow>, StoreError> {
        let rows = firings::Entity::find()
            .filter(firings::Column::Pending.eq(true))
            .order_by_asc(firings::Column::Slot)
            .order_by_asc(firings::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(from_model).collect())
    }

    /// Rewrites a recorded firing's outcome (a buffered slot starting, a paused slot
    /// caught up), with `run` creating its run in the same transaction. Only a firing
    /// still as `expected` (pending, or the outcome it had) is changed, so two
    /// orchestrators cannot both settle it; `None` when it was not.
    pub async fn settle_firing(&self, firing: &FiringRow, expected_outcome: &str, run: Option<NewRun<'_>>) -> Result<Option<FiringRow>, StoreError> {
        let txn = self.db.begin().await?;
        let mut firing = firing.clone();
        let run = run.map(|r| new_run(&firing, r));
        if let Some(r) = &run {
            firing.run_id = Some(r.id);
        }
        let changed = firings::Entity::update_many()
            .col_expr(firings::Column::Outcome, Expr::value(firing.outcome.clone()))
            .col_expr(firings::Column::Detail, Expr::value(firing.detail.clone()))
            .col_expr(firings::Column::Pending, Expr::value(firing.pending))
            .col_expr(firings::Column::RunId, Expr::value(firing.run_id))
            .filter(firings::Column::Id.eq(firing.id))
            .filter(firings::Column::Outcome.eq(expected_outcome))
            .filter(firings::Column::RunId.is_null())
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(None);
        }
        if let Some(row) = &run {
            insert_run(&txn, row, &firing).await?;
        }
        if let Some(event) = super::outbox::missed_event(&firing) {
            super::outbox::insert_events(&txn, &[event]).await?;
        }
        txn.commit().await?;
        Ok(Some(firing))
    }

    /// Firings of a pipeline's schedules recorded as `outcome` at or after `since`, oldest
    /// first (a resume reads the slots missed while paused).
    pub async fn firings_since(&self, pipeline: Uuid, outcome: &str, since: DateTime<Utc>) -> Result<Vec<FiringRow>, StoreError> {
        let rows = firings::Entity::find()
            .filter(firings::Column::PipelineId.eq(pipeline))
            .filter(firings::Column::Outcome.eq(outcome))
            .filter(firings::Column::Slot.gte(since))
            .order_by_asc(firings::Column::Slot)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(from_model).collect())
    }

    /// A pipeline's ledger, newest first.
    pub async fn list_firings(&self, tenant: Uuid, pipeline: Uuid, page: &PageRequest) -> Result<Page<FiringRow>, StoreError> {
        let window = super::page::Window::parse(page)?;
        let mut query = firings::Entity::find()
            .filter(firings::Column::TenantId.eq(tenant))
            .filter(firings::Column::PipelineId.eq(pipeline));
        if let Some(before) = window.after {
            query = query.filter(firings::Column::Id.lt(before));
        }
        let rows = query.order_by_desc(firings::Column::Id).limit(window.fetch()).all(&self.db).await?;
        Ok(window.finish(rows.into_iter().map(from_model).collect(), |f: &FiringRow| f.id))
    }

    /// The id of a run of the pipeline still queued or running, if any (overlap).
    pub async fn active_run_of(&self, pipeline: Uuid) -> Result<Option<Uuid>, StoreError> {
        let found = runs::Entity::find()
            .filter(runs::Column::PipelineId.eq(pipeline))
            .filter(runs::Column::State.is_in(super::runs::active_run_states()))
            .order_by_asc(runs::Column::Id)
            .one(&self.db)
            .await?;
        Ok(found.map(|r| r.id))
    }

    /// Runs of a pipeline that ended at or after `since`, oldest end first (upstream
    /// triggers read them).
    pub async fn finished_runs_of(&self, pipeline: Uuid, since: DateTime<Utc>, limit: u64) -> Result<Vec<RunRow>, StoreError> {
        let rows = runs::Entity::find()
            .filter(runs::Column::PipelineId.eq(pipeline))
            .filter(runs::Column::FinishedAt.gte(since))
            .order_by_asc(runs::Column::FinishedAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        rows.into_iter().map(RunRow::try_from).collect()
    }

    /// Every pipeline of every tenant, for the scheduler (which skips those with neither
    /// a schedule nor a trigger).
    pub async fn all_pipelines(&self) -> Result<Vec<crate::PipelineRow>, StoreError> {
        let rows = crate::entities::pipelines::Entity::find().all(&self.db).await?;
        Ok(rows.into_iter().map(crate::PipelineRow::from).collect())
    }
}

fn new_run(firing: &FiringRow, run: NewRun<'_>) -> RunRow {
    RunRow {
        id: Uuid::now_v7(),
        tenant_id: firing.tenant_id,
        pipeline_id: firing.pipeline_id,
        state: RunState::Queued,
        spec: run.spec.clone(),
        cancel_requested: false,
        error: None,
        created_at: super::now(),
        started_at: None,
        finished_at: None,
        trigger: run.trigger.clone(),
    }
}

async fn insert_run(txn: &DatabaseTransaction, row: &RunRow, firing: &FiringRow) -> Result<(), StoreError> {
    runs::Entity::insert(runs::Model::from(row).into_active_model()).exec_without_returning(txn).await?;
    let transition = TransitionRow {
        tenant_id: row.tenant_id,
        run_id: row.id,
        task_id: None,
        from_state: None,
        to_state: RunState::Queued.as_str().to_owned(),
        cause: format!("{} {} ({})", firing.source, firing.slot.to_rfc3339(), firing.outcome),
        at: row.created_at,
    };
    transitions::Entity::insert(transitions::ActiveModel::from(&transition)).exec_without_returning(txn).await?;
    Ok(())
}

fn to_model(f: &FiringRow) -> firings::Model {
    firings::Model {
        id: f.id,
        tenant_id: f.tenant_id,
        pipeline_id: f.pipeline_id,
        schedule_index: f.schedule_index as i32,
        slot: f.slot,
        outcome: f.outcome.clone(),
        run_id: f.run_id,
        detail: f.detail.clone(),
        created_at: f.created_at,
        source: f.source.clone(),
        dedup_key: Some(f.dedup_key.clone()),
        pending: f.pending,
        overlap: f.overlap.clone(),
    }
}

fn from_model(m: firings::Model) -> FiringRow {
    FiringRow {
        dedup_key: m.dedup_key.unwrap_or_else(|| m.id.to_string()),
        id: m.id,
        tenant_id: m.tenant_id,
        pipeline_id: m.pipeline_id,
        schedule_index: u32::try_from(m.schedule_index).unwrap_or(0),
        slot: m.slot,
        outcome: m.outcome,
        run_id: m.run_id,
        detail: m.detail,
        created_at: m.created_at,
        source: m.source,
        pending: m.pending,
        overlap: m.overlap,
    }
}
