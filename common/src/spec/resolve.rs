//! Rewrites relative local paths in a spec, for `ferry run` where a spec file sits next
//! to its data: paths are read relative to the spec file, as a user expects.

use super::PipelineSpec;
use crate::location::resolve_relative;
use std::path::Path;

impl PipelineSpec {
    /// Resolves every relative location against `base` (the spec file's folder), those of
    /// conditions included.
    pub fn resolve_relative_paths(&mut self, base: &Path) {
        for task in &mut self.tasks {
            for url in task.urls_mut() {
                *url = resolve_relative(url, base);
            }
        }
    }
}
