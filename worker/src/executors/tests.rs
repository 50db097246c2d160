use super::*;
use crate::test_support::ctx;
use ferry_common::executor::ExecError;
use ferry_common::spec::{NoopTask, TaskBody};

#[test]
fn defaults_register_an_executor_for_every_kind_under_its_name() {
    let r = Registry::with_defaults(StoreResolver::new());
    let mut names = ferry_common::kinds::KIND_NAMES.to_vec();
    names.sort_unstable();
    assert_eq!(r.kinds(), names);
    for name in names {
        assert_eq!(r.get(name).unwrap().kind(), name, "the executor registered for `{name}`");
    }
    assert!(r.get("rsync").is_none());
    assert!(Registry::new().kinds().is_empty());
}

#[tokio::test]
async fn noop_returns_an_empty_object() {
    let r = Registry::with_defaults(StoreResolver::new());
    let out = r
        .get("noop")
        .unwrap()
        .execute(&ctx(), &TaskBody::Noop(NoopTask {}))
        .await
        .unwrap();
    assert_eq!(out.result, serde_json::json!({}));
    assert_eq!(out.report, None);
}

#[tokio::test]
async fn a_body_of_another_kind_is_fatal() {
    let r = Registry::with_defaults(StoreResolver::new());
    let e = r
        .get("copy")
        .unwrap()
        .execute(&ctx(), &TaskBody::Noop(NoopTask {}))
        .await
        .unwrap_err();
    assert!(matches!(e, ExecError::Fatal(m) if m.contains("noop")));
}
