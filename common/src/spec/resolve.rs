//! Rewrites relative local paths in a spec, for `ferry run` where a spec file sits next
//! to its data: paths are read relative to the spec file, as a user expects.

use super::{Location, PipelineSpec, TaskBody};
use crate::location::resolve_relative;
use std::path::Path;

impl PipelineSpec {
    /// Resolves every relative location against `base` (the spec file's folder).
    pub fn resolve_relative_paths(&mut self, base: &Path) {
        let fix = |loc: &mut Location| loc.url = resolve_relative(&loc.url, base);
        for task in &mut self.tasks {
            match &mut task.body {
                TaskBody::Copy(c) => {
                    fix(&mut c.source);
                    c.destinations.iter_mut().for_each(fix);
                }
                TaskBody::Check(c) => {
                    fix(&mut c.source);
                    fix(&mut c.target);
                }
                TaskBody::Noop(_) => {}
            }
        }
    }
}
