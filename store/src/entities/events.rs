//! `events`: the outbox. A row is written in the transaction of the change it reports;
//! the notifier routes it once (`routed_at`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    #[sea_orm(unique)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    pub pipeline_id: Option<Uuid>,
    pub run_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable, unique)]
    pub dedup_key: Option<String>,
    pub detail: Json,
    pub body: Option<Json>,
    pub created_at: DateTimeUtc,
    pub routed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
