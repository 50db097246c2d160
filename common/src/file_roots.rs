//! Where `file://` locations may point on a server shared by tenants.
//!
//! `ferry standalone` and the distributed roles read `FERRY_FILE_ROOTS` (absolute folders,
//! separated by `:` or `,`); a tenant's own `file_roots` narrow them further. A local
//! location must lie under one of the roots in force: written under it (no `..`, which
//! every location refuses anyway), and still under it once symlinks are resolved, as far
//! as the path exists. The API checks at validation; the worker checks again when the
//! attempt starts, since a symlink can appear in between. `ferry run` on a user's own
//! machine allows any path.

use crate::location::parse_location;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The environment variable naming the server-wide roots.
pub const FILE_ROOTS_ENV: &str = "FERRY_FILE_ROOTS";

/// The folders `file://` locations may use; `None` inside means anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileRoots(Option<Vec<PathBuf>>);

impl FileRoots {
    /// Any local path (`ferry run`, or a server with no roots configured).
    pub fn anywhere() -> Self {
        FileRoots(None)
    }

    /// Only under these folders (none: no local path at all).
    pub fn only(roots: Vec<PathBuf>) -> Self {
        FileRoots(Some(roots))
    }

    /// The roots `FERRY_FILE_ROOTS` names; anywhere when it is unset or empty.
    pub fn from_env() -> Self {
        match std::env::var(FILE_ROOTS_ENV) {
            Ok(v) if !v.trim().is_empty() => {
                FileRoots::only(v.split([':', ',']).map(str::trim).filter(|s| !s.is_empty()).map(PathBuf::from).collect())
            }
            _ => FileRoots::anywhere(),
        }
    }

    /// Whether any local path is allowed.
    pub fn is_anywhere(&self) -> bool {
        self.0.is_none()
    }

    /// The roots in force for a tenant: its own roots (those inside the server's), else
    /// the server's. A tenant other than the default one never gets "anywhere": with no
    /// roots configured at all, it may use no local path.
    pub fn for_tenant(&self, tenant_roots: &[String], is_default_tenant: bool) -> Self {
        if !tenant_roots.is_empty() {
            let own = tenant_roots.iter().map(PathBuf::from).filter(|r| self.allows_lexically(r));
            return FileRoots::only(own.collect());
        }
        match (&self.0, is_default_tenant) {
            (None, true) => FileRoots::anywhere(),
            (None, false) => FileRoots::only(Vec::new()),
            (Some(r), _) => FileRoots::only(r.clone()),
        }
    }

    /// Checks a location's URL: anything but `file://` passes.
    pub fn check_url(&self, url: &str) -> Result<(), String> {
        if self.0.is_none() {
            return Ok(());
        }
        let Ok(parsed) = parse_location(url) else { return Ok(()) };
        if parsed.scheme() != "file" {
            return Ok(());
        }
        let path = parsed.to_file_path().map_err(|_| format!("`{url}` is not a local path"))?;
        self.check(&path).map_err(|why| format!("`{url}` {why}"))
    }

    /// Checks a local path, before and after resolving symlinks.
    pub fn check(&self, path: &Path) -> Result<(), String> {
        let Some(roots) = &self.0 else { return Ok(()) };
        let shown = || {
            if roots.is_empty() {
                "no local paths are allowed here (no file roots are set for this tenant)".to_string()
            } else {
                let list: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
                format!("allowed file roots: {}", list.join(", "))
            }
        };
        if !self.allows_lexically(path) {
            return Err(format!("is outside the allowed file roots ({})", shown()));
        }
        if let Some(real) = resolved(path) {
            let real_roots: Vec<PathBuf> = roots.iter().map(|r| resolved(r).unwrap_or_else(|| r.clone())).collect();
            if !real_roots.iter().any(|r| real.starts_with(r)) {
                return Err(format!(
                    "resolves through a symlink to {}, outside the allowed file roots ({})",
                    real.display(),
                    shown()
                ));
            }
        }
        Ok(())
    }

    fn allows_lexically(&self, path: &Path) -> bool {
        match &self.0 {
            None => true,
            Some(roots) => roots.iter().any(|r| path.starts_with(r)),
        }
    }
}

/// The path with symlinks resolved, as far as it exists: the deepest existing ancestor
/// canonicalized, with the rest appended.
fn resolved(path: &Path) -> Option<PathBuf> {
    let mut existing = path;
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            out.extend(rest.iter().rev());
            return Some(out);
        }
        rest.push(existing.file_name()?.to_owned());
        existing = existing.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_a_root_pass_and_others_are_refused_naming_the_roots() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        std::fs::create_dir_all(root.join("in")).unwrap();
        let roots = FileRoots::only(vec![root.clone()]);
        assert!(roots.check(&root.join("in/file.csv")).is_ok());
        assert!(roots.check(&root.join("not/yet/there/")).is_ok());
        let err = roots.check(Path::new("/etc/passwd")).unwrap_err();
        assert!(err.contains("outside") && err.contains(&root.display().to_string()), "{err}");
        assert!(roots.check_url("s3://bucket/x").is_ok());
        assert!(roots.check_url("file:///etc/").unwrap_err().contains("file:///etc/"));
        assert!(FileRoots::anywhere().check(Path::new("/etc")).is_ok());
    }

    #[test]
    fn a_symlink_out_of_the_root_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let (root, outside) = (tmp.path().join("root"), tmp.path().join("outside"));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("escape")).unwrap();
        let err = FileRoots::only(vec![root.clone()]).check(&root.join("escape/data.csv")).unwrap_err();
        assert!(err.contains("symlink"), "{err}");
    }

    #[test]
    fn tenants_get_their_own_roots_within_the_servers() {
        let server = FileRoots::only(vec![PathBuf::from("/srv")]);
        let t = server.for_tenant(&["/srv/acme".into(), "/etc".into()], false);
        assert_eq!(t, FileRoots::only(vec![PathBuf::from("/srv/acme")]), "a tenant root outside the server's is dropped");
        assert_eq!(server.for_tenant(&[], false), server);
        assert_eq!(FileRoots::anywhere().for_tenant(&[], true), FileRoots::anywhere());
        assert_eq!(FileRoots::anywhere().for_tenant(&[], false), FileRoots::only(vec![]));
    }
}
