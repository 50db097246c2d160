//! A run's DAG as a picture: an SVG drawn here, layered left to right (a task sits one
//! column right of its latest dependency), nodes ordered within a column to keep edges
//! short (a few barycenter sweeps), each node filled by its task's state and linked to
//! the task. Inferred edges (from locations) are dashed.
//!
//! Only presentation attributes, no `<style>` and no script, so the picture passes any
//! Content-Security-Policy and can be embedded as it is. Linear in nodes and edges
//! except the sweeps, which sort each column: 1,000 tasks draw in milliseconds.

use ferry_common::spec::PipelineGraph;
use ferry_common::state::TaskState;
use std::collections::HashMap;
use std::fmt::Write;

const NODE_W: usize = 168;
const NODE_H: usize = 36;
const GAP_X: usize = 64;
const GAP_Y: usize = 14;
const PAD: usize = 12;
/// Characters of a task id shown in its box (the whole id is its tooltip).
const LABEL_CHARS: usize = 20;

/// Each task's column and row.
fn layout(graph: &PipelineGraph) -> (Vec<usize>, Vec<usize>) {
    let n = graph.nodes.len();
    let index: HashMap<&str, usize> = graph.nodes.iter().enumerate().map(|(i, node)| (node.id.as_str(), i)).collect();
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in &graph.edges {
        if let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
            preds[b].push(a);
            succs[a].push(b);
        }
    }
    // Longest path from the roots, in topological order (Kahn); a stored spec has no
    // cycle, and a node a cycle would hold back stays in column 0.
    let mut indegree: Vec<usize> = preds.iter().map(Vec::len).collect();
    let mut column = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    while let Some(i) = ready.pop() {
        for &s in &succs[i] {
            column[s] = column[s].max(column[i] + 1);
            indegree[s] -= 1;
            if indegree[s] == 0 {
                ready.push(s);
            }
        }
    }
    let columns = column.iter().max().map_or(0, |m| m + 1);
    let mut by_column: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for i in 0..n {
        by_column[column[i]].push(i);
    }
    let mut row = vec![0usize; n];
    let place = |by_column: &Vec<Vec<usize>>, row: &mut Vec<usize>| {
        for col in by_column {
            for (r, &i) in col.iter().enumerate() {
                row[i] = r;
            }
        }
    };
    place(&by_column, &mut row);
    // Barycenter sweeps: order each column by the mean row of its neighbours in the
    // column before (down) or after (up).
    for sweep in 0..4 {
        let down = sweep % 2 == 0;
        let order: Vec<usize> = if down { (1..columns).collect() } else { (0..columns.saturating_sub(1)).rev().collect() };
        for c in order {
            let mut keyed: Vec<(f64, usize)> = by_column[c]
                .iter()
                .map(|&i| {
                    let near = if down { &preds[i] } else { &succs[i] };
                    let key = if near.is_empty() { row[i] as f64 } else { near.iter().map(|&j| row[j] as f64).sum::<f64>() / near.len() as f64 };
                    (key, i)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            by_column[c] = keyed.into_iter().map(|(_, i)| i).collect();
            place(&by_column, &mut row);
        }
    }
    (column, row)
}

/// Fill and text colours of a state (readable on both: WCAG contrast ≥ 4.5).
fn colours(state: Option<TaskState>) -> (&'static str, &'static str) {
    match state {
        Some(TaskState::Succeeded) => ("#1b7f3b", "#ffffff"),
        Some(TaskState::Failed) => ("#b3261e", "#ffffff"),
        Some(TaskState::Running) => ("#1a5fb4", "#ffffff"),
        Some(TaskState::Retrying) => ("#9a4f00", "#ffffff"),
        Some(TaskState::Queued | TaskState::Waiting) => ("#dbe7f7", "#102a43"),
        Some(TaskState::Cancelled | TaskState::Skipped) => ("#e4e4e4", "#333333"),
        _ => ("#ffffff", "#333333"),
    }
}

/// Escapes text for SVG (XML) content and attributes.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The SVG of `graph`; `task` gives a node's state and the link its box leads to.
pub(crate) fn render(graph: &PipelineGraph, title: &str, task: impl Fn(&str) -> Option<(TaskState, String)>) -> String {
    let (column, row) = layout(graph);
    let x = |i: usize| PAD + column[i] * (NODE_W + GAP_X);
    let y = |i: usize| PAD + row[i] * (NODE_H + GAP_Y);
    let width = column.iter().max().map_or(0, |c| c + 1) * (NODE_W + GAP_X) - GAP_X.min(NODE_W) + 2 * PAD;
    let height = row.iter().max().map_or(0, |r| r + 1) * (NODE_H + GAP_Y) + 2 * PAD;
    let mut svg = String::with_capacity(256 + graph.nodes.len() * 400 + graph.edges.len() * 160);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="group" aria-label="{}" font-family="system-ui, sans-serif" font-size="13">"#,
        escape(title)
    );
    let _ = write!(svg, "<title>{}</title>", escape(title));
    let index: HashMap<&str, usize> = graph.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    for e in &graph.edges {
        let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else { continue };
        let (x1, y1, x2, y2) = (x(a) + NODE_W, y(a) + NODE_H / 2, x(b), y(b) + NODE_H / 2);
        let bend = GAP_X / 2;
        let dash = if e.inferred { r#" stroke-dasharray="5 4""# } else { "" };
        let why = match (&e.location, e.inferred) {
            (Some(loc), true) => format!("{} → {} (inferred: {} is written by {} and read by {})", e.from, e.to, loc, e.from, e.to),
            _ => format!("{} → {}", e.from, e.to),
        };
        let _ = write!(
            svg,
            r##"<path d="M{x1} {y1} C{} {y1} {} {y2} {x2} {y2}" fill="none" stroke="#6b7280" stroke-width="1.5"{dash}><title>{}</title></path>"##,
            x1 + bend,
            x2.saturating_sub(bend),
            escape(&why)
        );
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        let found = task(&node.id);
        let state = found.as_ref().map(|(s, _)| *s);
        let (fill, ink) = colours(state);
        let label: String = if node.id.chars().count() > LABEL_CHARS {
            node.id.chars().take(LABEL_CHARS - 1).chain(['…']).collect()
        } else {
            node.id.clone()
        };
        let tip = format!("{} ({}): {}", node.id, node.kind, state.map_or("not planned", TaskState::as_str));
        let open = match &found {
            Some((_, href)) => format!(r#"<a href="{}" aria-label="{}">"#, escape(href), escape(&tip)),
            None => "<g>".to_string(),
        };
        let close = if found.is_some() { "</a>" } else { "</g>" };
        // `class` and `data-*` let a page restyle a node when its state changes live.
        let _ = write!(
            svg,
            r##"{open}<g class="node" data-task="{}" data-state="{}"><title>{}</title><rect x="{}" y="{}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" stroke="#374151"/><text x="{}" y="{}" fill="{ink}" dominant-baseline="middle">{}</text></g>{close}"##,
            escape(&node.id),
            state.map_or("unplanned", TaskState::as_str),
            escape(&tip),
            x(i),
            y(i),
            x(i) + 10,
            y(i) + NODE_H / 2,
            escape(&label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_common::spec::{GraphEdge, GraphNode};

    fn graph(nodes: &[&str], edges: &[(&str, &str, bool)]) -> PipelineGraph {
        PipelineGraph {
            nodes: nodes.iter().map(|n| GraphNode { id: n.to_string(), kind: "noop".into() }).collect(),
            edges: edges.iter().map(|(a, b, inf)| GraphEdge { from: a.to_string(), to: b.to_string(), inferred: *inf, location: inf.then(|| "s3://x/".into()) }).collect(),
        }
    }

    #[test]
    fn tasks_sit_one_column_right_of_their_latest_dependency() {
        let g = graph(&["a", "b", "c", "d"], &[("a", "b", false), ("b", "d", false), ("a", "d", false), ("c", "d", true)]);
        let (column, _) = layout(&g);
        assert_eq!(column, [0, 1, 0, 2]);
    }

    #[test]
    fn the_picture_escapes_names_colours_states_and_dashes_inferred_edges() {
        let g = graph(&["<script>", "b"], &[("<script>", "b", true)]);
        let svg = render(&g, "run <1>", |id| (id == "b").then(|| (TaskState::Succeeded, "/tasks/1?a=1&b=2".to_string())));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"), "{svg}");
        assert!(svg.contains(r#"href="/tasks/1?a=1&amp;b=2""#));
        assert!(svg.contains(r##"fill="#1b7f3b""##), "succeeded is green");
        assert!(svg.contains("stroke-dasharray"), "the inferred edge is dashed");
        assert!(svg.contains("not planned"));
    }

    #[test]
    fn a_thousand_tasks_draw_without_overlap() {
        let names: Vec<String> = (0..1000).map(|i| format!("t{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let edges: Vec<(&str, &str, bool)> = (1..1000).map(|i| (refs[(i - 1) / 10], refs[i], false)).collect();
        let g = graph(&refs, &edges);
        let (column, row) = layout(&g);
        let mut seen = std::collections::HashSet::new();
        for i in 0..1000 {
            assert!(seen.insert((column[i], row[i])), "two tasks in one place");
        }
        assert!(render(&g, "big", |_| None).len() > 100_000);
    }
}
