//! The `ferry` package's library half: how the roles are assembled into a process. The
//! binary (`main.rs`) parses the command line and calls in here; the integration tests
//! use the same assembly.

pub mod admin_key;
pub mod data_dir;
pub mod distributed;
pub mod embedded;
