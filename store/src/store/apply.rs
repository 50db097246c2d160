//! The orchestrator's batch write: every run, task and transition it changed in one
//! step, committed in one transaction so a crash never leaves half a step behind.

use super::Store;
use crate::entities::{runs, tasks, transitions};
use crate::{StoreError, WriteBatch};
use sea_orm::sea_query::OnConflict;
use super::rows_per_statement;
use sea_orm::{EntityTrait, IntoActiveModel, Iterable, TransactionTrait};

impl Store {
    /// Upserts the batch's runs and tasks and appends its transitions, atomically.
    pub async fn apply(&self, batch: &WriteBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin().await?;
        for chunk in batch.runs.chunks(rows_per_statement(runs::Column::iter().count())) {
            let models = chunk.iter().map(|r| runs::Model::from(r).into_active_model());
            runs::Entity::insert_many(models)
                .on_conflict(
                    OnConflict::column(runs::Column::Id)
                        .update_columns([
                            runs::Column::State,
                            runs::Column::CancelRequested,
                            runs::Column::Error,
                            runs::Column::StartedAt,
                            runs::Column::FinishedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        for chunk in batch.tasks.chunks(rows_per_statement(tasks::Column::iter().count())) {
            let models = chunk.iter().map(|t| tasks::Model::from(t).into_active_model());
            tasks::Entity::insert_many(models)
                .on_conflict(
                    OnConflict::column(tasks::Column::Id)
                        .update_columns([
                            tasks::Column::State,
                            tasks::Column::Attempt,
                            tasks::Column::Error,
                            tasks::Column::Result,
                            tasks::Column::Report,
                            tasks::Column::FilesTotal,
                            tasks::Column::FilesDone,
                            tasks::Column::BytesTotal,
                            tasks::Column::BytesDone,
                            tasks::Column::RetryAt,
                            tasks::Column::StartedAt,
                            tasks::Column::FinishedAt,
                            tasks::Column::UpdatedAt,
                            tasks::Column::WaitingFor,
                            tasks::Column::WaitDeadline,
                            tasks::Column::Lost,
                            tasks::Column::Failure,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        for chunk in batch.transitions.chunks(rows_per_statement(transitions::Column::iter().count())) {
            let models = chunk.iter().map(transitions::ActiveModel::from);
            transitions::Entity::insert_many(models)
                .exec_without_returning(&txn)
                .await?;
        }
        super::outbox::insert_events(&txn, &batch.events).await?;
        super::dataset_store::upsert_markers(&txn, &batch.markers).await?;
        super::delivery_store::write_deliveries(&txn, &batch.deliveries, &batch.delivery_changes).await?;
        txn.commit().await?;
        Ok(())
    }
}
