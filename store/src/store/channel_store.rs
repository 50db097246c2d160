//! A tenant's notification channels (unique name per tenant, sealed secret) and its
//! tenant-wide notification rules.

use super::Store;
use crate::entities::channels::{self, Column};
use crate::entities::notification_rules;
use crate::{ChannelRow, RuleRow, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, SqlErr};
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;

impl Store {
    /// Stores a new channel; `Conflict` when the tenant has one of that name.
    pub async fn create_channel(&self, row: &ChannelRow) -> Result<(), StoreError> {
        channels::Entity::insert(model(row).into_active_model())
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| conflict(e, &row.name))?;
        Ok(())
    }

    /// A tenant's channels, by name.
    pub async fn list_channels(&self, tenant: Uuid) -> Result<Vec<ChannelRow>, StoreError> {
        let rows = channels::Entity::find().filter(Column::TenantId.eq(tenant)).order_by_asc(Column::Name).all(&self.db).await?;
        Ok(rows.into_iter().map(row).collect())
    }

    /// The names a tenant's rules may use.
    pub async fn channel_names(&self, tenant: Uuid) -> Result<BTreeSet<String>, StoreError> {
        Ok(self.list_channels(tenant).await?.into_iter().map(|c| c.name).collect())
    }

    /// One channel of a tenant, by name.
    pub async fn channel_named(&self, tenant: Uuid, name: &str) -> Result<Option<ChannelRow>, StoreError> {
        let found = channels::Entity::find().filter(Column::TenantId.eq(tenant)).filter(Column::Name.eq(name)).one(&self.db).await?;
        Ok(found.map(row))
    }

    /// Channels by id, whatever their tenant (the notifier's delivery loop).
    pub async fn channels_by_ids(&self, ids: &[Uuid]) -> Result<Vec<ChannelRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = channels::Entity::find().filter(Column::Id.is_in(ids.iter().copied())).all(&self.db).await?;
        Ok(rows.into_iter().map(row).collect())
    }

    /// Replaces a channel's kind, config and secret (by tenant and id); false when absent.
    pub async fn update_channel(&self, row: &ChannelRow) -> Result<bool, StoreError> {
        let m = model(row);
        let done = channels::Entity::update_many()
            .col_expr(Column::Kind, Expr::value(m.kind))
            .col_expr(Column::Config, Expr::value(m.config))
            .col_expr(Column::Secret, Expr::value(m.secret))
            .col_expr(Column::UpdatedAt, Expr::value(m.updated_at))
            .filter(Column::Id.eq(row.id))
            .filter(Column::TenantId.eq(row.tenant_id))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected > 0)
    }

    /// Deletes a channel; false when absent.
    pub async fn delete_channel(&self, tenant: Uuid, name: &str) -> Result<bool, StoreError> {
        let done = channels::Entity::delete_many().filter(Column::TenantId.eq(tenant)).filter(Column::Name.eq(name)).exec(&self.db).await?;
        Ok(done.rows_affected > 0)
    }

    /// Stores a tenant-wide rule.
    pub async fn create_rule(&self, rule: &RuleRow) -> Result<(), StoreError> {
        let m = notification_rules::Model {
            id: rule.id,
            tenant_id: rule.tenant_id,
            on: Value::from(rule.on.clone()),
            channels: Value::from(rule.channels.clone()),
            created_at: rule.created_at,
        };
        notification_rules::Entity::insert(m.into_active_model()).exec_without_returning(&self.db).await?;
        Ok(())
    }

    /// A tenant's rules, oldest first.
    pub async fn list_rules(&self, tenant: Uuid) -> Result<Vec<RuleRow>, StoreError> {
        let rows = notification_rules::Entity::find()
            .filter(notification_rules::Column::TenantId.eq(tenant))
            .order_by_asc(notification_rules::Column::CreatedAt)
            .order_by_asc(notification_rules::Column::Id)
            .all(&self.db)
            .await?;
        rows.into_iter().map(rule_row).collect()
    }

    /// Every tenant's rules (the notifier routes for all tenants).
    pub async fn all_rules(&self) -> Result<Vec<RuleRow>, StoreError> {
        let rows = notification_rules::Entity::find().order_by_asc(notification_rules::Column::CreatedAt).all(&self.db).await?;
        rows.into_iter().map(rule_row).collect()
    }

    /// Deletes a rule; false when absent.
    pub async fn delete_rule(&self, tenant: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let done = notification_rules::Entity::delete_many()
            .filter(notification_rules::Column::Id.eq(id))
            .filter(notification_rules::Column::TenantId.eq(tenant))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected > 0)
    }
}

fn model(c: &ChannelRow) -> channels::Model {
    channels::Model {
        id: c.id,
        tenant_id: c.tenant_id,
        name: c.name.clone(),
        kind: c.kind.clone(),
        config: c.config.clone(),
        secret: c.secret.clone(),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

fn row(m: channels::Model) -> ChannelRow {
    ChannelRow {
        id: m.id,
        tenant_id: m.tenant_id,
        name: m.name,
        kind: m.kind,
        config: m.config,
        secret: m.secret,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn rule_row(m: notification_rules::Model) -> Result<RuleRow, StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("notification rule {}: {e}", m.id));
    Ok(RuleRow {
        on: serde_json::from_value(m.on.clone()).map_err(corrupt)?,
        channels: serde_json::from_value(m.channels.clone()).map_err(corrupt)?,
        id: m.id,
        tenant_id: m.tenant_id,
        created_at: m.created_at,
    })
}

fn conflict(err: DbErr, name: &str) -> StoreError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict(format!("a channel named `{name}` already exists")),
        _ => StoreError::Db(err),
    }
}
