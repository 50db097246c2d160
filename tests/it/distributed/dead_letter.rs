//! A task message no worker can decode goes to the dead-letter queue, and does not stop
//! the work behind it.

use super::stack::{Opts, Stack, serial};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The `messages` count of queue `name` in the stack's vhost (None while unknown).
fn queue_messages(stack: &Stack, name: &str) -> Option<u64> {
    let (status, body) = stack.mgmt("GET", &format!("/api/queues/{}/{name}", stack.vhost), None);
    if status != 200 {
        return None;
    }
    serde_json::from_str::<Value>(&body).ok()?["messages"].as_u64()
}

#[tokio::test]
async fn poison_message_goes_to_dead_letter() {
    let _serial = serial();
    let stack = Stack::start(Opts::default());

    // The roles have declared the topology by now (the worker consumes its queue).
    let deadline = Instant::now() + Duration::from_secs(20);
    while queue_messages(&stack, "ferry.tasks.default").is_none() || queue_messages(&stack, "ferry.dead").is_none() {
        assert!(Instant::now() < deadline, "queues ferry.tasks.default / ferry.dead not declared in vhost {}", stack.vhost);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let poison = json!({"properties": {"delivery_mode": 2}, "routing_key": "default",
                        "payload": "not json", "payload_encoding": "string"});
    let (status, body) = stack.mgmt("POST", &format!("/api/exchanges/{}/ferry.tasks/publish", stack.vhost), Some(&poison));
    assert_eq!(status, 200, "publish: {body}");
    assert!(body.contains("\"routed\":true"), "the poison message was not routed: {body}");

    let tasks: Vec<Value> = (0..5).map(|i| json!({"id": format!("n{i}"), "kind": "noop"})).collect();
    let run_id = stack.start_run(&json!({"name": "after-poison", "tasks": tasks})).await;
    let run = stack.wait_run(&run_id, Duration::from_secs(60)).await;
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(run["progress"]["tasks_succeeded"], 5, "{run}");

    // The management API refreshes queue counts every few seconds.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let dead = queue_messages(&stack, "ferry.dead");
        let queued = queue_messages(&stack, "ferry.tasks.default");
        if dead == Some(1) && queued == Some(0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after 30 s ferry.dead holds {dead:?} messages (want 1) and ferry.tasks.default {queued:?} (want 0)"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (_, msgs) = stack.mgmt(
        "POST",
        &format!("/api/queues/{}/ferry.dead/get", stack.vhost),
        Some(&json!({"count": 1, "ackmode": "ack_requeue_true", "encoding": "auto"})),
    );
    assert!(msgs.contains("not json"), "the dead letter is not the poison message: {msgs}");
    let mut stack = stack;
    stack.assert_all_alive();
}
