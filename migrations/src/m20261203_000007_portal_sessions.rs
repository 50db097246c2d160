//! The portal's sign-in sessions: the browser holds only a random session id in a
//! cookie; the row (found by a hash of that id) says whom it acts for, so a stolen
//! database dump holds no usable cookie and a sign-out or a revoked key ends it at once
//! on every API instance.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `portal_sessions`.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum PortalSessions {
    Table,
    IdHash,
    TenantId,
    KeyId,
    Role,
    Operator,
    Csrf,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PortalSessions::Table)
                    .if_not_exists()
                    .col(text(PortalSessions::IdHash).primary_key())
                    .col(uuid(PortalSessions::TenantId))
                    .col(uuid_null(PortalSessions::KeyId))
                    .col(text(PortalSessions::Role))
                    .col(boolean(PortalSessions::Operator))
                    .col(text(PortalSessions::Csrf))
                    .col(timestamp_with_time_zone(PortalSessions::CreatedAt))
                    .col(timestamp_with_time_zone(PortalSessions::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PortalSessions::Table).if_exists().to_owned()).await
    }
}
