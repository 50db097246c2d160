//! Graph helpers for task DAGs, kept as plain functions so they are tested on their own.

use std::collections::HashMap;

/// Finds one dependency cycle and returns the ids on it in order, or `None` for a DAG.
/// Unknown dependency ids are ignored here (validation reports them separately).
pub fn find_cycle<'a>(nodes: &[(&'a str, Vec<&'a str>)]) -> Option<Vec<&'a str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let mut mark = vec![Mark::New; nodes.len()];
    let mut stack: Vec<usize> = Vec::new();
    for start in 0..nodes.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next dependency to look at).
        let mut frames: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::OnStack;
        stack.push(start);
        while let Some((node, next)) = frames.last_mut() {
            let deps = &nodes[*node].1;
            if *next < deps.len() {
                let dep = deps[*next];
                *next += 1;
                let Some(&d) = index.get(dep) else { continue };
                match mark[d] {
                    Mark::New => {
                        mark[d] = Mark::OnStack;
                        stack.push(d);
                        frames.push((d, 0));
                    }
                    Mark::OnStack => {
                        let pos = stack.iter().position(|&s| s == d).unwrap_or(0);
                        return Some(stack[pos..].iter().map(|&i| nodes[i].0).collect());
                    }
                    Mark::Done => {}
                }
            } else {
                mark[*node] = Mark::Done;
                stack.pop();
                frames.pop();
            }
        }
    }
    None
}

/// All transitive dependants of `root` (not including it), given `dependants[i]` lists.
pub fn downstream(dependants: &[Vec<usize>], root: usize) -> Vec<usize> {
    let mut seen = vec![false; dependants.len()];
    let mut out = Vec::new();
    let mut todo = dependants[root].clone();
    while let Some(n) = todo.pop() {
        if !seen[n] {
            seen[n] = true;
            out.push(n);
            todo.extend(dependants[n].iter().copied());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dag_has_no_cycle() {
        let nodes = vec![("a", vec![]), ("b", vec!["a"]), ("c", vec!["a", "b"])];
        assert_eq!(find_cycle(&nodes), None);
    }

    #[test]
    fn names_the_tasks_in_a_cycle() {
        let nodes = vec![("a", vec!["c"]), ("b", vec!["a"]), ("c", vec!["b"]), ("d", vec![])];
        let mut cycle = find_cycle(&nodes).expect("cycle");
        cycle.sort_unstable();
        assert_eq!(cycle, vec!["a", "b", "c"]);
    }

    #[test]
    fn cycle_not_through_first_node() {
        let nodes = vec![("root", vec![]), ("x", vec!["root", "y"]), ("y", vec!["x"])];
        let mut cycle = find_cycle(&nodes).expect("cycle");
        cycle.sort_unstable();
        assert_eq!(cycle, vec!["x", "y"]);
    }

    #[test]
    fn downstream_is_transitive() {
        // 0 → 1 → 2, 0 → 3
        let dependants = vec![vec![1, 3], vec![2], vec![], vec![]];
        let mut d = downstream(&dependants, 0);
        d.sort_unstable();
        assert_eq!(d, vec![1, 2, 3]);
        assert!(downstream(&dependants, 2).is_empty());
    }
}
