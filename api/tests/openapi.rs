//! `openapi.yaml` at the workspace root must be what the code generates.

use std::path::Path;

#[test]
fn openapi_is_fresh() {
    // The workspace root, where `openapi.yaml` is committed.
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the api crate sits inside the workspace")
        .join("openapi.yaml");
    let generated = ferry_api::openapi_yaml();
    assert!(
        generated.contains("/api/v1/pipelines"),
        "the generated document lists no routes"
    );
    if std::env::var("FERRY_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale (or missing): the API changed. Regenerate it with\n\n    \
         FERRY_UPDATE_OPENAPI=1 cargo test -p ferry-api --test openapi\n\nand commit the result.",
        path.display()
    );
}

#[test]
fn every_v1_operation_requires_the_bearer_key() {
    let doc = ferry_api::openapi();
    let json = serde_json::to_value(&doc).unwrap();
    assert!(json["components"]["securitySchemes"]["bearer"].is_object());
    for (path, item) in json["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let secured = op.get("security").is_some();
            assert_eq!(secured, path.starts_with("/api/v1"), "{method} {path}");
        }
    }
}

#[test]
fn the_task_kind_pattern_names_every_registered_kind() {
    // The pattern is written out in `dto::TaskSpec` (schema attributes take literals);
    // this keeps it equal to the one kind list.
    let doc: serde_json::Value = yaml_serde::from_str(&ferry_api::openapi_yaml()).unwrap();
    let pattern = doc["components"]["schemas"]["TaskSpec"]["properties"]["kind"]["pattern"].as_str().unwrap().to_string();
    let expected = format!("^({})$", ferry_common::kinds::KIND_NAMES.join("|"));
    assert_eq!(pattern, expected, "add the new kind to the `kind` pattern of api/src/dto.rs TaskSpec");
}
