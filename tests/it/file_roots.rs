//! Allowed file roots at run time: a pipeline accepted under `FERRY_FILE_ROOTS` whose
//! source is swapped for a symlink leading outside before the run starts is refused when
//! the run starts, naming the location and the roots, and nothing is copied.

use crate::app::spawn_app_with;
use serde_json::{Value, json};

#[tokio::test]
async fn a_symlink_made_after_validation_is_refused_when_the_task_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, outside) = (tmp.path().join("root"), tmp.path().join("outside"));
    std::fs::create_dir_all(root.join("in")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "not yours").unwrap();
    let roots = root.display().to_string();
    let app = spawn_app_with(&tmp.path().join("data"), &[("FERRY_FILE_ROOTS", roots.as_str())]);
    let spec = json!({"name": "rooted", "tasks": [{"id": "c", "kind": "copy",
        "source": format!("{}/in/", root.display()), "destination": format!("{}/out/", root.display()),
        "retries": {"max": 3}}]});
    let res = app.post_json("/api/v1/pipelines", &spec).await;
    assert_eq!(res.status(), 201);
    let pipeline: Value = res.json().await.unwrap();
    let outside_spec = json!({"name": "out", "tasks": [{"id": "c", "kind": "copy", "source": "/etc/hostname", "destination": format!("{}/out/", root.display())}]});
    assert_eq!(app.post_json("/api/v1/pipelines", &outside_spec).await.status(), 422, "outside the roots at validation");

    std::fs::remove_dir(root.join("in")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("in")).unwrap();
    let run = app.wait_run(&app.start_run(&pipeline).await).await;
    assert_eq!(run["state"], "failed", "{run}");
    // The embedded orchestrator checks the stored spec again when it plans the run (the
    // distributed one leaves it to the worker, which checks before the attempt starts).
    let tasks: Value = app.get(&format!("/api/v1/runs/{}/tasks", run["id"].as_str().unwrap())).await.json().await.unwrap();
    let error = match tasks["items"].as_array().and_then(|t| t.first()) {
        Some(task) => {
            assert_eq!(task["attempt"], 1, "permanent: not retried: {task}");
            assert_eq!(task["failure"]["class"], "permanent");
            task["error"].as_str().unwrap().to_string()
        }
        None => run["error"].as_str().unwrap().to_string(),
    };
    assert!(error.contains("symlink") && error.contains(&roots), "{error}");
    assert!(!root.join("out/secret.txt").exists(), "nothing from outside was copied");
}
