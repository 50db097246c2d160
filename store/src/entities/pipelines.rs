//! `pipelines`: stored pipeline definitions, unique by (tenant, name).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pipelines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    pub spec: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub paused_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub webhook_secret: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
