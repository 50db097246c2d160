//! First pass: raw document → typed spec, collecting every structural problem.

use super::{HumanDuration, PipelineSpec, RetryPolicy, SpecProblem, TaskSpec};
use crate::conditions::{Condition, TriggerRule, WaitPolicy};
use crate::kinds::{KIND_NAMES, find_kind, registry_typed as typed};
use serde_json::{Map, Value};

/// Top-level fields of a pipeline.
const PIPELINE_FIELDS: &[&str] = &["name", "description", "defaults", "bandwidth", "schedule", "schedules", "triggers", "notify", "alerts", "tasks"];
/// Fields of `defaults`.
const DEFAULTS_FIELDS: &[&str] = &["retries", "timeout", "max_lost"];
/// Fields of a retry policy.
const RETRY_FIELDS: &[&str] = &["max", "backoff", "initial", "max_delay"];
/// Fields every task has whatever its kind; the kind adds its own.
const TASK_COMMON_FIELDS: &[&str] = &[
    "id",
    "kind",
    "depends_on",
    "retries",
    "timeout",
    "pre",
    "post",
    "wait",
    "trigger_rule",
    "allow_failure",
    "infer",
    "max_lost",
];

/// The text encoding of a spec. Both carry the same schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecFormat {
    Yaml,
    Json,
}

impl SpecFormat {
    /// Guesses the format from a file name; YAML is the default since JSON is valid YAML.
    pub fn from_path(path: &std::path::Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => SpecFormat::Json,
            _ => SpecFormat::Yaml,
        }
    }
}

/// Parses text into a typed spec, or lists every structural problem found.
pub fn parse_spec(text: &str, format: SpecFormat) -> Result<PipelineSpec, Vec<SpecProblem>> {
    parse_value(decode(text, format)?)
}

/// Decodes text into a document without looking at its schema.
pub fn decode(text: &str, format: SpecFormat) -> Result<Value, Vec<SpecProblem>> {
    match format {
        SpecFormat::Json => serde_json::from_str(text)
            .map_err(|e| vec![SpecProblem::new("$", format!("not valid JSON: {e}"))]),
        SpecFormat::Yaml => yaml_serde::from_str(text)
            .map_err(|e| vec![SpecProblem::new("$", format!("not valid YAML: {e}"))]),
    }
}

/// Parses an already-decoded document (the API receives JSON bodies this way).
pub fn parse_value(value: Value) -> Result<PipelineSpec, Vec<SpecProblem>> {
    let mut problems = Vec::new();
    let Value::Object(mut doc) = value else {
        return Err(vec![SpecProblem::new(
            "$",
            "a pipeline spec must be a mapping with `name` and `tasks`",
        )]);
    };
    unknown_fields(&doc, PIPELINE_FIELDS, "", &mut problems);
    if let Some(Value::Object(defaults)) = doc.get("defaults") {
        unknown_fields(defaults, DEFAULTS_FIELDS, "defaults.", &mut problems);
        if let Some(Value::Object(retries)) = defaults.get("retries") {
            unknown_fields(retries, RETRY_FIELDS, "defaults.retries.", &mut problems);
        }
    }
    for key in ["name", "tasks"] {
        if !doc.contains_key(key) {
            problems.push(SpecProblem::new("$", format!("missing required field `{key}`")));
        }
    }

    let raw_tasks = doc.remove("tasks");
    let mut tasks = Vec::new();
    match raw_tasks {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                if let Some(task) = parse_task(item, &format!("tasks[{i}]"), &mut problems) {
                    tasks.push(task);
                }
            }
        }
        Some(_) => problems.push(SpecProblem::new("tasks", "must be a list of tasks")),
    }

    doc.insert("tasks".into(), Value::Array(Vec::new()));
    let spec = typed::<PipelineSpec>(Value::Object(doc), "", &mut problems);
    match spec {
        Some(mut spec) if problems.is_empty() => {
            spec.tasks = tasks;
            Ok(spec)
        }
        _ => Err(problems),
    }
}

fn parse_task(item: Value, path: &str, problems: &mut Vec<SpecProblem>) -> Option<TaskSpec> {
    let Value::Object(mut task) = item else {
        problems.push(SpecProblem::new(path, "a task must be a mapping with `id` and `kind`"));
        return None;
    };
    for key in ["id", "kind"] {
        if !task.contains_key(key) {
            problems.push(SpecProblem::new(path, format!("missing required field `{key}`")));
        }
    }
    let kind = match task.get("kind") {
        Some(Value::String(name)) => match find_kind(name) {
            Some(kind) => kind,
            None => {
                problems.push(SpecProblem::new(
                    format!("{path}.kind"),
                    format!("unknown kind `{name}`; known kinds: {}", KIND_NAMES.join(", ")),
                ));
                return None;
            }
        },
        Some(_) => {
            problems.push(SpecProblem::new(format!("{path}.kind"), "must be a string"));
            return None;
        }
        None => return None,
    };
    let allowed: Vec<&str> = TASK_COMMON_FIELDS.iter().chain(kind.fields).copied().collect();
    unknown_fields(&task, &allowed, &format!("{path}."), problems);
    if let Some(Value::Object(retries)) = task.get("retries") {
        unknown_fields(retries, RETRY_FIELDS, &format!("{path}.retries."), problems);
    }
    // Header and body are deserialized apart so a type error names its exact field
    // (serde loses the path through a flattened, tagged enum).
    let mut body = Map::new();
    for key in kind.fields {
        if let Some(v) = task.remove(*key) {
            body.insert((*key).to_string(), v);
        }
    }
    (kind.normalize)(&mut body, path, problems);
    task.remove("kind");
    // Each condition, and each policy, is typed on its own so that every mistake among
    // them is reported, not only the first serde meets.
    let pre = conditions(task.remove("pre"), &format!("{path}.pre"), problems);
    let post = conditions(task.remove("post"), &format!("{path}.post"), problems);
    let wait = optional::<WaitPolicy>(task.remove("wait"), &format!("{path}.wait"), problems);
    let trigger_rule = optional::<TriggerRule>(task.remove("trigger_rule"), &format!("{path}.trigger_rule"), problems);
    let header = typed::<TaskHeader>(Value::Object(task), &format!("{path}."), problems);
    let body = (kind.typed)(Value::Object(body), &format!("{path}."), problems);
    let (header, body, pre, post, wait, trigger_rule) = (header?, body?, pre?, post?, wait?, trigger_rule?);
    Some(TaskSpec {
        id: header.id,
        depends_on: header.depends_on,
        retries: header.retries,
        timeout: header.timeout,
        pre,
        post,
        wait,
        trigger_rule: trigger_rule.unwrap_or_default(),
        allow_failure: header.allow_failure,
        infer: header.infer,
        max_lost: header.max_lost,
        body,
    })
}

#[derive(serde::Deserialize)]
struct TaskHeader {
    id: String,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    retries: Option<RetryPolicy>,
    #[serde(default)]
    timeout: Option<HumanDuration>,
    #[serde(default)]
    allow_failure: bool,
    #[serde(default = "yes")]
    infer: bool,
    #[serde(default)]
    max_lost: Option<u32>,
}

fn yes() -> bool {
    true
}

/// A condition list, each element typed at its own path; `None` if any is wrong.
fn conditions(value: Option<Value>, path: &str, problems: &mut Vec<SpecProblem>) -> Option<Vec<Condition>> {
    match value {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(items)) => {
            let typed_items: Vec<Option<Condition>> = items
                .into_iter()
                .enumerate()
                .map(|(i, item)| typed::<Condition>(item, &format!("{path}[{i}]."), problems))
                .collect();
            typed_items.into_iter().collect()
        }
        Some(_) => {
            problems.push(SpecProblem::new(path, "must be a list of conditions, e.g. [{exists: s3://bucket/_SUCCESS}]"));
            None
        }
    }
}

/// An optional field typed at its own path: `Some(None)` when absent, `None` when wrong.
fn optional<T: serde::de::DeserializeOwned>(value: Option<Value>, path: &str, problems: &mut Vec<SpecProblem>) -> Option<Option<T>> {
    match value {
        None | Some(Value::Null) => Some(None),
        Some(v) => typed::<T>(v, &format!("{path}."), problems).map(Some),
    }
}

fn unknown_fields(obj: &Map<String, Value>, allowed: &[&str], prefix: &str, out: &mut Vec<SpecProblem>) {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            let mut known: Vec<&str> = allowed.to_vec();
            known.sort_unstable();
            out.push(SpecProblem::new(
                format!("{prefix}{key}"),
                format!("unknown field `{key}`; expected one of: {}", known.join(", ")),
            ));
        }
    }
}
