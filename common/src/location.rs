//! Location strings → URLs a backend can serve, with the safety checks every surface needs.
//!
//! A location is a URL (`file:///data/`, `s3://bucket/prefix/`, `az://container/dir/`,
//! `memory://name/`) or an absolute local path. A path ending in `/` means "everything
//! under this prefix"; without it, a single object (or, if nothing is there, a prefix).

use crate::CommonError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::path::Path;
use url::Url;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};

/// URL schemes some backend of this build serves.
pub const SUPPORTED_SCHEMES: &[&str] = &[
    "file", "memory", "s3", "s3a", "gs", "az", "adl", "azure", "abfs", "abfss", "http", "https",
];

/// Parses and checks a location: known scheme, absolute, no `..` escape.
pub fn parse_location(text: &str) -> Result<Url, CommonError> {
    let invalid = |reason: &str| CommonError::InvalidLocation {
        location: text.to_string(),
        reason: reason.to_string(),
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(invalid("empty location"));
    }
    if escapes(trimmed) {
        return Err(invalid("`..` segments are not allowed: a location may not escape its prefix"));
    }
    if !trimmed.contains("://") {
        if !trimmed.starts_with('/') {
            return Err(invalid(
                "a relative path; use an absolute path or a URL such as file:///data/ or s3://bucket/prefix/",
            ));
        }
        return file_url(trimmed).ok_or_else(|| invalid("not a valid local path"));
    }
    let url = Url::parse(trimmed).map_err(|e| invalid(&format!("not a valid URL ({e})")))?;
    if url.password().is_some() {
        return Err(invalid(
            "credentials in a URL are not allowed: specs are stored and shown; put them in a named connection ({url, connection})",
        ));
    }
    let scheme = url.scheme();
    if !SUPPORTED_SCHEMES.contains(&scheme) {
        return Err(invalid(&format!(
            "no backend serves the scheme `{scheme}`; supported: {}",
            SUPPORTED_SCHEMES.join(", ")
        )));
    }
    match scheme {
        "file" => {
            if url.host_str().is_some_and(|h| !h.is_empty() && h != "localhost") {
                return Err(invalid("a file:// URL must not name a host; write file:///absolute/path"));
            }
        }
        "memory" => {}
        _ => {
            if url.host_str().unwrap_or("").is_empty() {
                return Err(invalid("the URL names no bucket or container"));
            }
        }
    }
    Ok(url)
}

/// Rewrites a relative local path against `base` (the spec file's folder, for `ferry
/// run`), leaving URLs and absolute paths alone, so example specs work from any cwd.
pub fn resolve_relative(text: &str, base: &Path) -> String {
    if text.contains("://") || text.starts_with('/') || text.trim().is_empty() {
        return text.to_string();
    }
    let dir = text.ends_with('/');
    let joined = base.join(text);
    let mut out = joined.to_string_lossy().into_owned();
    if dir && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// Whether a location names a prefix (ends with `/`) rather than possibly one object.
pub fn is_prefix(url: &Url) -> bool {
    url.path().ends_with('/') || url.path().is_empty()
}

fn escapes(text: &str) -> bool {
    let path_part = match text.find("://") {
        Some(i) => &text[i + 3..],
        None => text,
    };
    let path_part = path_part.split(['?', '#']).next().unwrap_or("");
    path_part.split('/').any(|seg| {
        let lower = seg.to_ascii_lowercase();
        lower == ".." || lower == "%2e%2e" || lower == ".%2e" || lower == "%2e."
    })
}

fn file_url(path: &str) -> Option<Url> {
    let p = Path::new(path);
    let mut url = Url::from_file_path(p).ok()?;
    if path.ends_with('/') && !url.path().ends_with('/') {
        let with_slash = format!("{}/", url.path());
        url.set_path(&with_slash);
    }
    Some(url)
}

/// A place data lives: a URL, optionally bound to a stored connection holding credentials
/// (so secrets never appear in the spec). Written as a plain string or `{url, connection}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub url: String,
    pub connection: Option<String>,
}

impl Location {
    /// A location with no connection.
    pub fn url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connection: None,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum LocationRepr {
    Url(String),
    Full {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        connection: Option<String>,
    },
}

impl Serialize for Location {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.connection {
            None => LocationRepr::Url(self.url.clone()),
            Some(c) => LocationRepr::Full {
                url: self.url.clone(),
                connection: Some(c.clone()),
            },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match LocationRepr::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a URL string or {url, connection}")
        })? {
            LocationRepr::Url(url) => Ok(Location::url(url)),
            LocationRepr::Full { url, connection } => Ok(Location { url, connection }),
        }
    }
}

impl utoipa::PartialSchema for Location {
    fn schema() -> RefOr<Schema> {
        let url = || ObjectBuilder::new().schema_type(Type::String);
        OneOfBuilder::new()
            .description(Some("A URL (`s3://lake/raw/`, `file:///data/`) or an absolute path, or `{url, connection}` naming a stored connection that holds its credentials."))
            .item(url().description(Some("The location's URL or absolute path.")))
            .item(
                ObjectBuilder::new()
                    .property("url", url())
                    .property("connection", url())
                    .required("url"),
            )
            .into()
    }
}

impl utoipa::ToSchema for Location {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_known_schemes_and_absolute_paths() {
        for ok in ["file:///data/", "s3://lake/raw/", "az://backup/raw/", "memory://t1/x", "/tmp/a/", "gs://b/p"] {
            assert!(parse_location(ok).is_ok(), "{ok}");
        }
        assert_eq!(parse_location("/tmp/a/").unwrap().as_str(), "file:///tmp/a/");
    }

    #[test]
    fn refuses_unknown_scheme_relative_and_escape() {
        let msg = |s| parse_location(s).unwrap_err().to_string();
        assert!(msg("ftp://host/x").contains("no backend serves the scheme `ftp`"));
        assert!(msg("data/x").contains("relative path"));
        assert!(msg("file:///data/../etc/passwd").contains("escape"));
        assert!(msg("s3://lake/a/%2E%2E/b").contains("escape"));
        assert!(msg("s3:///nobucket").contains("bucket"));
        assert!(msg("").contains("empty"));
        assert!(msg("s3://AKIA:secret@lake/raw/").contains("named connection"));
        assert!(parse_location("abfss://container@account.dfs.core.windows.net/raw/").is_ok());
    }

    #[test]
    fn resolves_relative_paths_against_a_base() {
        let base = Path::new("/work/examples");
        assert_eq!(resolve_relative("data/in/", base), "/work/examples/data/in/");
        assert_eq!(resolve_relative("s3://b/k", base), "s3://b/k");
        assert_eq!(resolve_relative("/abs", base), "/abs");
    }
}
