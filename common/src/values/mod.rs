//! The value types spec fields are written in (`50MiB/s`, `8GiB`, `2h`, `5%`): each parses
//! the human form, serializes back to it, and refuses a malformed one with a sentence.
//! They depend on nothing else in the crate, so kinds and the pipeline spec both use them.

mod bandwidth;
mod byte_size;
mod duration;
mod max_delete;
mod versions;

pub use bandwidth::Bandwidth;
pub use byte_size::ByteSize;
pub use duration::HumanDuration;
pub use max_delete::MaxDelete;
pub use versions::Versions;

/// Whether `name` may name a dataset (it appears in URLs and conditions).
pub fn is_dataset_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 128 && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
