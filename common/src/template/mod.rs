//! `{{ … }}` templates in a spec's string fields: a run's logical time and what its
//! trigger saw, expanded once when the run is created (the run stores the expanded spec,
//! so a retry or a change of leader sees the same values).
//!
//! Variables: `logical_time` (RFC 3339, UTC), `logical_date` (`YYYY-MM-DD` in the
//! schedule's time zone), and `trigger.<field>` from the run's trigger detail —
//! `trigger.path` / `trigger.paths` (file arrival), `trigger.run_id` (upstream),
//! `trigger.payload.<field>` (webhook). Templates are expanded everywhere but in `name`,
//! `schedule(s)` and `triggers`, which say when a run happens rather than what it does.

use crate::problem::SpecProblem;
use crate::triggers::RunTrigger;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use std::str::FromStr;

/// Top-level fields whose strings are not expanded.
const NOT_EXPANDED: &[&str] = &["name", "schedule", "schedules", "triggers"];

/// Why a spec cannot be expanded for a run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TemplateError {
    /// Where in the spec.
    pub path: String,
    pub message: String,
}

/// Which `trigger.*` variables a spec may use: those its triggers provide.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TriggerVariables {
    pub file_arrival: bool,
    pub upstream: bool,
    pub webhook: bool,
}

impl TriggerVariables {
    /// What the `triggers:` list of a raw spec provides.
    pub fn of_spec(doc: &Value) -> Self {
        let mut found = TriggerVariables::default();
        for t in doc.get("triggers").and_then(Value::as_array).into_iter().flatten() {
            found.file_arrival |= t.get("file_arrival").is_some();
            // A fresh trigger names the delivering run as `trigger.run_id`, like upstream.
            found.upstream |= t.get("upstream").is_some() || t.get("fresh").is_some();
            found.webhook |= t.get("webhook").is_some();
        }
        found
    }

    fn allows(&self, var: &str) -> Result<(), String> {
        let needs = |provided: bool, trigger: &str| {
            if provided { Ok(()) } else { Err(format!("`{{{{ {var} }}}}` needs a `{trigger}` trigger on the pipeline")) }
        };
        match var {
            "logical_time" | "logical_date" => Ok(()),
            "trigger.path" | "trigger.paths" => needs(self.file_arrival, "file_arrival"),
            "trigger.run_id" => needs(self.upstream, "upstream"),
            v if v.starts_with("trigger.payload.") && v.len() > "trigger.payload.".len() => needs(self.webhook, "webhook"),
            _ => Err(format!(
                "`{{{{ {var} }}}}` names an unknown variable; known: logical_time, logical_date, trigger.path, \
                 trigger.paths, trigger.run_id, trigger.payload.<field>"
            )),
        }
    }
}

/// Every template problem in a raw spec: unknown variables, variables no trigger of the
/// pipeline provides, unclosed `{{`, templates where they are not expanded.
pub fn check(doc: &Value) -> Vec<SpecProblem> {
    let allowed = TriggerVariables::of_spec(doc);
    let mut problems = Vec::new();
    let Value::Object(fields) = doc else { return problems };
    for (key, value) in fields {
        walk(value, key, &mut |path, text| match variables(text) {
            Err(message) => problems.push(SpecProblem::new(path, message)),
            Ok(vars) if !vars.is_empty() && NOT_EXPANDED.contains(&key.as_str()) => {
                problems.push(SpecProblem::new(path, format!("templates are not expanded in `{key}`")))
            }
            Ok(vars) => {
                for v in vars {
                    if let Err(message) = allowed.allows(&v) {
                        problems.push(SpecProblem::new(path, message));
                    }
                }
            }
        });
    }
    problems
}

/// The variables a run of `doc` expands, each once, in order of first use: what a
/// person starting a run by hand may be asked for.
pub fn run_variables(doc: &Value) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let Value::Object(fields) = doc else { return found };
    for (key, value) in fields.iter().filter(|(k, _)| !NOT_EXPANDED.contains(&k.as_str())) {
        walk(value, key, &mut |_, text| {
            for v in variables(text).unwrap_or_default() {
                if !found.contains(&v) {
                    found.push(v);
                }
            }
        });
    }
    found
}

/// A raw spec with every template replaced by a placeholder of the right shape, so the
/// rest of validation (URLs, globs) sees what a run would.
pub fn with_samples(doc: &Value) -> Value {
    let sample = RunTrigger {
        kind: crate::triggers::TriggerKind::Manual,
        logical_time: DateTime::<Utc>::UNIX_EPOCH,
        detail: None,
    };
    expand(doc, &sample, Tz::UTC, true).unwrap_or_else(|_| doc.clone())
}

/// The spec a run executes: `doc` with its templates expanded for `trigger`.
pub fn render_for_run(doc: &Value, trigger: &RunTrigger) -> Result<Value, TemplateError> {
    expand(doc, trigger, timezone_for(doc, trigger), false)
}

/// The time zone `logical_date` is in: the firing schedule's, else the pipeline's first
/// schedule's, else UTC.
fn timezone_for(doc: &Value, trigger: &RunTrigger) -> Tz {
    let index = trigger.detail.as_ref().and_then(|d| d.get("schedule")).and_then(Value::as_u64);
    let schedule = match (doc.get("schedule"), doc.get("schedules")) {
        (Some(one), _) => Some(one),
        (None, Some(Value::Array(many))) => many.get(index.unwrap_or(0) as usize),
        _ => None,
    };
    schedule
        .and_then(|s| s.get("timezone"))
        .and_then(Value::as_str)
        .and_then(|name| Tz::from_str(name).ok())
        .unwrap_or(Tz::UTC)
}

fn expand(doc: &Value, trigger: &RunTrigger, tz: Tz, samples: bool) -> Result<Value, TemplateError> {
    let Value::Object(fields) = doc else { return Ok(doc.clone()) };
    let mut out = serde_json::Map::new();
    for (key, value) in fields {
        let expanded = if NOT_EXPANDED.contains(&key.as_str()) {
            value.clone()
        } else {
            expand_value(value, key, trigger, tz, samples)?
        };
        out.insert(key.clone(), expanded);
    }
    Ok(Value::Object(out))
}

fn expand_value(value: &Value, path: &str, trigger: &RunTrigger, tz: Tz, samples: bool) -> Result<Value, TemplateError> {
    Ok(match value {
        Value::String(text) if text.contains("{{") => {
            let fail = |message: String| TemplateError { path: path.to_string(), message };
            let vars = variables(text).map_err(fail)?;
            // A field that is exactly one list-valued variable becomes the list.
            if let [only] = vars.as_slice()
                && text.trim().trim_start_matches("{{").trim_end_matches("}}").trim() == only
                && let Some(list @ Value::Array(_)) = lookup(only, trigger, tz, samples).map_err(fail)?
            {
                return Ok(list);
            }
            let mut rendered = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some(start) = rest.find("{{") {
                let end = start + rest[start..].find("}}").expect("checked by variables()");
                rendered.push_str(&rest[..start]);
                let var = rest[start + 2..end].trim();
                let found = lookup(var, trigger, tz, samples).map_err(fail)?;
                rendered.push_str(&as_text(found.as_ref()));
                rest = &rest[end + 2..];
            }
            rendered.push_str(rest);
            Value::String(rendered)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| expand_value(v, &format!("{path}[{i}]"), trigger, tz, samples))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), expand_value(v, &format!("{path}.{k}"), trigger, tz, samples)?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

/// A variable's value; with `samples`, a placeholder for anything the trigger supplies.
fn lookup(var: &str, trigger: &RunTrigger, tz: Tz, samples: bool) -> Result<Option<Value>, String> {
    match var {
        "logical_time" => Ok(Some(Value::String(trigger.logical_time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))),
        "logical_date" => Ok(Some(Value::String(trigger.logical_time.with_timezone(&tz).format("%Y-%m-%d").to_string()))),
        _ if samples => Ok(Some(Value::String(if var == "trigger.run_id" { uuid::Uuid::nil().to_string() } else { "sample".into() }))),
        _ => {
            let mut at = trigger.detail.as_ref();
            for part in var.trim_start_matches("trigger.").split('.') {
                at = at.and_then(|v| v.get(part));
            }
            match at {
                Some(v) => Ok(Some(v.clone())),
                None => Err(format!("`{{{{ {var} }}}}` has no value for this run (its trigger did not supply it)")),
            }
        }
    }
}

fn as_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items.iter().map(|v| as_text(Some(v))).collect::<Vec<_>>().join(","),
        Some(other) => other.to_string(),
    }
}

/// The variable names in one string, or why its templates are malformed.
fn variables(text: &str) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            return Err(format!("`{{{{` without a closing `}}}}` in `{text}`"));
        };
        let var = rest[start + 2..start + len].trim();
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-') {
            return Err(format!("`{{{{{}}}}}` is not a variable name", &rest[start + 2..start + len]));
        }
        found.push(var.to_string());
        rest = &rest[start + len + 2..];
    }
    Ok(found)
}

/// Calls `f(path, text)` for every string under `value`.
fn walk(value: &Value, path: &str, f: &mut impl FnMut(&str, &str)) {
    match value {
        Value::String(s) => f(path, s),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}[{i}]"), f);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                walk(v, &format!("{path}.{k}"), f);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
