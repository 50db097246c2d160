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
