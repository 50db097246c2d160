//! The admin API key: from `FERRY_ADMIN_KEY`, else the one generated into the data dir
//! on first start (printed once, then only read back).

use anyhow::Context;
use ferry_common::secret::Secret;
use rand::Rng;
use std::path::Path;

/// The key in force, and whether it was generated just now (so the caller prints it).
pub fn load_or_create(configured: Option<Secret>, data_dir: &Path) -> anyhow::Result<(Secret, bool)> {
    if let Some(key) = configured {
        return Ok((key, false));
    }
    let path = data_dir.join("admin.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let key = existing.trim().to_string();
        if !key.is_empty() {
            return Ok((Secret::new(key), false));
        }
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let bytes: [u8; 24] = rand::rng().random();
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let key = format!("fy_{key}");
    write_private(&path, &key).with_context(|| format!("writing {}", path.display()))?;
    Ok((Secret::new(key), true))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
