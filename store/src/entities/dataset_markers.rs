//! `dataset_markers`: the last delivery of each dataset to each destination.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dataset_markers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub dataset: String,
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub destination: String,
    pub delivered_at: DateTimeUtc,
    pub pipeline_id: Uuid,
    pub run_id: Uuid,
    pub task_id: Uuid,
    pub logical_time: DateTimeUtc,
    pub position: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
