//! One listed file.

use chrono::{DateTime, Utc};
use object_store::path::Path;

/// One file of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the listed location, `/`-separated, as stored (percent-encoded
    /// where `object_store` encodes).
    pub rel_path: String,
    /// Full path inside the store.
    pub location: Path,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time as the store reports it.
    pub last_modified: DateTime<Utc>,
    /// The store's entity tag, when it has one.
    pub e_tag: Option<String>,
}
