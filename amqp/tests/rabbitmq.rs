//! The RabbitMQ broker against a real server, each test in its own vhost: what only
//! RabbitMQ has (durable topology, event batches, reconnection, outages, the raw
//! benchmark). The `Broker` contract itself is the shared suite, in `conformance.rs`.

mod support;

use ferry_amqp::{AmqpBroker, AmqpConfig, raw_round_trip, topology};
use ferry_common::broker::{Broker, Delivery, DeliveryStream};
use futures::StreamExt;
use lapin::options::{BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use std::time::Duration;
use support::{TestVhost, event, task};

const WAIT: Duration = Duration::from_secs(20);

async fn broker(vhost: &TestVhost) -> AmqpBroker {
    AmqpBroker::connect(AmqpConfig::new(vhost.url()))
        .await
        .expect("connect to RabbitMQ")
}

async fn next<T>(stream: &mut DeliveryStream<T>) -> Delivery<T> {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("a delivery within the wait")
        .expect("the stream does not end")
        .expect("a good delivery")
}

/// `None` when nothing arrives within `quiet`.
async fn maybe_next<T>(stream: &mut DeliveryStream<T>, quiet: Duration) -> Option<Delivery<T>> {
    match tokio::time::timeout(quiet, stream.next()).await {
        Ok(Some(d)) => Some(d.expect("a good delivery")),
        Ok(None) => panic!("the stream ended"),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topology_declared_twice_and_events_round_trip() {
    let vhost = TestVhost::new();
    let first = broker(&vhost).await;
    let second = broker(&vhost).await;
    assert_eq!(first.name(), "rabbitmq");
    first.ready().await.unwrap();
    second.ready().await.unwrap();

    let mut events = second.consume_events(100).await.unwrap();
    let ev = event(uuid::Uuid::new_v4());
    first.publish_event(&ev).await.unwrap();
    let d = next(&mut events).await;
    assert_eq!(d.message, ev);
    d.ack().await.unwrap();

    // Tasks published by one are consumed through the other.
    let msg = task("x");
    second.publish_task(&msg).await.unwrap();
    let mut tasks = first.consume_tasks("default", 1).await.unwrap();
    let d = next(&mut tasks).await;
    assert_eq!(d.message, msg);
    d.ack().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_events_share_messages_and_a_nack_returns_the_whole_batch() {
    let vhost = TestVhost::new();
    let b = broker(&vhost).await;
    let sent: Vec<_> = (0..300).map(|_| event(uuid::Uuid::new_v4())).collect();
    futures::future::try_join_all(sent.iter().map(|ev| b.publish_event(ev)))
        .await
        .expect("every event confirmed");

    let raw = Connection::connect(&vhost.url(), ConnectionProperties::default())
        .await
        .unwrap();
    let ch = raw.create_channel().await.unwrap();
    let queued = ch
        .queue_declare(
            topology::EVENT_QUEUE.into(),
            QueueDeclareOptions {
                passive: true,
                durable: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap()
        .message_count();
    assert!(queued < 300, "300 concurrent events took {queued} messages");

    let mut events = b.consume_events(1000).await.unwrap();
    let mut got = std::collections::HashSet::new();
    let mut nacked = None;
    for _ in 0..300 {
        let d = next(&mut events).await;
        assert!(got.insert(d.message.task_id), "each event once");
        if nacked.is_none() {
            nacked = Some(d.message.task_id);
            d.nack(true).await.unwrap();
        } else {
            d.ack().await.unwrap();
        }
    }
    let expected: std::collections::HashSet<_> = sent.iter().map(|e| e.task_id).collect();
    assert_eq!(got, expected);

    // The nacked event's whole message comes back, marked redelivered; nothing else does.
    let mut again = Vec::new();
    while let Some(d) = maybe_next(&mut events, Duration::from_millis(1500)).await {
        assert!(d.redelivered);
        again.push(d.message.task_id);
        d.ack().await.unwrap();
    }
    assert!(again.contains(&nacked.unwrap()), "{again:?}");
    assert!(again.len() < 300);
    assert!(maybe_next(&mut events, Duration::from_millis(500)).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_message_is_dead_lettered_and_the_stream_goes_on() {
    let vhost = TestVhost::new();
    let b = broker(&vhost).await;

    let raw = Connection::connect(&vhost.url(), ConnectionProperties::default())
        .await
        .unwrap();
    let ch = raw.create_channel().await.unwrap();
    // With confirms the poison is in the queue before the broker publishes the next
    // message on its own connection; without, the two may arrive in either order.
    ch.confirm_select(ConfirmSelectOptions::default()).await.unwrap();
    ch.basic_publish(
        "".into(),
        topology::task_queue_name("default").into(),
        BasicPublishOptions::default(),
        b"this is not json",
        BasicProperties::default().with_message_id("poison-1".into()),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let msg = task("after-poison");
    b.publish_task(&msg).await.unwrap();

    let mut tasks = b.consume_tasks("default", 10).await.unwrap();
    let d = next(&mut tasks).await;
    assert_eq!(d.message, msg);
    d.ack().await.unwrap();
    assert_eq!(b.dead_lettered(), 1);

    let mut dead = None;
    for _ in 0..50 {
        dead = ch
            .basic_get(topology::DEAD_QUEUE.into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap();
        if dead.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dead = dead.expect("the poison message is in ferry.dead");
    assert_eq!(dead.delivery.data, b"this is not json");
    assert_eq!(
        dead.delivery.properties.message_id().as_ref().map(|s| s.as_str()),
        Some("poison-1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_to_an_unknown_class_is_an_error() {
    let vhost = TestVhost::new();
    let b = broker(&vhost).await;
    let mut msg = task("lost");
    msg.queue = "no-such-class".to_string();
    let started = std::time::Instant::now();
    let err = b.publish_task(&msg).await.expect_err("unroutable");
    assert!(err.to_string().contains("unroutable"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "fails at once, not after retries");

    msg.queue = String::new();
    assert!(b.publish_task(&msg).await.is_err());
    // The broker still works afterwards.
    b.publish_task(&task("ok")).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_the_server_closing_its_connections() {
    let vhost = TestVhost::new();
    let b = broker(&vhost).await;
    let mut tasks = b.consume_tasks("default", 10).await.unwrap();
    let mut events = b.consume_events(10).await.unwrap();

    let m1 = task("before");
    b.publish_task(&m1).await.unwrap();
    let d1 = next(&mut tasks).await;
    assert_eq!(d1.message, m1);

    vhost.close_connections();
    // Settling a delivery of the dead channel fails quietly; RabbitMQ redelivers it.
    d1.ack().await.expect("acks on a dead channel return Ok");

    let m2 = task("after");
    b.publish_task(&m2).await.expect("publish reconnects");
    let mut got_m2 = false;
    let mut m1_again = false;
    while !got_m2 {
        let d = next(&mut tasks).await;
        if d.message == m2 {
            got_m2 = true;
        } else {
            assert_eq!(d.message, m1);
            assert!(d.redelivered);
            m1_again = true;
        }
        d.ack().await.unwrap();
    }
    // m1's ack was lost with the channel, so it must come back (unless it arrived first).
    if !m1_again {
        let d = next(&mut tasks).await;
        assert_eq!(d.message, m1);
        assert!(d.redelivered);
        d.ack().await.unwrap();
    }
    b.ready().await.expect("ready again");

    // The event stream resubscribed too; and a second close is survived as well.
    vhost.close_connections();
    let ev = event(m2.task_id);
    b.publish_event(&ev).await.expect("publish reconnects again");
    let d = next(&mut events).await;
    assert_eq!(d.message, ev);
    d.ack().await.unwrap();
    let m3 = task("third");
    b.publish_task(&m3).await.unwrap();
    let d = next(&mut tasks).await;
    assert_eq!(d.message, m3);
    d.ack().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_vhost_fails_fast_naming_rabbitmq() {
    support::require_rabbitmq();
    let cfg = AmqpConfig::new("amqp://guest:secret-password@127.0.0.1:5672/ferry-test-does-not-exist");
    let started = std::time::Instant::now();
    let err = AmqpBroker::connect(cfg).await.expect_err("no such vhost");
    let text = err.to_string();
    assert!(text.contains("RabbitMQ"), "{text}");
    assert!(!text.contains("secret-password"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_round_trip_moves_every_message_and_cleans_up() {
    let vhost = TestVhost::new();
    let elapsed = raw_round_trip(&vhost.url(), "ferry.raw.test", 500, 256)
        .await
        .expect("raw round trip");
    assert!(elapsed > Duration::ZERO);

    let raw = Connection::connect(&vhost.url(), ConnectionProperties::default())
        .await
        .unwrap();
    let ch = raw.create_channel().await.unwrap();
    let passive = ch
        .queue_declare(
            "ferry.raw.test".into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await;
    assert!(passive.is_err(), "the benchmark queue is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_an_outage_with_refused_connections() {
    let vhost = TestVhost::new();
    let proxy = support::OutageProxy::start().await;
    let b = AmqpBroker::connect(AmqpConfig::new(proxy.url(&vhost))).await.unwrap();
    let mut tasks = b.consume_tasks("default", 10).await.unwrap();
    let m1 = task("before-outage");
    b.publish_task(&m1).await.unwrap();
    next(&mut tasks).await.ack().await.unwrap();

    proxy.cut();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let err = b.ready().await.expect_err("not ready during the outage");
    assert!(err.to_string().contains("RabbitMQ"), "{err}");

    // A publish during the outage waits for the server to come back.
    let m2 = task("during-outage");
    let publisher = {
        let b = b.clone();
        let m2 = m2.clone();
        tokio::spawn(async move { b.publish_task(&m2).await })
    };
    // The consumer keeps trying too; the stream must still be there afterwards.
    let consumer = tokio::spawn(async move {
        loop {
            let d = next(&mut tasks).await;
            if d.message == m1 {
                // Its ack may have been lost with the connection: at-least-once.
                assert!(d.redelivered);
                d.ack().await.unwrap();
                continue;
            }
            return (d.message.clone(), d.ack().await, tasks);
        }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!publisher.is_finished(), "the publish waits while RabbitMQ is away");
    proxy.restore().await;

    publisher.await.unwrap().expect("the publish goes through after the outage");
    let (got, acked, mut tasks) = tokio::time::timeout(WAIT, consumer).await.unwrap().unwrap();
    assert_eq!(got, m2);
    acked.unwrap();
    b.ready().await.expect("ready after the outage");
    let m3 = task("after-outage");
    b.publish_task(&m3).await.unwrap();
    assert_eq!(next(&mut tasks).await.message, m3);
}
