//! A 5-field crontab line in the cron crate's syntax. The crate wants seconds first and
//! numbers days of the week 1 (Sunday) to 7 (Saturday); crontab has no seconds and
//! numbers them 0 (Sunday) to 6, with 7 also Sunday. Only the day-of-week field needs
//! translating; names (`Mon-Fri`) mean the same in both.

/// The expression in the cron crate's syntax: 6- or 7-field expressions and `@daily`-style
/// macros as they are, a 5-field line translated.
pub fn to_cron_crate(expr: &str) -> Result<String, String> {
    let expr = expr.trim();
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if expr.starts_with('@') || fields.len() == 6 || fields.len() == 7 {
        return Ok(expr.to_string());
    }
    if fields.len() != 5 {
        return Err(format!(
            "`{expr}` has {} fields; write a crontab line (5 fields: minute hour day month weekday) or the cron crate's 6 or 7 (seconds first)",
            fields.len()
        ));
    }
    let dow = day_of_week(fields[4]).map_err(|e| format!("`{expr}`: {e}"))?;
    Ok(format!("0 {} {} {} {} {dow}", fields[0], fields[1], fields[2], fields[3]))
}

fn day_of_week(field: &str) -> Result<String, String> {
    let mut parts = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        let translated = if range == "*" || range == "?" {
            range.to_string()
        } else if let Some((a, b)) = range.split_once('-') {
            match (num(a)?, num(b)?) {
                (Some(a), Some(b)) if b == 7 && a > 0 && step.is_none() => {
                    // Up to Sunday written as 7: the crate's Sunday is 1, so split.
                    format!("{}-7,1", a + 1)
                }
                (Some(a), Some(b)) => format!("{}-{}", shift(a), shift(b)),
                _ => range.to_string(),
            }
        } else {
            match num(range)? {
                Some(n) => shift(n).to_string(),
                None => range.to_string(),
            }
        };
        parts.push(match step {
            Some(s) => format!("{translated}/{s}"),
            None => translated,
        });
    }
    Ok(parts.join(","))
}

/// A day number, or `None` for a name.
fn num(s: &str) -> Result<Option<u8>, String> {
    if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
        let n: u8 = s.parse().map_err(|_| format!("`{s}` is not a day of the week"))?;
        if n > 7 {
            return Err(format!("day of week `{n}` is out of 0-7"));
        }
        Ok(Some(n))
    } else {
        Ok(None)
    }
}

fn shift(n: u8) -> u8 {
    if n == 7 { 1 } else { n + 1 }
}
