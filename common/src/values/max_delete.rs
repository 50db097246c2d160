//! `max_delete`: how much a mirror may delete before it refuses, written as a count
//! (`100`) or a share of the destination's files (`"5%"`), as rclone's `--max-delete`
//! and LiveData Migrator's safety limits let operators bound a sync gone wrong.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The most files one destination of a mirror may lose in one attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxDelete {
    /// At most this many files.
    Count(u64),
    /// At most this percentage (0–100) of the files the destination held before.
    Percent(f64),
}

impl MaxDelete {
    /// Whether deleting `deleting` of the `held` files a destination has is within bounds.
    pub fn allows(&self, deleting: u64, held: u64) -> bool {
        match *self {
            MaxDelete::Count(n) => deleting <= n,
            MaxDelete::Percent(p) => held == 0 || deleting as f64 * 100.0 <= p * held as f64,
        }
    }
}

impl std::fmt::Display for MaxDelete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaxDelete::Count(n) => write!(f, "{n} files"),
            MaxDelete::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl Serialize for MaxDelete {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MaxDelete::Count(n) => s.serialize_u64(*n),
            MaxDelete::Percent(p) => s.serialize_str(&format!("{p}%")),
        }
    }
}

/// What the spec text may hold: a number, or text with a number or a percentage.
#[derive(Deserialize)]
#[serde(untagged)]
enum Written {
    Count(u64),
    Text(String),
}

impl<'de> Deserialize<'de> for MaxDelete {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bad = |text: &str| {
            serde::de::Error::custom(format!(
                "`{text}` is not a deletion limit; write a count of files (`100`) or a percentage from 0% to 100% (`5%`)"
            ))
        };
        match Written::deserialize(d).map_err(|_| bad("this value"))? {
            Written::Count(n) => Ok(MaxDelete::Count(n)),
            Written::Text(text) => {
                let t = text.trim();
                if let Some(p) = t.strip_suffix('%') {
                    match p.trim().parse::<f64>() {
                        Ok(p) if (0.0..=100.0).contains(&p) => Ok(MaxDelete::Percent(p)),
                        _ => Err(bad(&text)),
                    }
                } else {
                    t.parse::<u64>().map(MaxDelete::Count).map_err(|_| bad(&text))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MaxDelete;

    fn parse(v: serde_json::Value) -> Result<MaxDelete, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn counts_and_percentages_parse_and_round_trip() {
        assert_eq!(parse(serde_json::json!(10)), Ok(MaxDelete::Count(10)));
        assert_eq!(parse(serde_json::json!("10")), Ok(MaxDelete::Count(10)));
        assert_eq!(parse(serde_json::json!("2.5%")), Ok(MaxDelete::Percent(2.5)));
        assert_eq!(serde_json::to_value(MaxDelete::Percent(5.0)).unwrap(), serde_json::json!("5%"));
        assert_eq!(serde_json::to_value(MaxDelete::Count(3)).unwrap(), serde_json::json!(3));
        for bad in [serde_json::json!("lots"), serde_json::json!("150%"), serde_json::json!(-1), serde_json::json!(true)] {
            let e = parse(bad.clone()).expect_err("refused");
            assert!(e.contains("deletion limit"), "{bad}: {e}");
        }
    }

    #[test]
    fn limits_compare_with_the_files_held() {
        assert!(MaxDelete::Count(2).allows(2, 100));
        assert!(!MaxDelete::Count(2).allows(3, 100));
        assert!(MaxDelete::Percent(10.0).allows(10, 100));
        assert!(!MaxDelete::Percent(10.0).allows(11, 100));
        assert!(MaxDelete::Percent(0.0).allows(0, 0));
    }
}
