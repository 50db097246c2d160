//! What conditions, failure classes and lost attempts need stored with a task: what it
//! waits for, the stored deadline of that wait (so it survives a restart or a change of
//! leader), how many attempts it lost to dead workers, and its last failure's class.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds `waiting_for`, `wait_deadline`, `lost` and `failure` to `tasks`.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tasks {
    Table,
    WaitingFor,
    WaitDeadline,
    Lost,
    Failure,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            text_null(Tasks::WaitingFor),
            timestamp_with_time_zone_null(Tasks::WaitDeadline),
            integer(Tasks::Lost).default(0).to_owned(),
            json_null(Tasks::Failure),
        ];
        for mut column in columns {
            manager
                .alter_table(Table::alter().table(Tasks::Table).add_column(&mut column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Tasks::WaitingFor, Tasks::WaitDeadline, Tasks::Lost, Tasks::Failure] {
            manager
                .alter_table(Table::alter().table(Tasks::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
