//! A stored spec as YAML read top-down: the stored form is JSON with its keys sorted, so
//! `tasks` would come before `name` and `kind` after `destinations`. The editor shows the
//! name, the when and the what first, and each task's `id`, `kind` and `depends_on` first.

use serde_json::{Map, Value};
use yaml_serde::{Mapping, Value as Yaml};

const TOP: &[&str] = &["name", "description", "schedule", "schedules", "triggers", "notify", "alerts", "defaults", "tasks"];
const TASK: &[&str] = &["id", "kind", "depends_on"];

/// `spec` as YAML in reading order.
pub(crate) fn to_yaml(spec: &Value) -> String {
    let doc = match spec {
        Value::Object(map) => Yaml::Mapping(ordered(map, TOP, true)),
        other => yaml_serde::to_value(other).unwrap_or(Yaml::Null),
    };
    yaml_serde::to_string(&doc).unwrap_or_default()
}

/// `map` with the keys of `first` first (in that order), then the rest as they are.
fn ordered(map: &Map<String, Value>, first: &[&str], top: bool) -> Mapping {
    let mut out = Mapping::new();
    let rest = map.keys().filter(|k| !first.contains(&k.as_str())).map(String::as_str);
    for key in first.iter().copied().chain(rest) {
        let Some(value) = map.get(key) else { continue };
        let shown = match (top && key == "tasks", value) {
            (true, Value::Array(tasks)) => Yaml::Sequence(
                tasks
                    .iter()
                    .map(|t| match t {
                        Value::Object(task) => Yaml::Mapping(ordered(task, TASK, false)),
                        other => yaml_serde::to_value(other).unwrap_or(Yaml::Null),
                    })
                    .collect(),
            ),
            _ => yaml_serde::to_value(value).unwrap_or(Yaml::Null),
        };
        out.insert(Yaml::String(key.to_owned()), shown);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_first_and_tasks_last() {
        let spec = serde_json::json!({"tasks": [{"source": "/a/", "kind": "copy", "id": "c", "depends_on": ["x"]}], "name": "p", "defaults": {"retries": 1}});
        let text = to_yaml(&spec);
        assert!(text.starts_with("name: p\ndefaults:"), "{text}");
        assert!(text.contains("- id: c\n  kind: copy\n  depends_on:\n  - x\n  source: /a/"), "{text}");
        let back: Value = yaml_serde::from_str(&text).unwrap();
        assert_eq!(back, spec, "the same document");
    }
}
