//! What a pipeline carries beside its spec: whether it is paused, its webhook secret, and
//! the lookups triggers need (by name within a tenant, by id from an unauthenticated
//! webhook).

use super::{Store, now};
use crate::entities::pipelines::{self, Column};
use crate::{PipelineRow, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

impl Store {
    /// Pauses (`true`) or resumes a pipeline; the row as it is afterwards and when it was
    /// paused before this call (a resume needs it), `None` when absent. Pausing a paused
    /// pipeline keeps its first pause time.
    pub async fn set_paused(&self, tenant: Uuid, id: Uuid, paused: bool) -> Result<Option<(PipelineRow, Option<chrono::DateTime<chrono::Utc>>)>, StoreError> {
        let Some(before) = self.get_pipeline(tenant, id).await? else { return Ok(None) };
        let at = match (paused, before.paused_at) {
            (true, Some(since)) => Some(since),
            (true, None) => Some(now()),
            (false, _) => None,
        };
        pipelines::Entity::update_many()
            .col_expr(Column::PausedAt, Expr::value(at))
            .filter(Column::Id.eq(id))
            .filter(Column::TenantId.eq(tenant))
            .exec(&self.db)
            .await?;
        Ok(Some((PipelineRow { paused_at: at, ..before.clone() }, before.paused_at)))
    }

    /// Stores a pipeline's (sealed) webhook secret; false when the pipeline is absent.
    pub async fn set_webhook_secret(&self, tenant: Uuid, id: Uuid, sealed: &str) -> Result<bool, StoreError> {
        let updated = pipelines::Entity::update_many()
            .col_expr(Column::WebhookSecret, Expr::value(sealed.to_owned()))
            .filter(Column::Id.eq(id))
            .filter(Column::TenantId.eq(tenant))
            .exec(&self.db)
            .await?;
        Ok(updated.rows_affected > 0)
    }

    /// A pipeline by id whatever its tenant, with its sealed webhook secret: a webhook
    /// call names only the pipeline, and its signature is what authenticates it.
    pub async fn pipeline_by_id(&self, id: Uuid) -> Result<Option<(PipelineRow, Option<String>)>, StoreError> {
        let found = pipelines::Entity::find_by_id(id).one(&self.db).await?;
        Ok(found.map(|m| {
            let secret = m.webhook_secret.clone();
            (PipelineRow::from(m), secret)
        }))
    }

    /// A tenant's pipeline by name.
    pub async fn pipeline_named(&self, tenant: Uuid, name: &str) -> Result<Option<PipelineRow>, StoreError> {
        let found = pipelines::Entity::find()
            .filter(Column::TenantId.eq(tenant))
            .filter(Column::Name.eq(name))
            .one(&self.db)
            .await?;
        Ok(found.map(PipelineRow::from))
    }
}
