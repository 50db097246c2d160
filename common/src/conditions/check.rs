//! Validation of a condition list, reported with the rest of the spec's problems.

use super::Condition;
use crate::checks::KindCheck;

/// Where a condition list sits, which decides what it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionSlot {
    /// `pre` of any task, or `until` of a `wait` task: checked before anything runs.
    Before,
    /// `post` of a task that compares a source with destinations (a copy).
    AfterCopy,
    /// `post` of any other task.
    After,
}

/// Checks every condition of `field` (`pre`, `post`, `until`), through `check`.
pub fn check_conditions(conditions: &[Condition], field: &str, slot: ConditionSlot, check: &mut KindCheck<'_>) {
    for (i, c) in conditions.iter().enumerate() {
        let at = format!("{field}[{i}].{}", c.name());
        if let Some(loc) = c.location() {
            check.location(&loc, &at);
        }
        match c {
            Condition::MinFiles(m) if m.count == 0 => {
                check.problem(&format!("{at}.count"), "must be at least 1 (a prefix always holds 0 files or more)");
            }
            Condition::TableExists(t) => {
                check.connection(&t.connection, &format!("{at}.connection"));
                if !is_table_name(&t.table) {
                    check.problem(
                        &format!("{at}.table"),
                        format!("`{}` is not a table name; write `table` or `schema.table` (letters, digits, `_`, `$`)", t.table),
                    );
                }
            }
            Condition::Query(q) => {
                check.connection(&q.connection, &format!("{at}.connection"));
                let body = q.sql.trim().trim_end_matches(';').trim();
                if body.is_empty() {
                    check.problem(&format!("{at}.sql"), "is empty; write one statement returning one boolean or number");
                } else if body.contains(';') {
                    check.problem(&format!("{at}.sql"), "holds more than one statement; a condition runs exactly one");
                }
            }
            Condition::Consistent(_) => match slot {
                ConditionSlot::AfterCopy => {}
                ConditionSlot::After => check.problem(
                    &at,
                    "`consistent` compares a copy's source with its destinations; this task is not a copy",
                ),
                ConditionSlot::Before => check.problem(
                    &at,
                    "`consistent` is a post-condition (it checks what a copy wrote); use it under `post`",
                ),
            },
            Condition::Fresh(f) => {
                if !crate::values::is_dataset_name(&f.dataset) {
                    check.problem(&format!("{at}.dataset"), format!("`{}` is not a dataset name: 1 to 128 letters, digits, `-`, `_` or `.`", f.dataset));
                }
                if f.within.0.is_zero() {
                    check.problem(&format!("{at}.within"), "must be longer than 0s");
                }
                if slot != ConditionSlot::Before {
                    check.problem(&at, "`fresh` gates what starts (use it under `pre`, or in a `wait` task's `until`), not what finished");
                }
            }
            _ => {}
        }
    }
}

fn is_table_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() <= 2
        && parts.iter().all(|p| {
            !p.is_empty() && p.len() <= 63 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        })
}
