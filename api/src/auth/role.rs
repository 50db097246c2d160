//! Roles of tenant keys, weakest first: each can do what the ones before it can.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a key may do within its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything of its tenant.
    Viewer,
    /// Also starts, cancels and retries runs.
    Runner,
    /// Also creates, replaces and deletes pipelines (and, later, connections and channels).
    Editor,
    /// Also creates and revokes keys, and reads the audit log.
    Admin,
}

impl Role {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Runner => "runner",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// The role named `s`, if any.
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Viewer, Role::Runner, Role::Editor, Role::Admin].into_iter().find(|r| r.as_str() == s)
    }
}
