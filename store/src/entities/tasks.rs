//! `tasks`: the nodes of a run's DAG, with their progress counters.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub run_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub key: String,
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub state: String,
    pub attempt: i32,
    pub depends_on: Json,
    pub spec: Json,
    #[sea_orm(column_type = "Text")]
    pub queue: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub result: Option<Json>,
    pub report: Option<Json>,
    pub files_total: i64,
    pub files_done: i64,
    pub bytes_total: i64,
    pub bytes_done: i64,
    pub retry_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub waiting_for: Option<String>,
    pub wait_deadline: Option<DateTimeUtc>,
    pub lost: i32,
    pub failure: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
