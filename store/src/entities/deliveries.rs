//! `deliveries`: one destination's share of a copy's data, and how getting it there went.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub pipeline_id: Uuid,
    pub run_id: Uuid,
    pub task_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub task_key: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub dataset: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub destination: String,
    #[sea_orm(column_type = "Text")]
    pub mode: String,
    #[sea_orm(column_type = "Text")]
    pub state: String,
    pub body: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub queue: String,
    pub files: i64,
    pub bytes: i64,
    pub result: Option<Json>,
    pub attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub blocked_by: Option<Uuid>,
    pub incremental: bool,
    pub logical_time: DateTimeUtc,
    pub deliver_by: Option<DateTimeUtc>,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
