//! Second pass: the spec's meaning. Pure (no I/O), reports every problem at once.

use super::{PipelineSpec, SpecProblem, ValidationContext};
use crate::conditions::{ConditionSlot, check_conditions};
use crate::dag;
use crate::kinds::KindCheck;
use crate::spec::TaskSpec;
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
        check_task_policies(task, &mut check);
    }

    for (path, schedule) in spec.all_schedules() {
        if let Err(found) = schedule.compile() {
            for p in found {
                problems.push(SpecProblem::new(format!("{path}.{}", p.field()), p.message().to_string()));
            }
        }
    }
    for (i, trigger) in spec.triggers.iter().enumerate() {
        trigger.validate(&mut KindCheck::new(format!("triggers[{i}]"), ctx, &mut problems));
    }
    crate::notify::check_rules(&spec.notify, ctx.channels.as_ref(), &mut problems);
    if let Some(alerts) = &spec.alerts {
        alerts.check(&mut problems);
    }
    if spec.schedule.is_some() && !spec.schedules.is_empty() {
        problems.push(SpecProblem::new("schedules", "give either `schedule` or `schedules`, not both"));
    }

    let graph = spec.graph();
    let mut incoming: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in &graph.edges {
        incoming.entry(e.to.as_str()).or_default().push(e.from.as_str());
    }
    let edges: Vec<(&str, Vec<&str>)> = spec
        .tasks
        .iter()
        .map(|t| (t.id.as_str(), incoming.remove(t.id.as_str()).unwrap_or_default()))
        .collect();
    if let Some(cycle) = dag::find_cycle(&edges) {
        let mut shown = cycle.clone();
        shown.push(cycle[0]);
        let mut message = format!("dependency cycle: {}", shown.join(" → "));
        let inferred: Vec<String> = shown
            .windows(2)
            .filter_map(|pair| {
                graph
                    .edges
                    .iter()
                    .find(|e| e.from == pair[0] && e.to == pair[1] && e.inferred)
                    .map(|e| format!("`{}` reads {} which `{}` writes", e.to, e.location.as_deref().unwrap_or("?"), e.from))
            })
            .collect();
        if !inferred.is_empty() {
            message.push_str(&format!(
                " (inferred from locations: {}; set `infer: false` on a task, or change a location, to break it)",
                inferred.join("; ")
            ));
        }
        problems.push(SpecProblem::new("tasks", message));
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

/// Checks what every task may carry whatever its kind: conditions and their wait policy.
fn check_task_policies(task: &TaskSpec, check: &mut KindCheck<'_>) {
    check_conditions(&task.pre, "pre", ConditionSlot::Before, check);
    let after = if task.body.as_kind().body_copy_sides().is_some() { ConditionSlot::AfterCopy } else { ConditionSlot::After };
    check_conditions(&task.post, "post", after, check);
    if let Some(wait) = &task.wait {
        if task.gate().is_empty() {
            check.problem("wait", "`wait` sets how `pre` conditions are waited for, and this task has none");
        }
        if wait.poke.0 < std::time::Duration::from_millis(100) {
            check.problem("wait.poke", "must be at least 100ms");
        }
        if wait.poke > wait.timeout {
            check.problem(
                "wait.poke",
                format!(
                    "poke ({}) is longer than timeout ({}); the conditions would be checked once",
                    humantime::format_duration(wait.poke.0),
                    humantime::format_duration(wait.timeout.0)
                ),
            );
        }
    }
}
