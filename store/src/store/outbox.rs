//! The outbox and what the notifier does with it.
//!
//! Events are appended in the transaction of the change they report (the orchestrator's
//! batch, the scheduler's ledger) or by the notifier's own detectors, each at most once
//! per `dedup_key`. Routing marks an event `routed_at` and creates its notifications, in
//! one transaction: a notifier that dies half-way routes the event again and the unique
//! (event, channel) pair keeps the second copy out.
//!
//! The outbox is read by "not routed yet", not by a high-water mark of `seq`: sequence
//! numbers are handed out when a row is inserted, not when its transaction commits, so
//! an event of a slow transaction can become visible after a later one, and a cursor
//! past it would never see it.

use super::page::Window;
use super::{CHUNK, Store, rows_per_statement};
use crate::entities::{events, notifications, role_beats};
use crate::{AttemptRecord, EventRow, NewEvent, NotificationFilter, NotificationRow, NotificationState, Page, PageRequest, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Iterable, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use serde_json::Value;
use uuid::Uuid;

/// Appends `events` on `conn` (a transaction or the pool); one already stored under the
/// same `dedup_key` is skipped.
pub(super) async fn insert_events<C: ConnectionTrait>(conn: &C, events: &[NewEvent]) -> Result<(), StoreError> {
    for chunk in events.chunks(rows_per_statement(events::Column::iter().count())) {
        let models = chunk.iter().map(|e| events::ActiveModel {
            seq: sea_orm::ActiveValue::NotSet,
            id: sea_orm::ActiveValue::Set(e.id),
            tenant_id: sea_orm::ActiveValue::Set(e.tenant_id),
            kind: sea_orm::ActiveValue::Set(e.kind.as_str().to_string()),
            pipeline_id: sea_orm::ActiveValue::Set(e.pipeline_id),
            run_id: sea_orm::ActiveValue::Set(e.run_id),
            task_id: sea_orm::ActiveValue::Set(e.task_id),
            dedup_key: sea_orm::ActiveValue::Set(e.dedup_key.clone()),
            detail: sea_orm::ActiveValue::Set(e.detail.clone()),
            body: sea_orm::ActiveValue::Set(None),
            created_at: sea_orm::ActiveValue::Set(e.at),
            routed_at: sea_orm::ActiveValue::Set(None),
        });
        events::Entity::insert_many(models)
            .on_conflict(OnConflict::column(events::Column::DedupKey).do_nothing().to_owned())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// The `schedule.missed` event of a ledger entry that did not start a run (`missed_*`,
/// `skipped_overlap`), keyed by the entry and its outcome so a firing settled twice
/// says so once per outcome.
pub(super) fn missed_event(firing: &crate::FiringRow) -> Option<NewEvent> {
    let missed = firing.outcome.starts_with("missed_") || firing.outcome == "skipped_overlap";
    if !missed || firing.pending {
        return None;
    }
    Some(NewEvent {
        id: Uuid::now_v7(),
        tenant_id: firing.tenant_id,
        kind: ferry_common::notify::EventKind::ScheduleMissed,
        pipeline_id: Some(firing.pipeline_id),
        run_id: None,
        task_id: None,
        dedup_key: Some(format!("schedule.missed:{}:{}", firing.id, firing.outcome)),
        detail: serde_json::json!({
            "outcome": firing.outcome,
            "source": firing.source,
            "slot": firing.slot,
            "detail": firing.detail,
        }),
        at: firing.created_at,
    })
}

impl Store {
    /// Appends events outside any other change (the notifier's detectors, a channel
    /// test); one whose `dedup_key` is stored already is skipped.
    pub async fn emit_events(&self, events: &[NewEvent]) -> Result<(), StoreError> {
        insert_events(&self.db, events).await
    }

    /// The oldest events not routed yet.
    pub async fn unrouted_events(&self, limit: u64) -> Result<Vec<EventRow>, StoreError> {
        let rows = events::Entity::find()
            .filter(events::Column::RoutedAt.is_null())
            .order_by_asc(events::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(event_row).collect())
    }

    /// Events by id (what a notification is about).
    pub async fn events_by_ids(&self, ids: &[Uuid]) -> Result<Vec<EventRow>, StoreError> {
        let mut all = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let rows = events::Entity::find().filter(events::Column::Id.is_in(chunk.iter().copied())).all(&self.db).await?;
            all.extend(rows.into_iter().map(event_row));
        }
        Ok(all)
    }

    /// Marks events routed with the document each sends, and stores their notifications,
    /// in one transaction. A pair stored already (a routing that died before it marked
    /// the event) is kept as it is.
    pub async fn route_events(&self, routed: &[(i64, Value)], notes: &[NotificationRow], at: DateTime<Utc>) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        for chunk in notes.chunks(rows_per_statement(notifications::Column::iter().count())) {
            let models = chunk.iter().map(|n| notification_model(n).into_active_model());
            notifications::Entity::insert_many(models)
                .on_conflict(OnConflict::columns([notifications::Column::EventId, notifications::Column::ChannelId]).do_nothing().to_owned())
                .exec_without_returning(&txn)
                .await?;
        }
        // One statement per chunk: `body = CASE WHEN seq = … THEN … END`, not one per
        // event. No ELSE: the filter keeps to the chunk's rows, each with its WHEN (and an
        // ELSE of the column would mix json with the parameters' jsonb on Postgres).
        for chunk in routed.chunks(CHUNK) {
            let case = chunk
                .iter()
                .fold(CaseStatement::new(), |case, (seq, body)| case.case(events::Column::Seq.eq(*seq), Expr::value(body.clone())));
            events::Entity::update_many()
                .col_expr(events::Column::RoutedAt, Expr::value(at))
                .col_expr(events::Column::Body, case.into())
                .filter(events::Column::Seq.is_in(chunk.iter().map(|(seq, _)| *seq)))
                // A body once fixed stays: a second router does not rewrite it.
                .filter(events::Column::RoutedAt.is_null())
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Notifications due for an attempt (`pending`, or `retrying` whose time came),
    /// oldest due first, leaving out `busy` (attempts under way) and the channels in
    /// `full` (no room for another call), so a channel with a long backlog does not fill
    /// the page and starve the others.
    pub async fn due_notifications(&self, now: DateTime<Utc>, busy: &[Uuid], full: &[Uuid], limit: u64) -> Result<Vec<NotificationRow>, StoreError> {
        let mut query = notifications::Entity::find()
            .filter(notifications::Column::State.is_in([NotificationState::Pending.as_str(), NotificationState::Retrying.as_str()]))
            .filter(notifications::Column::NextAttemptAt.lte(now));
        if !full.is_empty() {
            query = query.filter(notifications::Column::ChannelId.is_not_in(full.iter().copied()));
        }
        if !busy.is_empty() && busy.len() <= CHUNK {
            query = query.filter(notifications::Column::Id.is_not_in(busy.iter().copied()));
        }
        let rows = query.order_by_asc(notifications::Column::NextAttemptAt).limit(limit + busy.len() as u64).all(&self.db).await?;
        let rows: Vec<NotificationRow> = rows.into_iter().map(notification_row).collect::<Result<_, _>>()?;
        Ok(rows.into_iter().filter(|n| !busy.contains(&n.id)).take(limit as usize).collect())
    }

    /// Claims a due notification for one attempt: pushes its `next_attempt_at` to
    /// `until` if it is still due and still at `attempts`, so a second notifier (a
    /// leader that has not noticed it lost its lease) cannot send it too. False when
    /// someone else has it or has recorded it. A claimer that dies leaves it due again
    /// at `until`.
    pub async fn claim_notification(&self, id: Uuid, attempts: u32, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = notifications::Entity::update_many()
            .col_expr(notifications::Column::NextAttemptAt, Expr::value(until))
            .filter(notifications::Column::Id.eq(id))
            .filter(notifications::Column::Attempts.eq(i32::try_from(attempts).unwrap_or(i32::MAX)))
            .filter(notifications::Column::State.is_in([NotificationState::Pending.as_str(), NotificationState::Retrying.as_str()]))
            .filter(notifications::Column::NextAttemptAt.lte(now))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Records an attempt's outcome. Written before the notifier moves on: a pair is
    /// sent again only if the notifier died between the answer and this write. Fenced
    /// by the attempt count: a record of attempt `n` lands only on a row still at
    /// `n - 1` attempts, so a stale notifier cannot overwrite a newer outcome.
    pub async fn record_attempt(&self, rec: &AttemptRecord) -> Result<(), StoreError> {
        let delivered = (rec.state == NotificationState::Delivered).then_some(rec.at);
        notifications::Entity::update_many()
            .col_expr(notifications::Column::State, Expr::value(rec.state.as_str()))
            .col_expr(notifications::Column::Attempts, Expr::value(i32::try_from(rec.attempts).unwrap_or(i32::MAX)))
            .col_expr(notifications::Column::NextAttemptAt, Expr::value(rec.next_attempt_at))
            .col_expr(notifications::Column::LastAnswer, Expr::value(rec.answer.clone()))
            .col_expr(notifications::Column::LastAttemptAt, Expr::value(rec.at))
            .col_expr(notifications::Column::DeliveredAt, Expr::value(delivered))
            .filter(notifications::Column::Id.eq(rec.id))
            .filter(notifications::Column::Attempts.eq(i32::try_from(rec.attempts.saturating_sub(1)).unwrap_or(i32::MAX)))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// A tenant's notifications, oldest first, filtered.
    pub async fn list_notifications(&self, tenant: Uuid, filter: &NotificationFilter, page: &PageRequest) -> Result<Page<NotificationRow>, StoreError> {
        let window = Window::parse(page)?;
        let mut query = notifications::Entity::find().filter(notifications::Column::TenantId.eq(tenant));
        if let Some(state) = filter.state {
            query = query.filter(notifications::Column::State.eq(state.as_str()));
        }
        if let Some(channel) = &filter.channel {
            query = query.filter(notifications::Column::ChannelName.eq(channel.as_str()));
        }
        if let Some(run) = filter.run_id {
            query = query.filter(notifications::Column::RunId.eq(run));
        }
        if let Some(after) = window.after {
            query = query.filter(notifications::Column::Id.gt(after));
        }
        let rows = query.order_by_asc(notifications::Column::Id).limit(window.fetch()).all(&self.db).await?;
        let rows = rows.into_iter().map(notification_row).collect::<Result<Vec<_>, _>>()?;
        Ok(window.finish(rows, |n: &NotificationRow| n.id))
    }

    /// Forgets what is over and older than `before`: delivered and failed notifications
    /// created before it, then routed events with no notification left. Pending and
    /// retrying ones stay, however old. How many rows of each went.
    pub async fn prune_notifications(&self, before: DateTime<Utc>) -> Result<(u64, u64), StoreError> {
        let notes = notifications::Entity::delete_many()
            .filter(notifications::Column::State.is_in([NotificationState::Delivered.as_str(), NotificationState::Failed.as_str()]))
            .filter(notifications::Column::CreatedAt.lt(before))
            .exec(&self.db)
            .await?;
        let referenced = Query::select().column(notifications::Column::EventId).from(notifications::Entity).to_owned();
        let events = events::Entity::delete_many()
            .filter(events::Column::RoutedAt.lt(before))
            .filter(events::Column::Id.not_in_subquery(referenced))
            .exec(&self.db)
            .await?;
        Ok((notes.rows_affected, events.rows_affected))
    }

    /// Records that `holder` leads `role` now (the orchestrator, each time it renews its
    /// lease), so other roles can tell from the database alone that nobody leads.
    pub async fn beat_role(&self, role: &str, holder: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let m = role_beats::Model { role: role.to_string(), holder: holder.to_string(), beat_at: at };
        role_beats::Entity::insert(m.into_active_model())
            .on_conflict(OnConflict::column(role_beats::Column::Role).update_columns([role_beats::Column::Holder, role_beats::Column::BeatAt]).to_owned())
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Who last led `role`, and when they last said so.
    pub async fn last_beat(&self, role: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let found = role_beats::Entity::find_by_id(role.to_string()).one(&self.db).await?;
        Ok(found.map(|m| (m.holder, m.beat_at)))
    }
}

fn event_row(m: events::Model) -> EventRow {
    EventRow {
        seq: m.seq,
        id: m.id,
        tenant_id: m.tenant_id,
        kind: m.kind,
        pipeline_id: m.pipeline_id,
        run_id: m.run_id,
        task_id: m.task_id,
        dedup_key: m.dedup_key,
        detail: m.detail,
        body: m.body,
        created_at: m.created_at,
        routed_at: m.routed_at,
    }
}

fn notification_model(n: &NotificationRow) -> notifications::Model {
    notifications::Model {
        id: n.id,
        tenant_id: n.tenant_id,
        event_seq: n.event_seq,
        event_id: n.event_id,
        kind: n.kind.clone(),
        channel_id: n.channel_id,
        channel_name: n.channel_name.clone(),
        run_id: n.run_id,
        state: n.state.as_str().to_string(),
        attempts: i32::try_from(n.attempts).unwrap_or(i32::MAX),
        next_attempt_at: n.next_attempt_at,
        last_answer: n.last_answer.clone(),
        last_attempt_at: n.last_attempt_at,
        delivered_at: n.delivered_at,
        created_at: n.created_at,
    }
}

fn notification_row(m: notifications::Model) -> Result<NotificationRow, StoreError> {
    Ok(NotificationRow {
        state: NotificationState::parse(&m.state).ok_or_else(|| StoreError::Corrupt(format!("notification {}: unknown state `{}`", m.id, m.state)))?,
        attempts: u32::try_from(m.attempts).map_err(|_| StoreError::Corrupt(format!("notification {}: negative attempts", m.id)))?,
        id: m.id,
        tenant_id: m.tenant_id,
        event_seq: m.event_seq,
        event_id: m.event_id,
        kind: m.kind,
        channel_id: m.channel_id,
        channel_name: m.channel_name,
        run_id: m.run_id,
        next_attempt_at: m.next_attempt_at,
        last_answer: m.last_answer,
        last_attempt_at: m.last_attempt_at,
        delivered_at: m.delivered_at,
        created_at: m.created_at,
    })
}
