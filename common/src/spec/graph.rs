//! The DAG a pipeline runs as: explicit `depends_on` edges plus the edges inferred from
//! locations. A task that reads a location another task of the pipeline writes (a copy's
//! source under another copy's destination, a check of what a copy wrote, a condition on
//! a file a copy delivers) runs after it without being told, as in Dagster's asset
//! lineage: forgetting a `depends_on` must not race a reader against its writer.

use super::{PipelineSpec, TaskSpec};
use crate::location::{Location, parse_location};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// A pipeline's tasks and the edges between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PipelineGraph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

/// One task of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GraphNode {
    /// The task's `id`.
    pub id: String,
    /// The task's `kind`.
    pub kind: String,
}

/// `to` runs after `from`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GraphEdge {
    pub from: String,
    pub to: String,
    /// True when the edge comes from locations rather than `depends_on`.
    pub inferred: bool,
    /// For an inferred edge, the location `to` reads that `from` writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl PipelineSpec {
    /// The pipeline's DAG: every `depends_on` edge, then every inferred one.
    pub fn graph(&self) -> PipelineGraph {
        let nodes = self
            .tasks
            .iter()
            .map(|t| GraphNode { id: t.id.clone(), kind: t.body.kind().to_string() })
            .collect();
        let mut edges: Vec<GraphEdge> = Vec::new();
        for t in &self.tasks {
            for dep in &t.depends_on {
                edges.push(GraphEdge { from: dep.clone(), to: t.id.clone(), inferred: false, location: None });
            }
        }
        let writers: Vec<(&TaskSpec, Vec<Key>)> = self
            .tasks
            .iter()
            .map(|t| (t, t.body.as_kind().body_writes().iter().filter_map(Key::of).collect::<Vec<_>>()))
            .filter(|(_, w)| !w.is_empty())
            .collect();
        if writers.is_empty() {
            return PipelineGraph { nodes, edges };
        }
        for reader in self.tasks.iter().filter(|t| t.infer) {
            let reads: Vec<Key> = reads_of(reader).iter().filter_map(Key::of).collect();
            for (writer, writes) in &writers {
                if writer.id == reader.id || reader.depends_on.contains(&writer.id) {
                    continue;
                }
                let shared = reads.iter().find_map(|r| writes.iter().find(|w| r.overlaps(w)).map(|_| r));
                if let Some(r) = shared {
                    edges.push(GraphEdge {
                        from: writer.id.clone(),
                        to: reader.id.clone(),
                        inferred: true,
                        location: Some(r.shown.clone()),
                    });
                }
            }
        }
        PipelineGraph { nodes, edges }
    }

    /// Each task's dependencies, explicit and inferred, in spec order.
    pub fn dependencies(&self) -> Vec<Vec<String>> {
        let graph = self.graph();
        let mut incoming: HashMap<&str, Vec<String>> = HashMap::new();
        for e in &graph.edges {
            incoming.entry(e.to.as_str()).or_default().push(e.from.clone());
        }
        self.tasks.iter().map(|t| incoming.remove(t.id.as_str()).unwrap_or_default()).collect()
    }
}

/// What a task reads: its kind's inputs and the files its conditions look at.
fn reads_of(task: &TaskSpec) -> Vec<Location> {
    let mut reads = task.body.as_kind().body_reads();
    reads.extend(task.pre.iter().chain(task.post.iter()).filter_map(|c| c.location()));
    reads
}

/// A location reduced to what decides overlap: its connection and normalised URL.
struct Key {
    connection: Option<String>,
    url: String,
    shown: String,
}

impl Key {
    fn of(loc: &Location) -> Option<Key> {
        let url = parse_location(&loc.url).ok()?;
        Some(Key { connection: loc.connection.clone(), url: url.to_string(), shown: loc.url.clone() })
    }

    /// Whether one location holds the other (or they are the same).
    fn overlaps(&self, other: &Key) -> bool {
        self.connection == other.connection && (under(&self.url, &other.url) || under(&other.url, &self.url))
    }
}

/// Whether `inner` is `outer` or lies below it.
fn under(inner: &str, outer: &str) -> bool {
    let outer_dir = outer.trim_end_matches('/');
    inner.trim_end_matches('/') == outer_dir
        || inner.strip_prefix(outer_dir).is_some_and(|rest| rest.starts_with('/'))
}
