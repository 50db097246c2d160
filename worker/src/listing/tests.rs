use super::*;
use crate::stores::StoreResolver;
use ferry_common::spec::Location;
use std::fs;

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (p, body) in [
        ("a.csv", "1"),
        ("b.txt", "22"),
        ("sub/c.csv", "333"),
        ("sub/_tmp/d.csv", "4444"),
    ] {
        let full = dir.path().join(p);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, body).unwrap();
    }
    dir
}

async fn list_url(url: &str, include: &[&str], exclude: &[&str]) -> Listing {
    let r = StoreResolver::new()
        .resolve_full(&Location::url(url))
        .unwrap();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let f = Filter::new(&s(include), &s(exclude)).unwrap();
    list(&r, &f).await.unwrap()
}

fn paths(l: &Listing) -> Vec<&str> {
    l.entries.iter().map(|e| e.rel_path.as_str()).collect()
}

#[tokio::test]
async fn lists_recursively_sorted_with_sizes() {
    let d = tree();
    let url = format!("file://{}/", d.path().display());
    let l = list_url(&url, &[], &[]).await;
    assert_eq!(paths(&l), ["a.csv", "b.txt", "sub/_tmp/d.csv", "sub/c.csv"]);
    assert_eq!(l.entries[1].size, 2);
    assert_eq!(l.total_bytes(), 10);
    assert!(l.exists && !l.single_object);
    // Without the trailing slash a folder is still a prefix.
    let l = list_url(&format!("file://{}", d.path().display()), &[], &[]).await;
    assert_eq!(l.entries.len(), 4);
}

#[tokio::test]
async fn include_and_exclude_globs_match_relative_paths() {
    let d = tree();
    let url = format!("file://{}/", d.path().display());
    assert_eq!(paths(&list_url(&url, &["*.csv"], &[]).await), ["a.csv"]);
    assert_eq!(
        paths(&list_url(&url, &["**/*.csv"], &["**/_tmp/**"]).await),
        ["a.csv", "sub/c.csv"]
    );
    assert_eq!(
        paths(&list_url(&url, &[], &["sub/**"]).await),
        ["a.csv", "b.txt"]
    );
}

#[tokio::test]
async fn a_single_object_lists_as_its_file_name() {
    let d = tree();
    let l = list_url(
        &format!("file://{}/sub/c.csv", d.path().display()),
        &[],
        &[],
    )
    .await;
    assert!(l.single_object);
    assert_eq!(paths(&l), ["c.csv"]);
    assert_eq!(l.entries[0].size, 3);
}

#[tokio::test]
async fn missing_and_empty_locations() {
    let d = tree();
    let l = list_url(&format!("file://{}/nope/", d.path().display()), &[], &[]).await;
    assert!(!l.exists && l.entries.is_empty());
    let l = list_url(&format!("file://{}/nope.csv", d.path().display()), &[], &[]).await;
    assert!(!l.exists);
    fs::create_dir(d.path().join("empty")).unwrap();
    let l = list_url(&format!("file://{}/empty/", d.path().display()), &[], &[]).await;
    assert!(l.exists && l.entries.is_empty());
    // Filtered away is not missing.
    let l = list_url(
        &format!("file://{}/", d.path().display()),
        &["*.parquet"],
        &[],
    )
    .await;
    assert!(l.exists && l.entries.is_empty());
}

#[tokio::test]
async fn a_prefix_does_not_match_a_longer_sibling_name() {
    let d = tree();
    fs::create_dir_all(d.path().join("subway")).unwrap();
    fs::write(d.path().join("subway/x"), "x").unwrap();
    let l = list_url(&format!("file://{}/sub", d.path().display()), &[], &[]).await;
    assert_eq!(paths(&l), ["_tmp/d.csv", "c.csv"]);
}

#[test]
fn join_builds_destination_paths() {
    assert_eq!(
        join(&Path::from("out/x"), "a/b.csv").unwrap().as_ref(),
        "out/x/a/b.csv"
    );
    assert_eq!(join(&Path::ROOT, "a.csv").unwrap().as_ref(), "a.csv");
}

#[test]
fn bad_globs_are_reported() {
    let e = Filter::new(&["a[".to_string()], &[]).unwrap_err();
    assert!(e.to_string().contains("bad glob `a[`"), "{e}");
}

async fn sorted_paths(url: &str) -> Vec<String> {
    use futures::TryStreamExt;
    let r = StoreResolver::new().resolve_full(&Location::url(url)).unwrap();
    sorted_entries(&r, &Filter::all())
        .map_ok(|e| e.rel_path)
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn local_walks_come_out_in_byte_order_without_staging_files() {
    let d = tempfile::tempdir().unwrap();
    for p in ["a/b", "a.txt", "a-z/c", "B", "a/b#12", "z/y/x", "a0"] {
        let full = d.path().join(p);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, "x").unwrap();
    }
    let got = sorted_paths(&format!("file://{}/", d.path().display())).await;
    let mut want: Vec<String> = ["a/b", "a.txt", "a-z/c", "B", "z/y/x", "a0"].iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "the same order object stores list in");
    assert!(sorted_paths(&format!("file://{}/missing/", d.path().display())).await.is_empty());
}

#[tokio::test]
async fn a_merge_pairs_paths_across_listings() {
    let (src, dst) = (tree(), tempfile::tempdir().unwrap());
    fs::write(dst.path().join("a.csv"), "1").unwrap();
    fs::write(dst.path().join("zz.csv"), "9").unwrap();
    let r = StoreResolver::new();
    let loc = |p: &std::path::Path| r.resolve_full(&Location::url(format!("file://{}/", p.display()))).unwrap();
    let (s, d) = (loc(src.path()), loc(dst.path()));
    let mut m = Merge::new(sorted_entries(&s, &Filter::all()), vec![sorted_entries(&d, &Filter::all())], vec!["s".into(), "d".into()]);
    let mut rows = Vec::new();
    while let Some(row) = m.next().await.unwrap() {
        let path = row.source.as_ref().or(row.dests[0].as_ref()).unwrap().rel_path.clone();
        rows.push((path, row.source.is_some(), row.dests[0].is_some()));
    }
    let rows: Vec<(&str, bool, bool)> = rows.iter().map(|(p, s, d)| (p.as_str(), *s, *d)).collect();
    assert_eq!(
        rows,
        [("a.csv", true, true), ("b.txt", true, false), ("sub/_tmp/d.csv", true, false), ("sub/c.csv", true, false), ("zz.csv", false, true)]
    );
}
