//! `portal_sessions`: signed-in portal browsers, by a hash of their cookie's id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "portal_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id_hash: String,
    pub tenant_id: Uuid,
    pub key_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub role: String,
    pub operator: bool,
    #[sea_orm(column_type = "Text")]
    pub csrf: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
