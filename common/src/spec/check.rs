//! Checking a spec document, reporting every problem at once.
//!
//! Parsing and validation are two passes, structure then meaning, and the second cannot
//! run on a document the first refused. One round trip per pass is a poor experience (fix
//! an unknown kind, resubmit, only then hear about a dangling `depends_on`), so when the
//! structural pass fails this module also runs the meaning
//! pass over a stand-in document: the same tasks, with each task that did not parse
//! replaced by a `noop` keeping its `id` and `depends_on`. Problems the stand-ins could
//! cause are impossible by construction (a `noop` has no fields to check), so every
//! extra problem reported is a real one.

use super::{PipelineSpec, SpecProblem, ValidationContext, parse_value, validate};
use serde_json::{Map, Value, json};

/// Parses and validates a spec document, or lists every problem found.
pub fn check_value(doc: Value, ctx: &ValidationContext) -> Result<PipelineSpec, Vec<SpecProblem>> {
    check_value_with(doc, ctx, |_| {})
}

/// Like [`check_value`], with `prepare` applied to the parsed spec before validation: the
/// CLI resolves paths relative to the spec file there, so that a relative path is not
/// reported as a problem in either pass.
pub fn check_value_with(
    doc: Value,
    ctx: &ValidationContext,
    prepare: impl Fn(&mut PipelineSpec),
) -> Result<PipelineSpec, Vec<SpecProblem>> {
    // Validation sees what a run would (templates replaced by placeholders); the stored
    // spec keeps the templates, expanded per run.
    let template_problems = crate::template::check(&doc);
    let sampled = crate::template::with_samples(&doc);
    let templated = sampled != doc;
    match parse_value(sampled.clone()) {
        Ok(mut spec) => {
            prepare(&mut spec);
            let mut problems = template_problems;
            problems.extend(validate(&spec, ctx).err().unwrap_or_default());
            if !problems.is_empty() {
                return Err(problems);
            }
            if !templated {
                return Ok(spec);
            }
            let mut raw = parse_value(doc)?;
            prepare(&mut raw);
            Ok(raw)
        }
        Err(mut problems) => {
            problems.extend(template_problems);
            if let Some(mut stand_in) = stand_in(&sampled) {
                prepare(&mut stand_in);
                if let Err(more) = validate(&stand_in, ctx) {
                    for p in more {
                        if !problems.contains(&p) {
                            problems.push(p);
                        }
                    }
                }
            }
            Err(problems)
        }
    }
}

/// The document with every unparsable task replaced by a `noop`, or `None` when even that
/// does not parse (e.g. `tasks` is not a list).
fn stand_in(doc: &Value) -> Option<PipelineSpec> {
    let obj = doc.as_object()?;
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("unnamed")
        .to_owned();
    let tasks = obj.get("tasks")?.as_array()?;
    let fixed: Vec<Value> = tasks
        .iter()
        .enumerate()
        .map(|(i, task)| {
            let probe = json!({"name": "probe", "tasks": [task]});
            if parse_value(probe).is_ok() {
                task.clone()
            } else {
                noop_like(task, i)
            }
        })
        .collect();
    parse_value(json!({"name": name, "tasks": fixed})).ok()
}

/// A `noop` with the task's `id` and `depends_on` when those are well-formed.
fn noop_like(task: &Value, index: usize) -> Value {
    let empty = Map::new();
    let obj = task.as_object().unwrap_or(&empty);
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .map_or_else(|| format!("unparsed-task-{index}"), str::to_owned);
    let depends_on: Vec<Value> = match obj.get("depends_on") {
        Some(Value::Array(deps)) if deps.iter().all(Value::is_string) => deps.clone(),
        _ => Vec::new(),
    };
    json!({"id": id, "kind": "noop", "depends_on": depends_on})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(doc: Value) -> Vec<String> {
        check_value(doc, &ValidationContext::default())
            .unwrap_err()
            .into_iter()
            .map(|p| p.path)
            .collect()
    }

    #[test]
    fn reports_structural_and_semantic_problems_together() {
        let found = paths(json!({"name": "bad", "tasks": [
            {"id": "a", "kind": "teleport"},
            {"id": "b", "kind": "noop", "depends_on": ["ghost"]},
            {"id": "c", "kind": "copy", "source": "ftp://x/y", "destination": "/tmp/z/"}
        ]}));
        for expected in ["tasks[0].kind", "tasks[1].depends_on[0]", "tasks[2].source"] {
            assert!(
                found.iter().any(|p| p == expected),
                "{expected} missing from {found:?}"
            );
        }
    }

    #[test]
    fn a_dependency_on_an_unparsable_task_is_not_reported_as_dangling() {
        let found = paths(json!({"name": "x", "tasks": [
            {"id": "a", "kind": "copy", "source": 5, "destination": "/tmp/z/"},
            {"id": "b", "kind": "noop", "depends_on": ["a"]}
        ]}));
        assert_eq!(found, vec!["tasks[0].source".to_owned()]);
    }

    #[test]
    fn a_valid_spec_passes() {
        let spec = check_value(
            json!({"name": "ok", "tasks": [{"id": "a", "kind": "noop"}]}),
            &ValidationContext::default(),
        )
        .unwrap();
        assert_eq!(spec.name, "ok");
    }
}
