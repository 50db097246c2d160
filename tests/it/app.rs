//! `spawn_app()`: a real `ferry standalone` on a random port with its own data folder.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The admin key the tests start the server with.
pub(crate) const KEY: &str = "test-admin-key";

/// A running server; killed on drop.
pub(crate) struct App {
    pub(crate) base: String,
    #[allow(dead_code)] // kept for tests that inspect the data dir
    pub(crate) data_dir: PathBuf,
    pub(crate) client: reqwest::Client,
    child: Child,
}

/// The built binary under test.
pub(crate) fn ferry() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
    cmd.env_remove("FERRY_DATABASE_URL").env("FERRY_LOG", "warn");
    cmd
}

/// Starts a server on a fresh data folder.
pub(crate) fn spawn_app(data_dir: &Path) -> App {
    spawn_app_with(data_dir, &[])
}

/// Starts a server on a fresh data folder with more environment (worker concurrency,
/// a connections file, …).
pub(crate) fn spawn_app_with(data_dir: &Path, env: &[(&str, &str)]) -> App {
    let mut cmd = ferry();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .args(["standalone", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("FERRY_ADMIN_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn ferry standalone");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("ferry standalone exited before listening")
            .expect("read stdout");
        if let Some(rest) = line.strip_prefix("listening on ") {
            break rest.split_whitespace().next().expect("address").to_string();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    App {
        base,
        data_dir: data_dir.to_path_buf(),
        client: reqwest::Client::new(),
        child,
    }
}

impl App {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(KEY).send().await.expect("GET")
    }

    pub(crate) async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(KEY).json(body).send().await.expect("POST")
    }

    /// Creates a pipeline from `spec`, starts a run of it and waits for the run to end;
    /// the pipeline and the finished run.
    pub(crate) async fn create_and_run(&self, spec: &serde_json::Value) -> (serde_json::Value, serde_json::Value) {
        let pipeline: serde_json::Value = self.post_json("/api/v1/pipelines", spec).await.json().await.expect("pipeline json");
        let pid = pipeline["id"].as_str().expect("pipeline id");
        let run: serde_json::Value =
            self.post_json(&format!("/api/v1/pipelines/{pid}/runs"), &serde_json::json!({})).await.json().await.expect("run json");
        let run = self.wait_run(run["id"].as_str().expect("run id")).await;
        (pipeline, run)
    }

    /// Stores a pipeline, which must be accepted; its id.
    pub(crate) async fn create_pipeline(&self, spec: &serde_json::Value) -> String {
        let res = self.post_json("/api/v1/pipelines", spec).await;
        let status = res.status();
        let body: serde_json::Value = res.json().await.expect("pipeline json");
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("pipeline id").to_string()
    }

    /// The runs of a pipeline, newest first (one page).
    pub(crate) async fn runs_of(&self, pipeline: &str) -> Vec<serde_json::Value> {
        let page: serde_json::Value = self.get(&format!("/api/v1/runs?pipeline_id={pipeline}")).await.json().await.expect("runs json");
        page["items"].as_array().cloned().unwrap_or_default()
    }

    /// Starts a run of `pipeline` (a created pipeline's JSON); the run's id.
    pub(crate) async fn start_run(&self, pipeline: &serde_json::Value) -> String {
        let path = format!("/api/v1/pipelines/{}/runs", pipeline["id"].as_str().expect("pipeline id"));
        let run: serde_json::Value = self.post_json(&path, &serde_json::json!({})).await.json().await.expect("run json");
        run["id"].as_str().expect("run id").to_string()
    }

    /// Polls a run until it reaches a terminal state.
    pub(crate) async fn wait_run(&self, run_id: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let run: serde_json::Value = self.get(&format!("/api/v1/runs/{run_id}")).await.json().await.expect("run json");
            let state = run["state"].as_str().unwrap_or_default().to_string();
            if ["succeeded", "failed", "cancelled"].contains(&state.as_str()) {
                return run;
            }
            assert!(Instant::now() < deadline, "run {run_id} still {state} after 60 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server the way an operator would (SIGTERM) and waits for it.
    pub(crate) fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
