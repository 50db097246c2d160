//! Where Ferry keeps its state when nobody says: `FERRY_DATA_DIR`, else the XDG data
//! folder, so `ferry run` from any folder sees the same history.

use std::path::PathBuf;

/// The default data folder.
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("ferry");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/ferry");
    }
    PathBuf::from(".ferry")
}
