//! `arrivals`: the file-arrival seen-set, one row per object a trigger has seen.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "arrivals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub pipeline_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub trigger_index: i32,
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub path: String,
    pub size: i64,
    #[sea_orm(column_type = "Text")]
    pub tag: String,
    pub changed_at: DateTimeUtc,
    pub fired: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
