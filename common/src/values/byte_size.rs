//! Sizes written with units (`"1GiB"`, `"500MB"`), for `shard_bytes` and, with `/s`,
//! for bandwidths.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const UNITS: &[(&str, u64)] = &[
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("TB", 1_000_000_000_000),
    ("GB", 1_000_000_000),
    ("MB", 1_000_000),
    ("KB", 1_000),
    ("kB", 1_000),
    ("B", 1),
];

/// `"50MiB"` → bytes; `None` unless a number and a known unit, at least 1 byte.
pub(crate) fn parse_amount(text: &str) -> Option<u64> {
    let t = text.trim();
    let (number, factor) = UNITS
        .iter()
        .find_map(|(unit, factor)| t.strip_suffix(unit).map(|n| (n.trim(), *factor)))?;
    let n: f64 = number.parse().ok()?;
    let bytes = (n * factor as f64).round();
    (bytes >= 1.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// Bytes in the largest binary unit that divides them exactly (`52428800` → `50MiB`).
pub(crate) fn format_amount(bytes: u64) -> String {
    for (unit, factor) in UNITS.iter().filter(|(u, _)| u.ends_with("iB")) {
        if bytes % factor == 0 {
            return format!("{}{unit}", bytes / factor);
        }
    }
    format!("{bytes}B")
}

/// A size in bytes (never 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// Parses `"1GiB"`, `"500 MB"`, `"4096B"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        parse_amount(text).map(ByteSize).ok_or_else(|| {
            format!("`{text}` is not a size; write a number and a unit, such as \"1GiB\" or \"500MB\"")
        })
    }
}

impl std::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_amount(self.0))
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)
            .map_err(|_| serde::de::Error::custom("a size is text such as \"1GiB\""))?;
        ByteSize::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(ByteSize::parse("1GiB").unwrap().0, 1 << 30);
        assert_eq!(ByteSize::parse("500 MB").unwrap().0, 500_000_000);
        assert_eq!(ByteSize(3 << 20).to_string(), "3MiB");
        assert!(ByteSize::parse("lots").is_err() && ByteSize::parse("0B").is_err());
    }
}
