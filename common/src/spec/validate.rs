//! Second pass: the spec's meaning. Pure (no I/O), reports every problem at once.

use super::{Location, PipelineSpec, SpecProblem, TaskBody};
use crate::{dag, location};
use std::collections::{BTreeSet, HashMap};

/// What validation needs to know about the world, passed in so validation stays pure.
#[derive(Debug, Clone, Default)]
pub struct ValidationContext {
    /// Names of the stored connections a location may refer to.
    pub connections: BTreeSet<String>,
}

/// Checks ids, dependencies, cycles, locations and globs.
pub fn validate(spec: &PipelineSpec, ctx: &ValidationContext) -> Result<(), Vec<SpecProblem>> {
    let mut problems = Vec::new();
    check_name(&spec.name, "name", "pipeline name", &mut problems);
    if spec.tasks.is_empty() {
        problems.push(SpecProblem::new("tasks", "a pipeline needs at least one task"));
    }

    let mut first_index: HashMap<&str, usize> = HashMap::new();
    for (i, task) in spec.tasks.iter().enumerate() {
        let path = format!("tasks[{i}]");
        check_name(&task.id, &format!("{path}.id"), "task id", &mut problems);
        if let Some(first) = first_index.insert(task.id.as_str(), i) {
            first_index.insert(task.id.as_str(), first);
            problems.push(SpecProblem::new(
                format!("{path}.id"),
                format!("duplicate task id `{}` (first used by tasks[{first}])", task.id),
            ));
        }
    }
    for (i, task) in spec.tasks.iter().enumerate() {
        for (j, dep) in task.depends_on.iter().enumerate() {
            let path = format!("tasks[{i}].depends_on[{j}]");
            if dep == &task.id {
                problems.push(SpecProblem::new(path, format!("task `{dep}` depends on itself")));
            } else if !first_index.contains_key(dep.as_str()) {
                problems.push(SpecProblem::new(path, format!("depends on unknown task `{dep}`")));
            }
        }
        check_body(&task.body, &format!("tasks[{i}]"), ctx, &mut problems);
    }

    let edges: Vec<(&str, Vec<&str>)> = spec
        .tasks
        .iter()
        .map(|t| (t.id.as_str(), t.depends_on.iter().map(String::as_str).collect()))
        .collect();
    if let Some(cycle) = dag::find_cycle(&edges) {
        let mut shown = cycle.clone();
        shown.push(cycle[0]);
        problems.push(SpecProblem::new(
            "tasks",
            format!("dependency cycle: {}", shown.join(" → ")),
        ));
    }

    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

fn check_name(name: &str, path: &str, what: &str, problems: &mut Vec<SpecProblem>) {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if name.is_empty() || name.len() > 128 || !ok_chars {
        problems.push(SpecProblem::new(
            path,
            format!("{what} `{name}` must be 1 to 128 characters of letters, digits, `-`, `_` or `.`"),
        ));
    }
}

fn check_body(body: &TaskBody, path: &str, ctx: &ValidationContext, problems: &mut Vec<SpecProblem>) {
    match body {
        TaskBody::Copy(copy) => {
            check_location(&copy.source, &format!("{path}.source"), ctx, problems);
            if copy.destinations.is_empty() {
                problems.push(SpecProblem::new(
                    format!("{path}.destinations"),
                    "a copy needs at least one destination",
                ));
            }
            for (j, dest) in copy.destinations.iter().enumerate() {
                let dpath = format!("{path}.destinations[{j}]");
                check_location(dest, &dpath, ctx, problems);
                if dest.url.trim_end_matches('/') == copy.source.url.trim_end_matches('/') {
                    problems.push(SpecProblem::new(dpath, "destination is the same as the source"));
                }
            }
            if copy.max_delete.is_some() && !copy.delete_extraneous {
                problems.push(SpecProblem::new(
                    format!("{path}.max_delete"),
                    "max_delete limits deletions, and this copy deletes nothing; add `delete_extraneous: true` or remove it",
                ));
            }
            check_globs(&copy.include, &format!("{path}.include"), problems);
            check_globs(&copy.exclude, &format!("{path}.exclude"), problems);
        }
        TaskBody::Check(check) => {
            check_location(&check.source, &format!("{path}.source"), ctx, problems);
            check_location(&check.target, &format!("{path}.target"), ctx, problems);
            check_globs(&check.include, &format!("{path}.include"), problems);
            check_globs(&check.exclude, &format!("{path}.exclude"), problems);
        }
        TaskBody::Noop(_) => {}
    }
}

fn check_location(loc: &Location, path: &str, ctx: &ValidationContext, problems: &mut Vec<SpecProblem>) {
    if let Err(e) = location::parse_location(&loc.url) {
        problems.push(SpecProblem::new(path, e.to_string()));
    }
    if let Some(conn) = &loc.connection
        && !ctx.connections.contains(conn)
    {
        problems.push(SpecProblem::new(
            format!("{path}.connection"),
            format!(
                "no connection named `{conn}` is defined ({})",
                if ctx.connections.is_empty() {
                    "no connections are; FERRY_CONNECTIONS names the file that defines them".to_string()
                } else {
                    format!("defined: {}", ctx.connections.iter().cloned().collect::<Vec<_>>().join(", "))
                }
            ),
        ));
    }
}

fn check_globs(globs: &[String], path: &str, problems: &mut Vec<SpecProblem>) {
    for (i, g) in globs.iter().enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            problems.push(SpecProblem::new(format!("{path}[{i}]"), format!("bad glob `{g}`: {e}")));
        }
    }
}
