//! A stack's API, reached over HTTP as a client would, with the stack's key.

use super::{KEY, Stack};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

impl Stack {

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET → (status, JSON body or Null).
    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        match self.client.get(self.url(path)).bearer_auth(KEY).timeout(Duration::from_secs(10)).send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                (status, res.json().await.unwrap_or(Value::Null))
            }
            Err(e) => (0, json!({"transport_error": e.to_string()})),
        }
    }

    /// GET that must answer 200 within `timeout` (retrying while servers recover).
    pub(crate) async fn get_ok(&self, path: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let (status, body) = self.get(path).await;
            if status == 200 {
                return body;
            }
            assert!(Instant::now() < deadline, "GET {path}: {status} {body}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(KEY)
            .json(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Creates the pipeline and starts a run of it; returns the run id.
    pub(crate) async fn start_run(&self, spec: &Value) -> String {
        let (s, pipeline) = self.post_json("/api/v1/pipelines", spec).await;
        assert_eq!(s, 201, "create pipeline: {pipeline}");
        let pid = pipeline["id"].as_str().expect("pipeline id");
        let (s, run) = self.post_json(&format!("/api/v1/pipelines/{pid}/runs"), &json!({})).await;
        assert_eq!(s, 202, "start run: {run}");
        run["id"].as_str().expect("run id").to_string()
    }

    /// The run (None while the API cannot answer).
    pub(crate) async fn run(&self, run_id: &str) -> Option<Value> {
        let (s, run) = self.get(&format!("/api/v1/runs/{run_id}")).await;
        (s == 200).then_some(run)
    }

    /// Polls the run until it is terminal; panics with the task states and the logs
    /// when `timeout` passes first.
    pub(crate) async fn wait_run(&self, run_id: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        let mut last = Value::Null;
        loop {
            if let Some(run) = self.run(run_id).await {
                if ["succeeded", "failed", "cancelled"].contains(&run["state"].as_str().unwrap_or_default()) {
                    return run;
                }
                last = run;
            }
            if Instant::now() > deadline {
                let tasks = self.tasks(run_id).await;
                let mut by_state = std::collections::BTreeMap::<String, usize>::new();
                for t in &tasks {
                    *by_state.entry(format!("{}", t["state"])).or_default() += 1;
                }
                let unfinished: Vec<String> = tasks
                    .iter()
                    .filter(|t| t["state"] != "succeeded")
                    .take(10)
                    .map(|t| format!("{} {} attempt {}", t["key"], t["state"], t["attempt"]))
                    .collect();
                let (_, workers) = self.get("/api/v1/workers").await;
                panic!(
                    "run {run_id} not finished after {timeout:?}: {last}\ntasks by state: {by_state:?}\n\
                     unfinished (first 10): {unfinished:#?}\nworkers: {workers}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every task of the run (all pages).
    pub(crate) async fn tasks(&self, run_id: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/runs/{run_id}/tasks?limit=500&cursor={c}"),
                None => format!("/api/v1/runs/{run_id}/tasks?limit=500"),
            };
            let page = self.get_ok(&path, Duration::from_secs(30)).await;
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(c) if !c.is_empty() => cursor = Some(c.to_string()),
                _ => return items,
            }
        }
    }

    /// `/api/v1/workers` items (empty while the API cannot answer).
    pub(crate) async fn workers(&self) -> Vec<Value> {
        let (s, body) = self.get("/api/v1/workers").await;
        if s != 200 {
            return Vec::new();
        }
        body["items"].as_array().cloned().unwrap_or_default()
    }
}
