//! `notifications`: one row per (event, channel), with its attempts.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub event_seq: i64,
    pub event_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    pub channel_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub channel_name: String,
    pub run_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_answer: Option<String>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
