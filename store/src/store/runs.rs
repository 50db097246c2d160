//! Runs: created by the API, advanced only by the orchestrator (through `apply`), read by
//! everyone.

use super::page::Window;
use super::{Store, now};
use crate::entities::runs::{self, Column};
use crate::entities::tasks;
use crate::entities::transitions;
use crate::{Page, PageRequest, RunFilter, RunFlags, RunProgress, RunRow, StoreError, TaskRow, TransitionRow};
use ferry_common::state::{RunState, TaskState};
use ferry_common::triggers::{RunTrigger, TriggerKind};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// Names of the states a run can still leave, for `WHERE state IN (…)`.
pub(super) fn active_run_states() -> Vec<&'static str> {
    [RunState::Queued, RunState::Running].iter().map(|s| s.as_str()).collect()
}

impl Store {
    /// Creates a `queued` manual run holding a snapshot of `spec` (templates already
    /// expanded), and records its first transition; the orchestrator plans it when it next
    /// polls.
    pub async fn create_run(&self, tenant: Uuid, pipeline_id: Uuid, spec: &Value) -> Result<RunRow, StoreError> {
        let manual = RunTrigger::manual(now());
        self.create_run_because(tenant, pipeline_id, spec, &manual, "run requested").await
    }

    /// Like [`Store::create_run`], with its trigger, recording `cause` on the first
    /// transition (a retry names the run it retries there, so the history links the
    /// two). A manual run is created at its logical time, so the two are the same instant.
    pub async fn create_run_because(
        &self,
        tenant: Uuid,
        pipeline_id: Uuid,
        spec: &Value,
        trigger: &RunTrigger,
        cause: &str,
    ) -> Result<RunRow, StoreError> {
        let at = if trigger.kind == TriggerKind::Manual { trigger.logical_time } else { now() };
        let row = RunRow {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            pipeline_id,
            state: RunState::Queued,
            spec: spec.clone(),
            cancel_requested: false,
            error: None,
            created_at: at,
            started_at: None,
            finished_at: None,
            trigger: trigger.clone(),
        };
        let transition = TransitionRow {
            tenant_id: tenant,
            run_id: row.id,
            task_id: None,
            from_state: None,
            to_state: RunState::Queued.as_str().to_owned(),
            cause: cause.to_owned(),
            at,
        };
        let txn = self.db.begin().await?;
        runs::Entity::insert(runs::Model::from(&row).into_active_model())
            .exec_without_returning(&txn)
            .await?;
        transitions::Entity::insert(transitions::ActiveModel::from(&transition))
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(row)
    }

    /// One run of a tenant.
    pub async fn get_run(&self, tenant: Uuid, id: Uuid) -> Result<Option<RunRow>, StoreError> {
        runs::Entity::find_by_id(id)
            .filter(Column::TenantId.eq(tenant))
            .one(&self.db)
            .await?
            .map(RunRow::try_from)
            .transpose()
    }

    /// Runs of a tenant, newest first (ids are time-ordered UUIDv7).
    pub async fn list_runs(&self, tenant: Uuid, filter: &RunFilter, page: &PageRequest) -> Result<Page<RunRow>, StoreError> {
        let window = Window::parse(page)?;
        let mut query = runs::Entity::find().filter(Column::TenantId.eq(tenant));
        if let Some(pipeline) = filter.pipeline_id {
            query = query.filter(Column::PipelineId.eq(pipeline));
        }
        if let Some(state) = filter.state {
            query = query.filter(Column::State.eq(state.as_str()));
        }
        if let Some(kind) = filter.trigger {
            query = query.filter(Column::TriggerKind.eq(kind.as_str()));
        }
        if let Some(before) = window.after {
            query = query.filter(Column::Id.lt(before));
        }
        let rows = query
            .order_by_desc(Column::Id)
            .limit(window.fetch())
            .all(&self.db)
            .await?
            .into_iter()
            .map(RunRow::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(window.finish(rows, |r: &RunRow| r.id))
    }

    /// Marks a run for cancellation unless it already finished; returns the run as it is
    /// afterwards (`None` when absent) so the caller can tell a finished run apart.
    pub async fn request_cancel(&self, tenant: Uuid, id: Uuid) -> Result<Option<RunRow>, StoreError> {
        runs::Entity::update_many()
            .col_expr(Column::CancelRequested, Expr::value(true))
            .filter(Column::Id.eq(id))
            .filter(Column::TenantId.eq(tenant))
            .filter(Column::State.is_in(active_run_states()))
            .exec(&self.db)
            .await?;
        self.get_run(tenant, id).await
    }

    /// Runs by id, whatever their tenant: the orchestrator's view.
    pub async fn get_runs(&self, ids: &[Uuid]) -> Result<Vec<RunRow>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(super::CHUNK) {
            let rows = runs::Entity::find()
                .filter(Column::Id.is_in(chunk.iter().copied()))
                .all(&self.db)
                .await?;
            for row in rows {
                out.push(RunRow::try_from(row)?);
            }
        }
        Ok(out)
    }

    /// State and cancel flag of every unfinished run: what the orchestrator polls for, so
    /// it reads a few bytes per run rather than whole specs.
    pub async fn active_run_flags(&self) -> Result<Vec<RunFlags>, StoreError> {
        #[derive(FromQueryResult)]
        struct Flags {
            id: Uuid,
            state: String,
            cancel_requested: bool,
        }
        let rows = runs::Entity::find()
            .select_only()
            .column(Column::Id)
            .column(Column::State)
            .column(Column::CancelRequested)
            .filter(Column::State.is_in(active_run_states()))
            .into_model::<Flags>()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|f| {
                Ok(RunFlags {
                    state: crate::convert::parse_state("run", f.id, &f.state)?,
                    id: f.id,
                    cancel_requested: f.cancel_requested,
                })
            })
            .collect()
    }

    /// Every unfinished run with its tasks, for an orchestrator taking over.
    pub async fn load_active(&self) -> Result<(Vec<RunRow>, Vec<TaskRow>), StoreError> {
        let runs = runs::Entity::find()
            .filter(Column::State.is_in(active_run_states()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(RunRow::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<Uuid> = runs.iter().map(|r| r.id).collect();
        let mut tasks = Vec::new();
        for chunk in ids.chunks(super::CHUNK) {
            let rows = tasks::Entity::find()
                .filter(tasks::Column::RunId.is_in(chunk.iter().copied()))
                .all(&self.db)
                .await?;
            for row in rows {
                tasks.push(TaskRow::try_from(row)?);
            }
        }
        Ok((runs, tasks))
    }

    /// The nearest earlier unfinished run of `pipeline` (ids are time-ordered) whose task
    /// `key` has not finished, with that task's state (`None`: not planned yet). An
    /// incremental copy waits for it.
    pub async fn earlier_unfinished_task(&self, tenant: Uuid, pipeline: Uuid, key: &str, run: Uuid) -> Result<Option<(Uuid, Option<TaskState>)>, StoreError> {
        let earlier: Vec<Uuid> = runs::Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::TenantId.eq(tenant))
            .filter(Column::PipelineId.eq(pipeline))
            .filter(Column::Id.lt(run))
            .filter(Column::State.is_in(active_run_states()))
            .order_by_desc(Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        for id in earlier {
            let task = tasks::Entity::find()
                .filter(tasks::Column::RunId.eq(id))
                .filter(tasks::Column::Key.eq(key))
                .one(&self.db)
                .await?;
            let state = task.map(|t| crate::convert::parse_state::<TaskState>("task", t.id, &t.state)).transpose()?;
            if state.is_none_or(|s| !s.is_terminal()) {
                return Ok(Some((id, state)));
            }
        }
        Ok(None)
    }

    /// Progress of each run, summed over its tasks in the database.
    pub async fn run_progress(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, RunProgress>, StoreError> {
        #[derive(FromQueryResult)]
        struct Sums {
            run_id: Uuid,
            state: String,
            tasks: i64,
            files_total: Option<i64>,
            files_done: Option<i64>,
            bytes_total: Option<i64>,
            bytes_done: Option<i64>,
        }
        use tasks::Column as T;
        let mut out: HashMap<Uuid, RunProgress> = ids.iter().map(|id| (*id, RunProgress::default())).collect();
        for chunk in ids.chunks(super::CHUNK) {
            // SUM over BIGINT is NUMERIC on Postgres: cast back so both backends decode i64.
            let sum = |column: &str| Expr::cust(format!("CAST(SUM(\"{column}\") AS BIGINT)"));
            let rows = tasks::Entity::find()
                .select_only()
                .column(T::RunId)
                .column(T::State)
                .column_as(T::Id.count(), "tasks")
                .column_as(sum("files_total"), "files_total")
                .column_as(sum("files_done"), "files_done")
                .column_as(sum("bytes_total"), "bytes_total")
                .column_as(sum("bytes_done"), "bytes_done")
                .filter(T::RunId.is_in(chunk.iter().copied()))
                .group_by(T::RunId)
                .group_by(T::State)
                .into_model::<Sums>()
                .all(&self.db)
                .await?;
            for s in rows {
                let p = out.entry(s.run_id).or_default();
                let n = |v: Option<i64>| u64::try_from(v.unwrap_or(0)).unwrap_or(0);
                let count = u64::try_from(s.tasks).unwrap_or(0);
                p.tasks_total += count;
                match s.state.parse::<TaskState>() {
                    Ok(TaskState::Succeeded) => p.tasks_succeeded += count,
                    Ok(TaskState::Failed) => p.tasks_failed += count,
                    _ => {}
                }
                p.files_total += n(s.files_total);
                p.files_done += n(s.files_done);
                p.bytes_total += n(s.bytes_total);
                p.bytes_done += n(s.bytes_done);
            }
        }
        Ok(out)
    }

    /// The recorded history of a run and its tasks, oldest first.
    pub async fn list_transitions(&self, run_id: Uuid) -> Result<Vec<TransitionRow>, StoreError> {
        Ok(transitions::Entity::find()
            .filter(transitions::Column::RunId.eq(run_id))
            .order_by_asc(transitions::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(TransitionRow::from)
            .collect())
    }
}
