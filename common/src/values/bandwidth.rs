//! `bandwidth: "50MiB/s"`: a budget of bytes per second for a task or a whole pipeline,
//! written the way rclone's `--bwlimit` and AzCopy's `--cap-mbps` users think of it.

use super::byte_size::{format_amount, parse_amount};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A transfer budget in bytes per second (never 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bandwidth(pub u64);

impl Bandwidth {
    /// Bytes per second.
    pub fn bytes_per_sec(&self) -> u64 {
        self.0
    }

    /// Parses `"50MiB/s"`, `"10 MB/s"`, `"1GiB/s"` or `"65536B/s"` (the `/s` may be left out).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!("`{text}` is not a bandwidth; write a number and a unit per second, such as \"50MiB/s\", \"100MB/s\" or \"1GiB/s\"")
        };
        let t = text.trim();
        let t = t.strip_suffix("/s").unwrap_or(t).trim_end();
        let bytes = parse_amount(t).ok_or_else(bad)?;
        Ok(Bandwidth(bytes))
    }
}

impl std::fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/s", format_amount(self.0))
    }
}

impl Serialize for Bandwidth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Bandwidth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)
            .map_err(|_| serde::de::Error::custom("a bandwidth is text such as \"50MiB/s\""))?;
        Bandwidth::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_prints_them_back() {
        assert_eq!(Bandwidth::parse("50MiB/s").unwrap().0, 50 << 20);
        assert_eq!(Bandwidth::parse("10 MB/s").unwrap().0, 10_000_000);
        assert_eq!(Bandwidth::parse("1.5GiB").unwrap().0, 3 << 29);
        assert_eq!(Bandwidth::parse("512KiB/s").unwrap().to_string(), "512KiB/s");
        assert_eq!(Bandwidth::parse("10MB/s").unwrap().to_string(), "10000000B/s");
        for bad in ["fast", "50", "0MiB/s", "-1MB/s", "MiB/s"] {
            assert!(Bandwidth::parse(bad).is_err(), "{bad}");
        }
    }
}
