//! Where in the submitted text each spec problem is: validation names a problem by its
//! path (`tasks[2].depends_on[0]`), a person editing YAML wants the line. The text is
//! walked once with a YAML 1.2 event parser (JSON is YAML too) and every node's path is
//! mapped to the line it starts on; a path that names something absent (a missing field)
//! falls back to its nearest present parent.

use saphyr_parser::{Event, Parser};
use std::collections::HashMap;

/// The 1-based line of each node path of a YAML or JSON document.
#[derive(Debug, Default, Clone)]
pub(crate) struct SpecLines {
    lines: HashMap<String, usize>,
}

/// One open collection while walking: its path, and for a mapping the key whose value
/// comes next, for a sequence the next index.
enum Open {
    Mapping { path: String, key: Option<(String, usize)> },
    Sequence { path: String, next: usize },
}

impl SpecLines {
    /// Maps `text`; a document the parser refuses maps what it read before the error.
    pub(crate) fn of(text: &str) -> Self {
        let mut lines = HashMap::new();
        let mut stack: Vec<Open> = Vec::new();
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            let line = span.start.line();
            match event {
                Event::Scalar(value, ..) => {
                    if let Some(Open::Mapping { key: key @ None, .. }) = stack.last_mut() {
                        *key = Some((value.into_owned(), line));
                        continue;
                    }
                    if let Some(path) = next_child(&mut stack, line, &mut lines) {
                        lines.entry(path).or_insert(line);
                    }
                }
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    let path = next_child(&mut stack, line, &mut lines).unwrap_or_else(|| "$".to_owned());
                    lines.entry(path.clone()).or_insert(line);
                    stack.push(if matches!(event, Event::MappingStart(..)) {
                        Open::Mapping { path, key: None }
                    } else {
                        Open::Sequence { path, next: 0 }
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                }
                Event::Alias(_) => {
                    let _ = next_child(&mut stack, line, &mut lines);
                }
                _ => {}
            }
        }
        SpecLines { lines }
    }

    /// The line of `path`, or of its nearest parent that is in the text.
    pub(crate) fn line_of(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some(line) = self.lines.get(p) {
                return Some(*line);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
            if p.is_empty() {
                return self.lines.get("$").copied();
            }
        }
    }
}

/// The path of the node that starts now inside the innermost open collection (and
/// advances that collection), or `None` at the top level. A mapping value is placed on
/// its key's line, which is where an editor looks for it.
fn next_child(stack: &mut [Open], line: usize, lines: &mut HashMap<String, usize>) -> Option<String> {
    match stack.last_mut()? {
        Open::Mapping { path, key } => {
            let (name, key_line) = key.take().unwrap_or_default();
            let child = if path == "$" { name } else { format!("{path}.{name}") };
            lines.entry(child.clone()).or_insert(key_line);
            Some(child)
        }
        Open::Sequence { path, next } => {
            let child = format!("{path}[{next}]");
            *next += 1;
            lines.entry(child.clone()).or_insert(line);
            Some(child)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "name: demo\ntasks:\n  - id: a\n    kind: noop\n  - id: b\n    kind: noop\n    depends_on:\n      - a\n      - ghost\n";

    #[test]
    fn paths_of_yaml_map_to_their_lines() {
        let lines = SpecLines::of(SPEC);
        assert_eq!(lines.line_of("name"), Some(1));
        assert_eq!(lines.line_of("tasks[0]"), Some(3));
        assert_eq!(lines.line_of("tasks[1].kind"), Some(6));
        assert_eq!(lines.line_of("tasks[1].depends_on[1]"), Some(9));
        // A field that is not there: its task's line.
        assert_eq!(lines.line_of("tasks[1].source"), Some(5));
        assert_eq!(lines.line_of("$"), Some(1));
    }

    #[test]
    fn json_text_maps_too() {
        let lines = SpecLines::of("{\n \"name\": \"x\",\n \"tasks\": [\n  {\"id\": \"a\", \"kind\": \"nope\"}\n ]\n}\n");
        assert_eq!(lines.line_of("tasks[0].kind"), Some(4));
        assert_eq!(lines.line_of("name"), Some(2));
    }

    #[test]
    fn broken_text_maps_what_came_before() {
        let lines = SpecLines::of("name: x\ntasks: [\n");
        assert_eq!(lines.line_of("name"), Some(1));
    }
}
