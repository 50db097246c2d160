//! What the notifier needs stored: the outbox of events (written in the transaction of
//! the change they report), a tenant's channels and tenant-wide rules, one row per
//! (event, channel) delivery with its attempts, and each role leader's last heartbeat
//! (so the notifier can tell that no orchestrator leads).

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `events`, `channels`, `notification_rules`, `notifications` and `role_beats`.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Seq,
    Id,
    TenantId,
    Kind,
    PipelineId,
    RunId,
    TaskId,
    DedupKey,
    Detail,
    Body,
    CreatedAt,
    RoutedAt,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
    TenantId,
    Name,
    Kind,
    Config,
    Secret,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NotificationRules {
    Table,
    Id,
    TenantId,
    On,
    Channels,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    TenantId,
    EventSeq,
    EventId,
    Kind,
    ChannelId,
    ChannelName,
    RunId,
    State,
    Attempts,
    NextAttemptAt,
    LastAnswer,
    LastAttemptAt,
    DeliveredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoleBeats {
    Table,
    Role,
    Holder,
    BeatAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Events::Seq))
                    .col(uuid_uniq(Events::Id))
                    .col(uuid(Events::TenantId))
                    .col(text(Events::Kind))
                    .col(uuid_null(Events::PipelineId))
                    .col(uuid_null(Events::RunId))
                    .col(uuid_null(Events::TaskId))
                    .col(text_null(Events::DedupKey).unique_key())
                    .col(json(Events::Detail))
                    .col(json_null(Events::Body))
                    .col(timestamp_with_time_zone(Events::CreatedAt))
                    .col(timestamp_with_time_zone_null(Events::RoutedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_events_routed").table(Events::Table).col(Events::RoutedAt).col(Events::Seq).to_owned())
            .await?;
        manager
            .create_index(Index::create().name("ix_events_run").table(Events::Table).col(Events::RunId).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Channels::Table)
                    .if_not_exists()
                    .col(uuid(Channels::Id).primary_key())
                    .col(uuid(Channels::TenantId))
                    .col(text(Channels::Name))
                    .col(text(Channels::Kind))
                    .col(json(Channels::Config))
                    .col(text_null(Channels::Secret))
                    .col(timestamp_with_time_zone(Channels::CreatedAt))
                    .col(timestamp_with_time_zone(Channels::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("uq_channels_name").table(Channels::Table).col(Channels::TenantId).col(Channels::Name).unique().to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationRules::Table)
                    .if_not_exists()
                    .col(uuid(NotificationRules::Id).primary_key())
                    .col(uuid(NotificationRules::TenantId))
                    .col(json(NotificationRules::On))
                    .col(json(NotificationRules::Channels))
                    .col(timestamp_with_time_zone(NotificationRules::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_rules_tenant").table(NotificationRules::Table).col(NotificationRules::TenantId).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .if_not_exists()
                    .col(uuid(Notifications::Id).primary_key())
                    .col(uuid(Notifications::TenantId))
                    .col(big_integer(Notifications::EventSeq))
                    .col(uuid(Notifications::EventId))
                    .col(text(Notifications::Kind))
                    .col(uuid(Notifications::ChannelId))
                    .col(text(Notifications::ChannelName))
                    .col(uuid_null(Notifications::RunId))
                    .col(text(Notifications::State))
                    .col(integer(Notifications::Attempts))
                    .col(timestamp_with_time_zone(Notifications::NextAttemptAt))
                    .col(text_null(Notifications::LastAnswer))
                    .col(timestamp_with_time_zone_null(Notifications::LastAttemptAt))
                    .col(timestamp_with_time_zone_null(Notifications::DeliveredAt))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // The pair (event, channel) is one notification, whoever routes it and however often.
        manager
            .create_index(
                Index::create()
                    .name("uq_notifications_pair")
                    .table(Notifications::Table)
                    .col(Notifications::EventId)
                    .col(Notifications::ChannelId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_notifications_due").table(Notifications::Table).col(Notifications::State).col(Notifications::NextAttemptAt).to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_notifications_run").table(Notifications::Table).col(Notifications::RunId).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleBeats::Table)
                    .if_not_exists()
                    .col(text(RoleBeats::Role).primary_key())
                    .col(text(RoleBeats::Holder))
                    .col(timestamp_with_time_zone(RoleBeats::BeatAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RoleBeats::Table.into_iden(),
            Notifications::Table.into_iden(),
            NotificationRules::Table.into_iden(),
            Channels::Table.into_iden(),
            Events::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
