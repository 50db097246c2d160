use super::*;
use chrono::{DateTime, TimeZone, Utc};
use object_store::path::Path;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn entry(size: u64, t: i64) -> Entry {
    Entry {
        rel_path: "f".into(),
        location: Path::from("f"),
        size,
        last_modified: at(t),
        e_tag: None,
    }
}

use Decision::*;
use Overwrite as O;

/// (size, seconds after an epoch) of one side.
type Side = (u64, i64);

#[test]
fn metadata_decisions() {
    // (mode, source, destination, expected)
    let table: &[(O, Side, Option<Side>, Decision)] = &[
        (O::Skip, (10, 0), None, Copy),
        (O::Skip, (10, 0), Some((10, 0)), Skip),
        (O::Skip, (10, 5), Some((10, 0)), Skip),
        (O::Skip, (10, 0), Some((9, 0)), Copy),
        (O::Overwrite, (10, 0), None, Copy),
        (O::Overwrite, (10, 0), Some((10, 0)), Copy),
        (O::Overwrite, (10, 0), Some((10, 9)), Copy),
        (O::Newer, (10, 0), None, Copy),
        (O::Newer, (10, 5), Some((10, 0)), Copy),
        (O::Newer, (10, 0), Some((10, 5)), Skip),
        (O::Newer, (10, 0), Some((3, 5)), Skip),
        (O::Newer, (10, 0), Some((10, 0)), Skip),
        (O::Newer, (10, 0), Some((3, 0)), Copy),
        (O::Checksum, (10, 0), None, Copy),
        (O::Checksum, (10, 0), Some((11, 0)), Copy),
        (O::Checksum, (10, 0), Some((10, 0)), NeedsChecksum),
        (O::Checksum, (10, 9), Some((10, 0)), NeedsChecksum),
    ];
    for (i, (mode, (ss, st), dst, want)) in table.iter().enumerate() {
        let src = entry(*ss, *st);
        let dst = dst.map(|(s, t)| entry(s, t));
        assert_eq!(
            decide(*mode, &src, dst.as_ref()),
            *want,
            "row {i}: {mode:?}"
        );
    }
}

#[test]
fn hash_decisions() {
    let a = blake3::hash(b"a");
    let b = blake3::hash(b"b");
    for (x, y, want) in [(a, a, Skip), (a, b, Copy), (b, a, Copy)] {
        assert_eq!(decide_by_hash(&x, &y), want);
    }
}

#[test]
fn reasons_name_what_decided() {
    let (s, same, bigger, newer) = (entry(10, 5), entry(10, 5), entry(11, 5), entry(10, 9));
    assert_eq!(reason(O::Skip, &s, None, Copy), "missing at the destination");
    assert_eq!(reason(O::Skip, &s, Some(&same), Skip), "same size");
    assert_eq!(reason(O::Skip, &s, Some(&bigger), Copy), "size differs");
    assert_eq!(reason(O::Overwrite, &s, Some(&same), Copy), "overwrite: every file is replaced");
    assert_eq!(reason(O::Newer, &entry(10, 9), Some(&same), Copy), "source is newer");
    assert_eq!(reason(O::Newer, &s, Some(&newer), Skip), "destination is as new or newer");
    assert_eq!(reason(O::Checksum, &s, Some(&same), Copy), "content differs (BLAKE3)");
    assert_eq!(reason(O::Checksum, &s, Some(&same), Skip), "same content (BLAKE3)");
}
