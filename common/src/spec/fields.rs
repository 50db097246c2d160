//! The field names each part of a spec may carry. The structural pass uses them to name
//! every unknown field at once (serde alone stops at the first); a unit test keeps them in
//! step with the typed structs.

/// Top-level fields of a pipeline.
pub(crate) const PIPELINE_FIELDS: &[&str] = &["name", "description", "defaults", "bandwidth", "tasks"];
/// Fields of `defaults`.
pub(crate) const DEFAULTS_FIELDS: &[&str] = &["retries", "timeout"];
/// Fields of a retry policy.
pub(crate) const RETRY_FIELDS: &[&str] = &["max", "backoff", "initial", "max_delay"];
/// Fields every task has whatever its kind.
pub(crate) const TASK_COMMON_FIELDS: &[&str] = &["id", "kind", "depends_on", "retries", "timeout"];

/// The kinds this build can run, with their own fields.
pub(crate) const KINDS: &[(&str, &[&str])] = &[
    (
        "copy",
        &[
            "source",
            "destinations",
            "destination",
            "include",
            "exclude",
            "overwrite",
            "delete_extraneous",
            "max_delete",
            "dry_run",
            "verify",
            "unpack",
            "bandwidth",
            "shard_files",
            "shard_bytes",
        ],
    ),
    ("check", &["source", "target", "mode", "include", "exclude"]),
    ("noop", &[]),
];

/// Kind names, for messages that list what is accepted.
pub(crate) fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|(k, _)| *k).collect()
}

/// Fields allowed for a kind, or `None` for an unknown kind.
pub(crate) fn kind_fields(kind: &str) -> Option<&'static [&'static str]> {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, f)| *f)
}
