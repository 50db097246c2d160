//! Keyset pagination: a cursor is the id of the last item handed out, so pages stay
//! stable while rows are added (no OFFSET drift) and each page is one index range scan.

use crate::{Page, PageRequest, StoreError};
use uuid::Uuid;

/// Items per page when the caller asks for 0.
const DEFAULT_LIMIT: u64 = 50;
/// The most items one page may hold, whatever the caller asks.
const MAX_LIMIT: u64 = 500;

/// A decoded [`PageRequest`].
pub(super) struct Window {
    /// Items come strictly after (or, newest-first, before) this id.
    pub(super) after: Option<Uuid>,
    pub(super) limit: u64,
}

impl Window {
    /// Checks the cursor and clamps the limit.
    pub(super) fn parse(page: &PageRequest) -> Result<Window, StoreError> {
        let after = page
            .cursor
            .as_deref()
            .map(|c| Uuid::parse_str(c).map_err(|_| StoreError::InvalidCursor(c.to_owned())))
            .transpose()?;
        let limit = match page.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        Ok(Window { after, limit })
    }

    /// How many rows to fetch: one more than the page, to learn whether another follows.
    pub(super) fn fetch(&self) -> u64 {
        self.limit + 1
    }

    /// Cuts the fetched rows to a page and sets its cursor when more rows exist.
    pub(super) fn finish<T>(&self, mut items: Vec<T>, id: impl Fn(&T) -> Uuid) -> Page<T> {
        // `limit` is at most MAX_LIMIT, so it fits any usize.
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|item| id(item).to_string())
        } else {
            None
        };
        Page { items, next_cursor }
    }
}
