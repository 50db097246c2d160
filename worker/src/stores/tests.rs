use super::*;

#[test]
fn file_urls_resolve_to_the_root_filesystem_with_a_decoded_prefix() {
    let r = StoreResolver::new();
    let (_, prefix) = r.resolve(&Location::url("file:///tmp/a%20b/c/")).unwrap();
    assert_eq!(prefix.as_ref(), "tmp/a b/c");
    let full = r.resolve_full(&Location::url("/tmp/x/")).unwrap();
    assert_eq!(full.prefix.as_ref(), "tmp/x");
    assert!(full.explicit_prefix);
    assert!(
        !r.resolve_full(&Location::url("file:///tmp/x.csv"))
            .unwrap()
            .explicit_prefix
    );
}

#[test]
fn stores_are_cached_and_memory_names_are_shared() {
    let r = StoreResolver::new();
    let (a, _) = r.resolve(&Location::url("file:///a/")).unwrap();
    let (b, _) = r.resolve(&Location::url("file:///b/")).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let (m1, p) = r
        .resolve(&Location::url("memory://stores-test/x/y"))
        .unwrap();
    let (m2, _) = StoreResolver::new()
        .resolve(&Location::url("memory://stores-test/"))
        .unwrap();
    assert!(Arc::ptr_eq(&m1, &m2));
    assert_eq!(p.as_ref(), "x/y");
    let (other, _) = r
        .resolve(&Location::url("memory://stores-test-other/"))
        .unwrap();
    assert!(!Arc::ptr_eq(&m1, &other));
}

#[test]
fn connections_and_bad_urls_are_refused() {
    let r = StoreResolver::new();
    let loc = Location {
        url: "s3://b/p/".into(),
        connection: Some("prod".into()),
    };
    let e = r.resolve(&loc).unwrap_err();
    assert!(
        e.to_string().contains("connection `prod`, which is not defined here")
            && e.to_string().contains("FERRY_CONNECTIONS"),
        "{e}"
    );
    assert!(!e.is_retryable());
    let e = r.resolve(&Location::url("ftp://x/y")).unwrap_err();
    assert!(matches!(e, WorkerError::InvalidLocation { .. }), "{e}");
    let e = r.resolve(&Location::url("relative/path")).unwrap_err();
    assert!(!e.is_retryable());
}

#[test]
fn cloud_cache_keys_keep_buckets_apart() {
    let k = |s: &str| cache_key(&Url::parse(s).unwrap());
    assert_eq!(k("s3://lake/raw/x"), k("s3://lake/other/"));
    assert_ne!(k("s3://lake/raw/"), k("s3://pond/raw/"));
    assert_ne!(
        k("https://acct.blob.core.windows.net/c1/x"),
        k("https://acct.blob.core.windows.net/c2/x")
    );
}

#[test]
fn connections_configure_their_store_and_only_object_stores() {
    let mut conns = crate::Connections::none();
    let opts = |pairs: &[(&str, &str)]| crate::Connection {
        options: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    };
    conns.insert("lake", opts(&[("endpoint", "http://127.0.0.1:1"), ("region", "us-east-1"), ("allow_http", "true")]));
    conns.insert("typo", opts(&[("endpiont", "http://127.0.0.1:1")]));
    let r = StoreResolver::with_connections(conns);
    let at = |url: &str, c: &str| Location { url: url.into(), connection: Some(c.into()) };
    let (store, prefix) = r.resolve(&at("s3://bucket/raw/", "lake")).unwrap();
    assert_eq!(prefix.as_ref(), "raw");
    assert!(format!("{store}").contains("bucket"), "{store}");
    let e = r.resolve(&at("s3://bucket/raw/", "typo")).unwrap_err().to_string();
    assert!(e.contains("unknown option `endpiont`"), "{e}");
    let e = r.resolve(&at("s3://bucket/raw/", "nope")).unwrap_err().to_string();
    assert!(e.contains("defined: lake, typo"), "{e}");
    let e = r.resolve(&at("file:///tmp/x/", "lake")).unwrap_err().to_string();
    assert!(e.contains("file:// locations take no connection"), "{e}");
}
