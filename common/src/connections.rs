//! Named connections: the credentials and endpoints of object stores, kept out of specs.
//!
//! A spec names a connection (`source: {url: s3://lake/raw/, connection: lake}`); the
//! worker that runs the task looks the name up in its own connections file, the one
//! `FERRY_CONNECTIONS` points to (the API and orchestrator read the same file for the
//! names only, to refuse a spec naming an undefined connection). So a pipeline can be shared, stored and shown by the API
//! without a secret in it, and each site (or tenant) binds the names to its own accounts.
//!
//! The file is YAML (or JSON) mapping each name to `object_store` options, written with the
//! keys `object_store` documents for the URL's scheme (`endpoint`, `access_key_id`,
//! `secret_access_key`, `region`, `allow_http` for S3; `account_name`, `access_key`,
//! `use_emulator`, `endpoint` for Azure; `service_account_path` for GCS …):
//!
//! ```yaml
//! lake:
//!   endpoint: http://127.0.0.1:8333
//!   region: us-east-1
//!   access_key_id: ferry
//!   secret_access_key: ${LAKE_SECRET}   # read from the worker's environment
//! ```
//!
//! `${VAR}` is replaced by the environment variable `VAR` when the file is loaded, so the
//! file itself can be committed while secrets come from the secret store that fills the
//! environment. A store built for a connection reads nothing else from the environment:
//! what the file says is all it uses.

use crate::CommonError;
use std::collections::BTreeMap;
use std::path::Path;

/// The environment variable naming the connections file.
pub const CONNECTIONS_ENV: &str = "FERRY_CONNECTIONS";

/// One named connection: `object_store` configuration keys and their values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// Option key (as `object_store` spells it for the scheme) → value.
    pub options: BTreeMap<String, String>,
}

impl std::fmt::Debug for Connection {
    /// Shows the keys only: values hold secrets and debug output ends up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("keys", &self.options.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Every connection this process knows, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connections {
    by_name: BTreeMap<String, Connection>,
}

impl Connections {
    /// No connections: locations that name one are refused with a clear error.
    pub fn none() -> Self {
        Self::default()
    }

    /// The connections in the file `FERRY_CONNECTIONS` names, or none when it is unset.
    pub fn from_env() -> Result<Self, CommonError> {
        match std::env::var_os(CONNECTIONS_ENV) {
            Some(path) if !path.is_empty() => Self::load(Path::new(&path)),
            _ => Ok(Self::none()),
        }
    }

    /// Reads a connections file; a missing file, bad YAML or an unset `${VAR}` is an error
    /// naming the file, so a worker never starts with half its connections.
    pub fn load(path: &Path) -> Result<Self, CommonError> {
        let bad = |reason: String| CommonError::Connections {
            file: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        Self::parse(&text, |var| std::env::var(var).ok()).map_err(bad)
    }

    /// Parses connections text, looking `${VAR}` up with `env`.
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let raw: BTreeMap<String, BTreeMap<String, yaml_serde::Value>> = if text.trim().is_empty() {
            BTreeMap::new()
        } else {
            yaml_serde::from_str(text).map_err(|e| {
                format!("expected a map of connection names to option maps ({e})")
            })?
        };
        let mut by_name = BTreeMap::new();
        for (name, options) in raw {
            let mut out = BTreeMap::new();
            for (key, value) in options {
                let value = scalar(&value)
                    .ok_or_else(|| format!("{name}.{key}: expected a string, number or boolean"))?;
                let value = expand(&value, &env).map_err(|e| format!("{name}.{key}: {e}"))?;
                out.insert(key, value);
            }
            by_name.insert(name, Connection { options: out });
        }
        Ok(Self { by_name })
    }

    /// Adds or replaces one connection (for tests and embedding programs).
    pub fn insert(&mut self, name: impl Into<String>, connection: Connection) {
        self.by_name.insert(name.into(), connection);
    }

    /// The connection called `name`.
    pub fn get(&self, name: &str) -> Option<&Connection> {
        self.by_name.get(name)
    }

    /// The names defined, sorted (for error messages: never the values).
    pub fn names(&self) -> Vec<&str> {
        self.by_name.keys().map(String::as_str).collect()
    }

    /// What spec validation needs to know: the names, so a typo is refused when the
    /// pipeline is submitted rather than when a worker reaches the task.
    pub fn validation_context(&self) -> crate::problem::ValidationContext {
        crate::problem::ValidationContext {
            connections: self.by_name.keys().cloned().collect(),
            file_roots: crate::file_roots::FileRoots::anywhere(),
            channels: None,
        }
    }
}

fn scalar(v: &yaml_serde::Value) -> Option<String> {
    match v {
        yaml_serde::Value::String(s) => Some(s.clone()),
        yaml_serde::Value::Bool(b) => Some(b.to_string()),
        yaml_serde::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Replaces each `${VAR}` with the variable's value; an unset variable is an error.
fn expand(value: &str, env: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "an unclosed `${`".to_string())?;
        let var = &after[..end];
        let v = env(var).ok_or_else(|| format!("the environment variable `{var}` is not set"))?;
        out.push_str(&v);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str) -> Option<String> {
        (var == "LAKE_SECRET").then(|| "s3cr3t".to_string())
    }

    #[test]
    fn parses_options_and_expands_variables() {
        let c = Connections::parse(
            "lake:\n  endpoint: http://127.0.0.1:8333\n  allow_http: true\n  secret_access_key: pre-${LAKE_SECRET}\nblob:\n  use_emulator: true\n",
            env,
        )
        .unwrap();
        assert_eq!(c.names(), ["blob", "lake"]);
        let lake = &c.get("lake").unwrap().options;
        assert_eq!(lake["allow_http"], "true");
        assert_eq!(lake["secret_access_key"], "pre-s3cr3t");
        assert!(!format!("{:?}", c.get("lake").unwrap()).contains("s3cr3t"));
    }

    #[test]
    fn refuses_unset_variables_and_nested_values() {
        let e = Connections::parse("lake:\n  secret_access_key: ${NOPE}\n", env).unwrap_err();
        assert!(e.contains("lake.secret_access_key") && e.contains("`NOPE` is not set"), "{e}");
        let e = Connections::parse("lake:\n  endpoint: [a]\n", env).unwrap_err();
        assert!(e.contains("lake.endpoint"), "{e}");
        assert!(Connections::parse("- a\n", env).is_err());
        assert_eq!(Connections::parse("", env).unwrap(), Connections::none());
    }
}

/// A stored connection as a task message carries it: its name, its non-secret options in
/// clear, and its secret fields still sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedConnection {
    pub name: String,
    pub options: BTreeMap<String, String>,
    /// The sealed JSON map of secret fields; `None` when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<String>,
}

impl SealedConnection {
    /// The connection with its secrets opened, ready to build a store from.
    pub fn open(&self, key: &crate::sealed::MasterKey) -> Result<Connection, String> {
        let mut options = self.options.clone();
        if let Some(sealed) = &self.secrets {
            let plain = key.open(sealed).map_err(|e| format!("connection `{}`: {e}", self.name))?;
            let secrets: BTreeMap<String, String> =
                serde_json::from_slice(&plain).map_err(|e| format!("connection `{}`: sealed secrets do not decode: {e}", self.name))?;
            options.extend(secrets);
        }
        Ok(Connection { options })
    }
}
