//! The first schema: tenants, pipelines, runs, tasks and their recorded transitions.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the five tables and their indexes.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Pipelines {
    Table,
    Id,
    TenantId,
    Name,
    Spec,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    Id,
    TenantId,
    PipelineId,
    State,
    Spec,
    CancelRequested,
    Error,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    TenantId,
    RunId,
    Key,
    Kind,
    State,
    Attempt,
    DependsOn,
    Spec,
    Queue,
    Error,
    Result,
    Report,
    FilesTotal,
    FilesDone,
    BytesTotal,
    BytesDone,
    RetryAt,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Transitions {
    Table,
    Id,
    TenantId,
    RunId,
    TaskId,
    FromState,
    ToState,
    Cause,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tenants(manager).await?;
        create_pipelines(manager).await?;
        create_runs(manager).await?;
        create_tasks(manager).await?;
        create_transitions(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Indexes go with their tables.
        for table in [
            Transitions::Table.into_iden(),
            Tasks::Table.into_iden(),
            Runs::Table.into_iden(),
            Pipelines::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_tenants(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Tenants::Table)
                .if_not_exists()
                .col(pk_uuid(Tenants::Id))
                .col(text_uniq(Tenants::Name))
                .col(timestamp_with_time_zone(Tenants::CreatedAt))
                .to_owned(),
        )
        .await
}

async fn create_pipelines(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Pipelines::Table)
                .if_not_exists()
                .col(pk_uuid(Pipelines::Id))
                .col(uuid(Pipelines::TenantId))
                .col(text(Pipelines::Name))
                .col(json(Pipelines::Spec))
                .col(timestamp_with_time_zone(Pipelines::CreatedAt))
                .col(timestamp_with_time_zone(Pipelines::UpdatedAt))
                .to_owned(),
        )
        .await?;
    index(manager, "uq_pipelines_tenant_name", Pipelines::Table, [Pipelines::TenantId, Pipelines::Name], true).await
}

async fn create_runs(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Runs::Table)
                .if_not_exists()
                .col(pk_uuid(Runs::Id))
                .col(uuid(Runs::TenantId))
                .col(uuid(Runs::PipelineId))
                .col(text(Runs::State))
                .col(json(Runs::Spec))
                .col(boolean(Runs::CancelRequested).default(false))
                .col(text_null(Runs::Error))
                .col(timestamp_with_time_zone(Runs::CreatedAt))
                .col(timestamp_with_time_zone_null(Runs::StartedAt))
                .col(timestamp_with_time_zone_null(Runs::FinishedAt))
                .to_owned(),
        )
        .await?;
    index(manager, "idx_runs_tenant_pipeline", Runs::Table, [Runs::TenantId, Runs::PipelineId], false).await?;
    index(manager, "idx_runs_state", Runs::Table, [Runs::State], false).await
}

async fn create_tasks(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Tasks::Table)
                .if_not_exists()
                .col(pk_uuid(Tasks::Id))
                .col(uuid(Tasks::TenantId))
                .col(uuid(Tasks::RunId))
                .col(text(Tasks::Key))
                .col(text(Tasks::Kind))
                .col(text(Tasks::State))
                .col(integer(Tasks::Attempt))
                .col(json(Tasks::DependsOn))
                .col(json(Tasks::Spec))
                .col(text(Tasks::Queue))
                .col(text_null(Tasks::Error))
                .col(json_null(Tasks::Result))
                .col(json_null(Tasks::Report))
                .col(big_integer(Tasks::FilesTotal))
                .col(big_integer(Tasks::FilesDone))
                .col(big_integer(Tasks::BytesTotal))
                .col(big_integer(Tasks::BytesDone))
                .col(timestamp_with_time_zone_null(Tasks::RetryAt))
                .col(timestamp_with_time_zone(Tasks::CreatedAt))
                .col(timestamp_with_time_zone_null(Tasks::StartedAt))
                .col(timestamp_with_time_zone_null(Tasks::FinishedAt))
                .col(timestamp_with_time_zone(Tasks::UpdatedAt))
                .to_owned(),
        )
        .await?;
    index(manager, "idx_tasks_run", Tasks::Table, [Tasks::RunId], false).await?;
    index(manager, "idx_tasks_state", Tasks::Table, [Tasks::State], false).await
}

async fn create_transitions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Transitions::Table)
                .if_not_exists()
                .col(big_pk_auto(Transitions::Id))
                .col(uuid(Transitions::TenantId))
                .col(uuid(Transitions::RunId))
                .col(uuid_null(Transitions::TaskId))
                .col(text_null(Transitions::FromState))
                .col(text(Transitions::ToState))
                .col(text(Transitions::Cause))
                .col(timestamp_with_time_zone(Transitions::At))
                .to_owned(),
        )
        .await?;
    index(manager, "idx_transitions_run", Transitions::Table, [Transitions::RunId], false).await
}

/// Creates a (possibly unique) index unless it already exists.
async fn index<T, C, const N: usize>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: [C; N],
    unique: bool,
) -> Result<(), DbErr>
where
    T: IntoIden,
    C: IntoIden,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table).if_not_exists();
    for column in columns {
        stmt.col(column);
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt.to_owned()).await
}
