//! What schedules and triggers need stored: why each run exists (its trigger and logical
//! time), a pipeline's pause and webhook secret, ledger rows of every firing source under
//! one de-duplication key, and the file-arrival seen-set that survives a restart.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds trigger columns to `runs`, `pipelines` and `firings`, and creates `arrivals` and
/// `arrival_watches`.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Runs {
    Table,
    TriggerKind,
    LogicalTime,
    TriggerDetail,
}

#[derive(DeriveIden)]
enum Pipelines {
    Table,
    PausedAt,
    WebhookSecret,
}

#[derive(DeriveIden)]
enum Firings {
    Table,
    PipelineId,
    Source,
    DedupKey,
    Pending,
    Overlap,
}

#[derive(DeriveIden)]
enum Arrivals {
    Table,
    PipelineId,
    TriggerIndex,
    Path,
    Size,
    Tag,
    ChangedAt,
    Fired,
}

#[derive(DeriveIden)]
enum ArrivalWatches {
    Table,
    PipelineId,
    TriggerIndex,
    Config,
    PolledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let mut alters = vec![
            Table::alter().table(Runs::Table).add_column(text(Runs::TriggerKind).default("manual")).to_owned(),
            Table::alter().table(Runs::Table).add_column(timestamp_with_time_zone_null(Runs::LogicalTime)).to_owned(),
            Table::alter().table(Runs::Table).add_column(json_null(Runs::TriggerDetail)).to_owned(),
            Table::alter().table(Pipelines::Table).add_column(timestamp_with_time_zone_null(Pipelines::PausedAt)).to_owned(),
            Table::alter().table(Pipelines::Table).add_column(text_null(Pipelines::WebhookSecret)).to_owned(),
            Table::alter().table(Firings::Table).add_column(text(Firings::Source).default("schedule")).to_owned(),
            Table::alter().table(Firings::Table).add_column(text_null(Firings::DedupKey)).to_owned(),
            Table::alter().table(Firings::Table).add_column(boolean(Firings::Pending).default(false)).to_owned(),
            Table::alter().table(Firings::Table).add_column(text_null(Firings::Overlap)).to_owned(),
        ];
        for alter in alters.drain(..) {
            manager.alter_table(alter).await?;
        }
        // One key for every source: a schedule's slot, a backfill's slot, a webhook's
        // idempotency key, an upstream run, an arrived object.
        manager.drop_index(Index::drop().name("uq_firings_slot").table(Firings::Table).to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_firings_dedup")
                    .table(Firings::Table)
                    .col(Firings::PipelineId)
                    .col(Firings::DedupKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_firings_pending").table(Firings::Table).col(Firings::Pending).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Arrivals::Table)
                    .if_not_exists()
                    .col(uuid(Arrivals::PipelineId))
                    .col(integer(Arrivals::TriggerIndex))
                    .col(text(Arrivals::Path))
                    .col(big_integer(Arrivals::Size))
                    .col(text(Arrivals::Tag))
                    .col(timestamp_with_time_zone(Arrivals::ChangedAt))
                    .col(boolean(Arrivals::Fired))
                    .primary_key(Index::create().col(Arrivals::PipelineId).col(Arrivals::TriggerIndex).col(Arrivals::Path))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ArrivalWatches::Table)
                    .if_not_exists()
                    .col(uuid(ArrivalWatches::PipelineId))
                    .col(integer(ArrivalWatches::TriggerIndex))
                    .col(text(ArrivalWatches::Config))
                    .col(timestamp_with_time_zone(ArrivalWatches::PolledAt))
                    .primary_key(Index::create().col(ArrivalWatches::PipelineId).col(ArrivalWatches::TriggerIndex))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ArrivalWatches::Table).if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table(Arrivals::Table).if_exists().to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_firings_pending").table(Firings::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name("uq_firings_dedup").table(Firings::Table).to_owned()).await?;
        let drops = [
            (Firings::Table.into_iden(), Firings::Overlap.into_iden()),
            (Firings::Table.into_iden(), Firings::Pending.into_iden()),
            (Firings::Table.into_iden(), Firings::DedupKey.into_iden()),
            (Firings::Table.into_iden(), Firings::Source.into_iden()),
            (Pipelines::Table.into_iden(), Pipelines::WebhookSecret.into_iden()),
            (Pipelines::Table.into_iden(), Pipelines::PausedAt.into_iden()),
            (Runs::Table.into_iden(), Runs::TriggerDetail.into_iden()),
            (Runs::Table.into_iden(), Runs::LogicalTime.into_iden()),
            (Runs::Table.into_iden(), Runs::TriggerKind.into_iden()),
        ];
        for (table, column) in drops {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
