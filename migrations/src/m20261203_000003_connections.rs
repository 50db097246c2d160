//! Connections stored per tenant: the non-secret options in clear, the secret fields as
//! one AES-256-GCM blob tagged with the id of the master key that sealed it.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `connections`, unique by (tenant, name).
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Connections {
    Table,
    Id,
    TenantId,
    Name,
    Kind,
    Options,
    Secrets,
    SecretNames,
    KeyId,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Connections::Table)
                    .if_not_exists()
                    .col(pk_uuid(Connections::Id))
                    .col(uuid(Connections::TenantId))
                    .col(text(Connections::Name))
                    .col(text(Connections::Kind))
                    .col(json(Connections::Options))
                    .col(text_null(Connections::Secrets))
                    .col(json(Connections::SecretNames))
                    .col(text_null(Connections::KeyId))
                    .col(timestamp_with_time_zone(Connections::CreatedAt))
                    .col(timestamp_with_time_zone(Connections::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_connections_tenant_name")
                    .table(Connections::Table)
                    .col(Connections::TenantId)
                    .col(Connections::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Connections::Table).if_exists().to_owned()).await
    }
}
