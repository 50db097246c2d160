//! What a notification says. The event document is built once, when the event is routed
//! (so every channel and every retry carries the same bytes); email and Slack are
//! renderings of it.

use chrono::{DateTime, Utc};
use ferry_store::{EventRow, RunRow};
use serde_json::{Value, json};

/// What routing looked up about an event's pipeline and run.
#[derive(Debug, Clone, Default)]
pub struct EventContext {
    pub pipeline_name: Option<String>,
    pub run: Option<RunRow>,
    /// The run's failed tasks: key and error.
    pub failed_tasks: Vec<(String, Option<String>)>,
}

/// The document every channel is sent for `event`: its id and type, the pipeline, the
/// run (with its URL), the task it is about, the failed tasks, the detail its writer
/// recorded, and a one-line summary.
pub fn document(event: &EventRow, ctx: &EventContext, public_url: &str) -> Value {
    let base = public_url.trim_end_matches('/');
    let run = ctx.run.as_ref().map(|r| {
        json!({
            "id": r.id,
            "state": r.state.as_str(),
            "url": format!("{base}/api/v1/runs/{}", r.id),
            "error": r.error,
            "trigger": r.trigger.kind.as_str(),
            "logical_time": r.trigger.logical_time,
            "created_at": r.created_at,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
        })
    });
    let run = run.or_else(|| event.run_id.map(|id| json!({"id": id, "url": format!("{base}/api/v1/runs/{id}")})));
    let task = event.task_id.map(|id| {
        json!({
            "id": id,
            "key": event.detail.get("task"),
            "attempt": event.detail.get("attempt"),
            "error": event.detail.get("error"),
        })
    });
    let failed: Vec<Value> = ctx.failed_tasks.iter().map(|(key, error)| json!({"key": key, "error": error})).collect();
    let mut doc = json!({
        "id": event.id,
        "type": event.kind,
        "at": event.created_at,
        "tenant_id": event.tenant_id,
        "pipeline": event.pipeline_id.map(|id| json!({"id": id, "name": ctx.pipeline_name})),
        "run": run,
        "task": task,
        "failed_tasks": failed,
        "detail": event.detail,
    });
    let line = summary(&doc);
    doc["summary"] = Value::String(line);
    doc
}

/// The test event `POST /api/v1/channels/{name}/test` sends.
pub fn test_document(event_id: uuid::Uuid, tenant: uuid::Uuid, channel: &str, at: DateTime<Utc>) -> Value {
    json!({
        "id": event_id,
        "type": "channel.test",
        "at": at,
        "tenant_id": tenant,
        "pipeline": null,
        "run": null,
        "task": null,
        "failed_tasks": [],
        "detail": {"channel": channel},
        "summary": format!("Ferry test notification for channel `{channel}`"),
    })
}

fn text<'a>(doc: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(doc, |v, k| v.get(k)).and_then(Value::as_str)
}

/// One line: what happened to what.
pub fn summary(doc: &Value) -> String {
    let kind = text(doc, &["type"]).unwrap_or("event");
    let pipeline = text(doc, &["pipeline", "name"]).map(|n| format!("pipeline `{n}`"));
    let run = text(doc, &["run", "id"]).map(|id| format!("run {id}"));
    let task = text(doc, &["task", "key"]).map(|k| format!("task `{k}`"));
    let what = [pipeline, run, task].into_iter().flatten().collect::<Vec<_>>().join(", ");
    let happened = match kind {
        "run.started" => "started".to_string(),
        "run.succeeded" => "succeeded".to_string(),
        "run.failed" => "failed".to_string(),
        "run.cancelled" => "was cancelled".to_string(),
        "task.failed" => "failed".to_string(),
        "task.retrying" => "failed and will be retried".to_string(),
        "task.lost" => "lost its worker".to_string(),
        "run.stuck" => "is stuck: nothing moved".to_string(),
        "run.late" => "is late".to_string(),
        "schedule.missed" => format!("missed a scheduled run ({})", text(doc, &["detail", "outcome"]).unwrap_or("missed")),
        "delivery.failed" => "delivery failed".to_string(),
        "system.orchestrator_down" => "no orchestrator is leading".to_string(),
        other => other.to_string(),
    };
    let error = text(doc, &["task", "error"]).or(text(doc, &["run", "error"])).or(text(doc, &["detail", "error"]));
    let mut line = if what.is_empty() { format!("Ferry: {happened}") } else { format!("Ferry: {what} {happened}") };
    if let Some(e) = error {
        line.push_str(": ");
        line.push_str(&e.chars().take(200).collect::<String>());
    }
    line
}

/// The document's own summary line (a test event's is not derived from its type).
fn line(doc: &Value) -> String {
    text(doc, &["summary"]).map(str::to_string).unwrap_or_else(|| summary(doc))
}

/// The email subject: the pipeline, the run and what happened.
pub fn email_subject(doc: &Value) -> String {
    line(doc).chars().take(250).collect()
}

/// The email body: the summary, the error, the failed tasks, the run's URL, the event id.
pub fn email_text(doc: &Value) -> String {
    let mut out = format!("{}\n\n", line(doc));
    if let Some(url) = text(doc, &["run", "url"]) {
        out.push_str(&format!("Run: {url}\n"));
    }
    if let Some(state) = text(doc, &["run", "state"]) {
        out.push_str(&format!("State: {state}\n"));
    }
    if let Some(e) = text(doc, &["run", "error"]) {
        out.push_str(&format!("Error: {e}\n"));
    }
    if let Some(failed) = doc.get("failed_tasks").and_then(Value::as_array).filter(|f| !f.is_empty()) {
        out.push_str("\nFailed tasks:\n");
        for t in failed {
            let key = t.get("key").and_then(Value::as_str).unwrap_or("?");
            let error = t.get("error").and_then(Value::as_str).unwrap_or("(no error recorded)");
            out.push_str(&format!("  - {key}: {error}\n"));
        }
    }
    if let Some(detail) = doc.get("detail").filter(|d| d.as_object().is_some_and(|o| !o.is_empty())) {
        out.push_str(&format!("\nDetail: {detail}\n"));
    }
    out.push_str(&format!("\nEvent: {} {}\n", text(doc, &["type"]).unwrap_or("?"), text(doc, &["id"]).unwrap_or("?")));
    out
}

/// Slack's incoming-webhook shape: `text` for notifications and clients without blocks,
/// one section block with the same words and a link to the run.
pub fn slack(doc: &Value) -> Value {
    let line = line(doc);
    let mut md = line.clone();
    if let Some(url) = text(doc, &["run", "url"]) {
        md.push_str(&format!("\n<{url}|Open the run>"));
    }
    json!({
        "text": line,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": md}}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn event(kind: &str, detail: Value) -> EventRow {
        EventRow {
            seq: 1,
            id: Uuid::from_u128(5),
            tenant_id: Uuid::nil(),
            kind: kind.into(),
            pipeline_id: Some(Uuid::from_u128(1)),
            run_id: Some(Uuid::from_u128(2)),
            task_id: None,
            dedup_key: None,
            detail,
            body: None,
            created_at: Utc::now(),
            routed_at: None,
        }
    }

    #[test]
    fn a_failed_run_names_its_pipeline_run_error_and_failed_tasks() {
        let ctx = EventContext { pipeline_name: Some("nightly".into()), run: None, failed_tasks: vec![("copy".into(), Some("disk full".into()))] };
        let doc = document(&event("run.failed", json!({"error": "a task failed"})), &ctx, "http://ferry.example/");
        let subject = email_subject(&doc);
        assert!(subject.contains("pipeline `nightly`") && subject.contains(&Uuid::from_u128(2).to_string()) && subject.contains("failed"), "{subject}");
        let body = email_text(&doc);
        assert!(body.contains("copy: disk full") && body.contains("http://ferry.example/api/v1/runs/"), "{body}");
        let s = slack(&doc);
        assert_eq!(s["text"], Value::String(summary(&doc)));
        assert_eq!(s["blocks"][0]["type"], "section");
    }
}
