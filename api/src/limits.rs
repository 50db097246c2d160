//! The per-key request rate limit as configured (`FERRY_RATE_LIMIT`): plain data, read
//! by the state and the limiting middleware alike.

/// The environment variable setting the limit: `<per second>[/s][,<burst>]`, or `off`.
pub const RATE_LIMIT_ENV: &str = "FERRY_RATE_LIMIT";

/// Requests per second and burst allowed per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_sec: u32,
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit { per_sec: 50, burst: 100 }
    }
}

impl RateLimit {
    /// Reads `FERRY_RATE_LIMIT`: the default when unset, `None` for `off`.
    pub fn from_env() -> Result<Option<RateLimit>, String> {
        match std::env::var(RATE_LIMIT_ENV) {
            Ok(v) if !v.trim().is_empty() => RateLimit::parse(&v),
            _ => Ok(Some(RateLimit::default())),
        }
    }

    /// Parses `50/s,100`, `50,100`, `50` (burst twice the rate) or `off`.
    pub fn parse(text: &str) -> Result<Option<RateLimit>, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let bad = || format!("{RATE_LIMIT_ENV}=`{text}`: write `<requests per second>[,<burst>]`, e.g. `50/s,100`, or `off`");
        let (rate, burst) = match text.split_once(',') {
            Some((r, b)) => (r, Some(b)),
            None => (text, None),
        };
        let per_sec: u32 = rate.trim().trim_end_matches("/s").trim().parse().map_err(|_| bad())?;
        let burst: u32 = match burst {
            Some(b) => b.trim().parse().map_err(|_| bad())?,
            None => per_sec.saturating_mul(2),
        };
        if per_sec == 0 || burst == 0 {
            return Err(bad());
        }
        Ok(Some(RateLimit { per_sec, burst }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_as_written() {
        assert_eq!(RateLimit::parse("50/s,100").unwrap(), Some(RateLimit { per_sec: 50, burst: 100 }));
        assert_eq!(RateLimit::parse("5").unwrap(), Some(RateLimit { per_sec: 5, burst: 10 }));
        assert_eq!(RateLimit::parse("off").unwrap(), None);
        assert!(RateLimit::parse("fast").unwrap_err().contains("FERRY_RATE_LIMIT"));
        assert!(RateLimit::parse("0").is_err());
    }
}
