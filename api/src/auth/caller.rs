//! The identity a request acts as, and the checks handlers make with it.

use super::Role;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ferry_store::DEFAULT_TENANT;
use uuid::Uuid;

/// Who is calling, set by [`super::authenticate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The tenant every read and write is scoped to.
    pub(crate) tenant: Uuid,
    /// The key used; `None` for the operator.
    pub(crate) key_id: Option<Uuid>,
    pub(crate) role: Role,
    /// The operator (`FERRY_ADMIN_KEY`): an admin of the `default` tenant who also
    /// manages tenants and may act for any tenant where a route says so.
    pub(crate) operator: bool,
}

impl Caller {
    /// The operator, acting on the `default` tenant as the single admin key always did.
    pub(crate) fn operator() -> Self {
        Caller { tenant: DEFAULT_TENANT, key_id: None, role: Role::Admin, operator: true }
    }

    /// A tenant key.
    pub(crate) fn tenant_key(tenant: Uuid, key_id: Uuid, role: Role) -> Self {
        Caller { tenant, key_id: Some(key_id), role, operator: false }
    }

    /// `403` unless the caller's role is at least `role`.
    pub(crate) fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this key's role is `{}`; this request needs `{}` or higher",
                self.role.as_str(),
                role.as_str()
            )))
        }
    }

    /// `403` unless the caller is the operator.
    pub(crate) fn require_operator(&self) -> Result<(), ApiError> {
        if self.operator {
            Ok(())
        } else {
            Err(ApiError::Forbidden("only the operator's key (FERRY_ADMIN_KEY) may do this".into()))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().copied().ok_or_else(ApiError::missing_key)
    }
}
