//! `transitions`: the append-only history of state changes, ordered by `id`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "transitions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Uuid,
    pub run_id: Uuid,
    pub task_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub from_state: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub to_state: String,
    #[sea_orm(column_type = "Text")]
    pub cause: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
