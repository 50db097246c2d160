//! Include/exclude patterns: globs over relative paths, `*` not crossing `/`.

use crate::error::WorkerError;
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

/// Compiled include/exclude patterns.
#[derive(Debug, Clone)]
pub struct Filter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl Filter {
    /// Compiles the patterns; an empty `include` admits every path.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, WorkerError> {
        Ok(Self {
            include: build_set(include)?,
            exclude: build_set(exclude)?,
        })
    }

    /// A filter admitting everything.
    pub fn all() -> Self {
        Self {
            include: None,
            exclude: None,
        }
    }

    /// Whether `rel_path` is included and not excluded. Ferry's own entries
    /// ([`is_ferry_own`]) never are: they are never data.
    pub fn matches(&self, rel_path: &str) -> bool {
        !is_ferry_own(rel_path)
            && self.include.as_ref().is_none_or(|s| s.is_match(rel_path))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(rel_path))
    }
}

/// Whether a relative path is inside (or is) one of Ferry's own entries: a path segment
/// starting with `.ferry` (`.ferry/` holds a sync's baseline and a migration's records,
/// `.ferry-versions/` the replaced versions). These are never copied, synced, compared or
/// deleted as data.
pub fn is_ferry_own(rel_path: &str) -> bool {
    rel_path.split('/').any(|segment| segment.starts_with(".ferry"))
}

fn build_set(patterns: &[String]) -> Result<Option<GlobSet>, WorkerError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let glob_err = |source| WorkerError::Glob {
            pattern: p.clone(),
            source,
        };
        let glob: Glob = GlobBuilder::new(p)
            .literal_separator(true)
            .build()
            .map_err(glob_err)?;
        b.add(glob);
    }
    b.build().map(Some).map_err(|source| WorkerError::Glob {
        pattern: patterns.join(", "),
        source,
    })
}
