//! Second pass: the spec's meaning. Pure (no I/O), reports every problem at once.

use super::{PipelineSpec, SpecProblem, ValidationContext};
use crate::dag;
use crate::kinds::KindCheck;
use std::collections::HashMap;

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
        let mut check = KindCheck::new(format!("tasks[{i}]"), ctx, &mut problems);
        task.body.as_kind().validate_body(&mut check);
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
