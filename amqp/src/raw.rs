//! The raw ceiling for the benchmark: how fast plain lapin moves persistent, confirmed
//! messages through this RabbitMQ, with none of Ferry's work in between. Ferry's own
//! task throughput is judged against it.

use crate::config::redact;
use crate::connection::open_connection;
use crate::error::AmqpError;
use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Confirmation};
use std::time::{Duration, Instant};

/// Prefetch of the raw consumer: deep enough that acks never starve the pipeline.
const RAW_PREFETCH: u16 = 1000;

/// Publishes `n` persistent messages of `payload_bytes` to a temporary durable queue with
/// publisher confirms (pipelined: all are sent before any confirm is awaited) while a
/// consumer with prefetch 1000 acks each, and returns the time from the first publish
/// until the last ack. The queue is deleted afterwards, also on failure.
pub async fn raw_round_trip(url: &str, queue: &str, n: usize, payload_bytes: usize) -> Result<Duration, AmqpError> {
    let redacted = redact(url);
    let conn = open_connection(url, &redacted, "ferry-raw-benchmark").await?;
    let lapin_err = |what: &'static str| {
        let redacted = redacted.clone();
        move |e: lapin::Error| AmqpError::from_lapin(&redacted, what, e)
    };
    let admin = conn.create_channel().await.map_err(lapin_err("opening a channel"))?;
    admin
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(lapin_err("declaring the benchmark queue"))?;
    let result = round_trip(&conn, &redacted, queue, n, payload_bytes).await;
    let deleted = admin
        .queue_delete(queue.into(), QueueDeleteOptions::default())
        .await
        .map_err(lapin_err("deleting the benchmark queue"));
    let _ = conn.close(200, "benchmark done".into()).await;
    let elapsed = result?;
    deleted?;
    Ok(elapsed)
}

async fn round_trip(
    conn: &lapin::Connection,
    redacted: &str,
    queue: &str,
    n: usize,
    payload_bytes: usize,
) -> Result<Duration, AmqpError> {
    let err = |what: &'static str| move |e: lapin::Error| AmqpError::from_lapin(redacted, what, e);
    let publisher = conn.create_channel().await.map_err(err("opening a channel"))?;
    publisher
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(err("enabling publisher confirms"))?;
    let consumer_ch = conn.create_channel().await.map_err(err("opening a channel"))?;
    consumer_ch
        .basic_qos(RAW_PREFETCH, BasicQosOptions::default())
        .await
        .map_err(err("setting the prefetch"))?;
    let consumer = consumer_ch
        .basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(err("consuming"))?;

    let start = Instant::now();
    let consuming = tokio::spawn(ack_all(consumer, consumer_ch.clone(), redacted.to_string(), n));
    let published = publish_all(&publisher, redacted, queue, n, payload_bytes).await;
    if let Err(e) = published {
        consuming.abort();
        return Err(e);
    }
    match consuming.await {
        Ok(Ok(())) => Ok(start.elapsed()),
        Ok(Err(e)) => Err(e),
        Err(join) => Err(AmqpError::Benchmark(format!("the consumer task failed: {join}"))),
    }
}

async fn publish_all(ch: &Channel, redacted: &str, queue: &str, n: usize, payload_bytes: usize) -> Result<(), AmqpError> {
    let payload = vec![b'x'; payload_bytes];
    let props = BasicProperties::default().with_delivery_mode(2);
    let mut confirms = Vec::with_capacity(n);
    for _ in 0..n {
        let confirm = ch
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                &payload,
                props.clone(),
            )
            .await
            .map_err(|e| AmqpError::from_lapin(redacted, "publishing", e))?;
        confirms.push(confirm);
    }
    for confirm in confirms {
        match confirm
            .await
            .map_err(|e| AmqpError::from_lapin(redacted, "waiting for a confirm", e))?
        {
            Confirmation::Nack(_) => {
                return Err(AmqpError::Nacked {
                    exchange: String::new(),
                    routing_key: queue.to_string(),
                });
            }
            Confirmation::Ack(_) | Confirmation::NotRequested => {}
        }
    }
    Ok(())
}

/// Acks `n` deliveries. Holds the channel so it stays open while consuming.
async fn ack_all(mut consumer: lapin::Consumer, _channel: Channel, redacted: String, n: usize) -> Result<(), AmqpError> {
    let err = |e| AmqpError::from_lapin(&redacted, "consuming", e);
    let mut acked = 0;
    while acked < n {
        let Some(delivery) = consumer.next().await else {
            return Err(AmqpError::Benchmark(format!("the consumer was cancelled after {acked} of {n} messages")));
        };
        delivery.map_err(err)?.acker.ack(BasicAckOptions::default()).await.map_err(err)?;
        acked += 1;
    }
    Ok(())
}
