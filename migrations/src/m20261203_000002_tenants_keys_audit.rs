//! Tenants become real: their allowed file roots and quotas, API keys with roles (only a
//! hash of each secret is stored), and the audit log of every change made through the API.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds `file_roots` and `quotas` to `tenants`; creates `api_keys` and `audit`.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    FileRoots,
    Quotas,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    TenantId,
    Name,
    Role,
    Prefix,
    Hash,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Audit {
    Table,
    Id,
    At,
    TenantId,
    KeyId,
    Action,
    Method,
    Route,
    ObjectId,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for mut column in [json_null(Tenants::FileRoots), json_null(Tenants::Quotas)] {
            manager
                .alter_table(Table::alter().table(Tenants::Table).add_column(&mut column).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .if_not_exists()
                    .col(pk_uuid(ApiKeys::Id))
                    .col(uuid(ApiKeys::TenantId))
                    .col(text(ApiKeys::Name))
                    .col(text(ApiKeys::Role))
                    .col(text_uniq(ApiKeys::Prefix))
                    .col(text(ApiKeys::Hash))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_api_keys_tenant").table(ApiKeys::Table).col(ApiKeys::TenantId).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Audit::Table)
                    .if_not_exists()
                    .col(pk_uuid(Audit::Id))
                    .col(timestamp_with_time_zone(Audit::At))
                    .col(uuid(Audit::TenantId))
                    .col(uuid_null(Audit::KeyId))
                    .col(text(Audit::Action))
                    .col(text(Audit::Method))
                    .col(text(Audit::Route))
                    .col(uuid_null(Audit::ObjectId))
                    .col(integer(Audit::Status))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_audit_tenant").table(Audit::Table).col(Audit::TenantId).col(Audit::Id).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Audit::Table.into_iden(), ApiKeys::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        for column in [Tenants::FileRoots, Tenants::Quotas] {
            manager.alter_table(Table::alter().table(Tenants::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
