//! The checks kinds (and task conditions) share when they validate: locations, connections and
//! globs, reported at the right path. Kinds call these instead of repeating them, so a
//! location is refused with the same sentence whatever kind holds it.

use crate::location::{self, Location};
use crate::problem::{SpecProblem, ValidationContext};

/// One task body being validated: where it sits in the spec, what the world offers
/// (stored connections), and where problems go.
#[derive(Debug)]
pub struct KindCheck<'a> {
    path: String,
    ctx: &'a ValidationContext,
    problems: &'a mut Vec<SpecProblem>,
}

impl<'a> KindCheck<'a> {
    /// A check of the task at `path` (`tasks[3]`).
    pub fn new(path: impl Into<String>, ctx: &'a ValidationContext, problems: &'a mut Vec<SpecProblem>) -> Self {
        Self { path: path.into(), ctx, problems }
    }

    /// The spec path of `field` inside this task (`tasks[3].source`).
    pub fn path_of(&self, field: &str) -> String {
        format!("{}.{field}", self.path)
    }

    /// Reports a problem with `field` (a name, or a path such as `destinations[1]`).
    pub fn problem(&mut self, field: &str, message: impl Into<String>) {
        let path = self.path_of(field);
        self.problems.push(SpecProblem::new(path, message));
    }

    /// Checks a location: a URL some backend serves, no `..` escape, and a connection
    /// that exists.
    pub fn location(&mut self, loc: &Location, field: &str) {
        if let Err(e) = location::parse_location(&loc.url) {
            self.problem(field, e.to_string());
        } else if let Err(why) = self.ctx.file_roots.check_url(&loc.url) {
            self.problem(field, why);
        }
        if let Some(conn) = &loc.connection {
            self.connection(conn, &format!("{field}.connection"));
        }
    }

    /// Checks that a named connection exists.
    pub fn connection(&mut self, conn: &str, field: &str) {
        if !self.ctx.connections.contains(conn) {
            let known = if self.ctx.connections.is_empty() {
                "no connections are; FERRY_CONNECTIONS names the file that defines them".to_string()
            } else {
                let names: Vec<&str> = self.ctx.connections.iter().map(String::as_str).collect();
                format!("defined: {}", names.join(", "))
            };
            self.problem(field, format!("no connection named `{conn}` is defined ({known})"));
        }
    }

    /// Checks that every pattern of `field` is a valid glob.
    pub fn globs(&mut self, globs: &[String], field: &str) {
        for (i, g) in globs.iter().enumerate() {
            if let Err(e) = globset::Glob::new(g) {
                self.problem(&format!("{field}[{i}]"), format!("bad glob `{g}`: {e}"));
            }
        }
    }
}
