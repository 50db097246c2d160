//! Deliveries: created in the orchestrator's batch with the copy's success, claimed one
//! attempt at a time by the leader, and moved by the API (retry, cancel).
//!
//! Every change after creation is a compare-and-set on the state (and, for an attempt's
//! outcome, the attempt number): the leader and the API may touch the same row, and the
//! one that lost the race changes nothing rather than undoing the other.

use super::page::Window;
use super::Store;
use crate::entities::deliveries::{self, Column};
use crate::{DeliveryChange, DeliveryFilter, DeliveryRow, Page, PageRequest, StoreError};
use chrono::{DateTime, Utc};
use ferry_common::delivery_state::DeliveryState;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Iterable, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

/// Inserts the deliveries a step created, and applies its changes to stored ones, each
/// only where the row is still in the state (and at the attempt) the step read — and
/// with it the marker and event that follow from it. A delivery that completes (or, in
/// [`Store::cancel_delivery`], is cancelled) wakes the ones queued behind it.
pub(crate) async fn write_deliveries(txn: &impl ConnectionTrait, created: &[DeliveryRow], changes: &[DeliveryChange]) -> Result<(), StoreError> {
    for chunk in created.chunks(super::rows_per_statement(Column::iter().count())) {
        let models = chunk.iter().map(|d| model(d).into_active_model());
        deliveries::Entity::insert_many(models).exec_without_returning(txn).await?;
    }
    for DeliveryChange { expected, row: d, marker, event } in changes {
        let done = deliveries::Entity::update_many()
            .col_expr(Column::State, Expr::value(d.state.as_str()))
            .col_expr(Column::Result, Expr::value(d.result.clone()))
            .col_expr(Column::LastError, Expr::value(d.last_error.clone()))
            .col_expr(Column::NextAttemptAt, Expr::value(d.next_attempt_at))
            .col_expr(Column::StartedAt, Expr::value(d.started_at))
            .col_expr(Column::FinishedAt, Expr::value(d.finished_at))
            .filter(Column::Id.eq(d.id))
            .filter(Column::Attempts.eq(i64::from(d.attempts)))
            .filter(Column::State.eq(expected.as_str()))
            .exec(txn)
            .await?;
        if done.rows_affected != 1 {
            continue;
        }
        if let Some(m) = marker {
            super::dataset_store::upsert_markers(txn, std::slice::from_ref(m)).await?;
        }
        if let Some(e) = event {
            super::outbox::insert_events(txn, std::slice::from_ref(e)).await?;
        }
        if d.state == DeliveryState::Delivered {
            wake_followers(txn, d.id, d.finished_at.unwrap_or_else(Utc::now)).await?;
        }
    }
    Ok(())
}

/// Makes the deliveries queued behind `id` due again, to be looked at by the next claim.
async fn wake_followers(conn: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
    deliveries::Entity::update_many()
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .filter(Column::BlockedBy.eq(id))
        .filter(Column::State.eq(DeliveryState::Pending.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

impl Store {
    /// A tenant's deliveries, newest first.
    pub async fn list_deliveries(&self, tenant: Uuid, filter: &DeliveryFilter, page: &PageRequest) -> Result<Page<DeliveryRow>, StoreError> {
        let window = Window::parse(page)?;
        let mut query = deliveries::Entity::find().filter(Column::TenantId.eq(tenant));
        if let Some(d) = &filter.dataset {
            query = query.filter(Column::Dataset.eq(d.as_str()));
        }
        if let Some(d) = &filter.destination {
            query = query.filter(Column::Destination.eq(d.as_str()));
        }
        if let Some(s) = filter.state {
            query = query.filter(Column::State.eq(s.as_str()));
        }
        if let Some(t) = filter.task_id {
            query = query.filter(Column::TaskId.eq(t));
        }
        if let Some(r) = filter.run_id {
            query = query.filter(Column::RunId.eq(r));
        }
        if let Some(before) = window.after {
            query = query.filter(Column::Id.lt(before));
        }
        let rows = query.order_by_desc(Column::Id).limit(window.fetch()).all(&self.db).await?;
        let rows = rows.into_iter().map(row).collect::<Result<Vec<_>, _>>()?;
        Ok(window.finish(rows, |d: &DeliveryRow| d.id))
    }

    /// One delivery of a tenant.
    pub async fn get_delivery(&self, tenant: Uuid, id: Uuid) -> Result<Option<DeliveryRow>, StoreError> {
        let found = deliveries::Entity::find_by_id(id).filter(Column::TenantId.eq(tenant)).one(&self.db).await?;
        found.map(row).transpose()
    }

    /// The deliveries of some tasks (any tenant: the caller already scoped the tasks),
    /// oldest first.
    pub async fn deliveries_of_tasks(&self, tasks: &[Uuid]) -> Result<Vec<DeliveryRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in tasks.chunks(super::CHUNK) {
            let rows = deliveries::Entity::find()
                .filter(Column::TaskId.is_in(chunk.iter().copied()))
                .order_by_asc(Column::Id)
                .all(&self.db)
                .await?;
            for r in rows {
                out.push(row(r)?);
            }
        }
        Ok(out)
    }

    /// Async deliveries whose next attempt is due, oldest first (the leader's view).
    pub async fn due_deliveries(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<DeliveryRow>, StoreError> {
        let rows = deliveries::Entity::find()
            .filter(Column::State.is_in([DeliveryState::Pending.as_str(), DeliveryState::Retrying.as_str()]))
            .filter(Column::NextAttemptAt.lte(now))
            .order_by_asc(Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        rows.into_iter().map(row).collect()
    }

    /// Deliveries with an attempt out, for a leader taking over.
    pub async fn running_deliveries(&self) -> Result<Vec<DeliveryRow>, StoreError> {
        let rows = deliveries::Entity::find().filter(Column::State.eq(DeliveryState::Running.as_str())).all(&self.db).await?;
        rows.into_iter().map(row).collect()
    }

    /// The nearest earlier delivery of the same task to the same destination that a later
    /// incremental one must wait for (see [`DeliveryState::blocks_later`]).
    pub async fn earlier_open_delivery(&self, d: &DeliveryRow) -> Result<Option<DeliveryRow>, StoreError> {
        let blocking: Vec<&str> = DeliveryState::ALL.into_iter().filter(|s| s.blocks_later()).map(DeliveryState::as_str).collect();
        let found = deliveries::Entity::find()
            .filter(Column::TenantId.eq(d.tenant_id))
            .filter(Column::PipelineId.eq(d.pipeline_id))
            .filter(Column::TaskKey.eq(d.task_key.as_str()))
            .filter(Column::Destination.eq(d.destination.as_str()))
            .filter(Column::Id.lt(d.id))
            .filter(Column::State.is_in(blocking))
            .order_by_desc(Column::Id)
            .one(&self.db)
            .await?;
        found.map(row).transpose()
    }

    /// Takes the next attempt of a due delivery: `running` since `now`, one more attempt.
    /// False when it was no longer in the state read (cancelled, or taken by another
    /// leader).
    pub async fn claim_delivery(&self, d: &DeliveryRow, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = deliveries::Entity::update_many()
            .col_expr(Column::State, Expr::value(DeliveryState::Running.as_str()))
            .col_expr(Column::Attempts, Expr::value(i64::from(d.attempts) + 1))
            .col_expr(Column::BlockedBy, Expr::value(Option::<Uuid>::None))
            .col_expr(Column::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(Column::StartedAt, Expr::value(now))
            .filter(Column::Id.eq(d.id))
            .filter(Column::State.eq(d.state.as_str()))
            .filter(Column::Attempts.eq(i64::from(d.attempts)))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Records the earlier delivery a due one waits behind; it is not due again until
    /// that one completes or is cancelled (which wakes it).
    pub async fn set_delivery_blocked(&self, d: &DeliveryRow, by: Uuid) -> Result<(), StoreError> {
        deliveries::Entity::update_many()
            .col_expr(Column::BlockedBy, Expr::value(by))
            .col_expr(Column::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(Column::Id.eq(d.id))
            .filter(Column::State.eq(d.state.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Asks for another attempt now: a failed or cancelled delivery starts over with a
    /// fresh window of `deliver_within`, a retrying one stops waiting. `None` when
    /// absent; `Err(Conflict)` from any other state.
    pub async fn retry_delivery(&self, tenant: Uuid, id: Uuid, now: DateTime<Utc>, deliver_within: std::time::Duration) -> Result<Option<DeliveryRow>, StoreError> {
        let Some(d) = self.get_delivery(tenant, id).await? else { return Ok(None) };
        let allowed = [DeliveryState::Failed, DeliveryState::Cancelled, DeliveryState::Retrying, DeliveryState::Pending];
        if d.mode == "sync" || !allowed.contains(&d.state) {
            return Err(StoreError::Conflict(format!("delivery {id} is {}{}", d.state, if d.mode == "sync" { " and sync: its task delivered it" } else { "" })));
        }
        let mut update = deliveries::Entity::update_many()
            .col_expr(Column::NextAttemptAt, Expr::value(now))
            .filter(Column::Id.eq(id))
            .filter(Column::State.eq(d.state.as_str()));
        if d.state.is_final() {
            update = update
                .col_expr(Column::State, Expr::value(DeliveryState::Pending.as_str()))
                .col_expr(Column::DeliverBy, Expr::value(chrono::Duration::from_std(deliver_within).ok().and_then(|w| now.checked_add_signed(w))))
                .col_expr(Column::FinishedAt, Expr::value(Option::<DateTime<Utc>>::None));
        }
        if update.exec(&self.db).await?.rows_affected != 1 {
            return Err(StoreError::Conflict(format!("delivery {id} changed meanwhile; try again")));
        }
        self.get_delivery(tenant, id).await
    }

    /// Gives a delivery up by hand: it is never attempted again (an attempt out finishes
    /// but its outcome is not recorded), and later incremental deliveries stop waiting
    /// for it. `Err(Conflict)` when it is already delivered or cancelled, or sync.
    pub async fn cancel_delivery(&self, tenant: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<Option<DeliveryRow>, StoreError> {
        let Some(d) = self.get_delivery(tenant, id).await? else { return Ok(None) };
        if d.mode == "sync" || matches!(d.state, DeliveryState::Delivered | DeliveryState::Cancelled) {
            return Err(StoreError::Conflict(format!("delivery {id} is {}{}", d.state, if d.mode == "sync" { " and sync: its task delivered it" } else { "" })));
        }
        let done = deliveries::Entity::update_many()
            .col_expr(Column::State, Expr::value(DeliveryState::Cancelled.as_str()))
            .col_expr(Column::FinishedAt, Expr::value(now))
            .col_expr(Column::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(Column::Id.eq(id))
            .filter(Column::State.eq(d.state.as_str()))
            .exec(&self.db)
            .await?;
        if done.rows_affected != 1 {
            return Err(StoreError::Conflict(format!("delivery {id} changed meanwhile; try again")));
        }
        wake_followers(&self.db, id, now).await?;
        self.get_delivery(tenant, id).await
    }
}

fn model(d: &DeliveryRow) -> deliveries::Model {
    deliveries::Model {
        id: d.id,
        tenant_id: d.tenant_id,
        pipeline_id: d.pipeline_id,
        run_id: d.run_id,
        task_id: d.task_id,
        task_key: d.task_key.clone(),
        dataset: d.dataset.clone(),
        destination: d.destination.clone(),
        mode: d.mode.clone(),
        state: d.state.as_str().to_owned(),
        body: d.body.clone(),
        queue: d.queue.clone(),
        files: i64::try_from(d.files).unwrap_or(i64::MAX),
        bytes: i64::try_from(d.bytes).unwrap_or(i64::MAX),
        result: d.result.clone(),
        attempts: i32::try_from(d.attempts).unwrap_or(i32::MAX),
        last_error: d.last_error.clone(),
        blocked_by: d.blocked_by,
        incremental: d.incremental,
        logical_time: d.logical_time,
        deliver_by: d.deliver_by,
        next_attempt_at: d.next_attempt_at,
        created_at: d.created_at,
        started_at: d.started_at,
        finished_at: d.finished_at,
    }
}

fn row(m: deliveries::Model) -> Result<DeliveryRow, StoreError> {
    Ok(DeliveryRow {
        state: crate::convert::parse_state("delivery", m.id, &m.state)?,
        id: m.id,
        tenant_id: m.tenant_id,
        pipeline_id: m.pipeline_id,
        run_id: m.run_id,
        task_id: m.task_id,
        task_key: m.task_key,
        dataset: m.dataset,
        destination: m.destination,
        mode: m.mode,
        body: m.body,
        queue: m.queue,
        files: u64::try_from(m.files).unwrap_or_default(),
        bytes: u64::try_from(m.bytes).unwrap_or_default(),
        result: m.result,
        attempts: u32::try_from(m.attempts).unwrap_or_default(),
        last_error: m.last_error,
        blocked_by: m.blocked_by,
        incremental: m.incremental,
        logical_time: m.logical_time,
        deliver_by: m.deliver_by,
        next_attempt_at: m.next_attempt_at,
        created_at: m.created_at,
        started_at: m.started_at,
        finished_at: m.finished_at,
    })
}
