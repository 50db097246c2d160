//! Cursor pagination: `?cursor=&limit=` in, `{items, next_cursor}` out.
//!
//! Cursors (not offsets) because lists grow while people page through them: a cursor is
//! the last id handed out, so no item is skipped or shown twice when runs are added
//! between two requests. Cursors are opaque to clients; pass `next_cursor` back as is.

use crate::error::ApiError;
use ferry_store::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;

/// Items per page when `limit` is not given.
pub(crate) const DEFAULT_LIMIT: u64 = 50;
/// The most items a page holds; a larger `limit` is lowered to this.
pub(crate) const MAX_LIMIT: u64 = 500;

/// The query parameters of a paginated list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// `next_cursor` of the previous page; omit for the first page.
    #[param(pattern = r"^([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})?$")]
    pub(crate) cursor: Option<String>,
    /// Items per page, at least 1 (default 50); larger values than 500 are answered with 500.
    #[param(minimum = 1)]
    pub(crate) limit: Option<i32>,
}

impl PageQuery {
    /// Checks the limit and builds the store's page request.
    pub(crate) fn to_request(&self) -> Result<PageRequest, ApiError> {
        page_request(self.cursor.as_deref(), self.limit)
    }
}

/// Builds a page request from raw parameters; an empty cursor means the first page.
pub(crate) fn page_request(
    cursor: Option<&str>,
    limit: Option<i32>,
) -> Result<PageRequest, ApiError> {
    // Zero and negative numbers become 0, which is refused below.
    let limit = match limit.map(|n| u64::try_from(n).unwrap_or(0)) {
        None => DEFAULT_LIMIT,
        Some(0) => {
            return Err(ApiError::BadRequest(format!(
                "`limit` must be between 1 and {MAX_LIMIT}"
            )));
        }
        Some(n) => n.min(MAX_LIMIT),
    };
    let cursor = cursor.filter(|c| !c.is_empty()).map(str::to_owned);
    Ok(PageRequest { cursor, limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_defaulted_checked_and_capped() {
        assert_eq!(page_request(None, None).unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(page_request(None, Some(7)).unwrap().limit, 7);
        assert_eq!(page_request(None, Some(10_000)).unwrap().limit, MAX_LIMIT);
        assert!(page_request(None, Some(0)).is_err());
        assert_eq!(page_request(Some(""), None).unwrap().cursor, None);
        assert_eq!(
            page_request(Some("abc"), None).unwrap().cursor.as_deref(),
            Some("abc")
        );
    }
}
