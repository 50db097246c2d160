//! Publishing with publisher confirms, `mandatory` routing and retry across reconnects.
//!
//! A publish returns only once RabbitMQ confirmed it (the message is on disk in a durable
//! queue). When the connection or channel is found dead the publish reconnects with
//! backoff and is sent again, for at most [`PUBLISH_DEADLINE`] overall. If the link died
//! after RabbitMQ took the message but before its confirm arrived, the retry publishes a
//! duplicate: delivery is at-least-once, and the `message_id` (`<task_id>:<attempt>`) lets
//! consumers recognise the copy.

use crate::connection::{Backoff, Retry, Shared};
use crate::error::{AmqpError, lapin_transient};
use lapin::options::BasicPublishOptions;
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::ShortString;
use lapin::{BasicProperties, Channel, Confirmation};
use std::time::Duration;
use tokio::time::Instant;
use tracing::warn;

/// How long one publish keeps retrying through an outage before giving up.
pub const PUBLISH_DEADLINE: Duration = Duration::from_secs(60);

/// AMQP delivery mode 2: the message survives a broker restart (in a durable queue).
const PERSISTENT: u8 = 2;

/// Why one attempt failed: worth another try after a reconnect, or final.
enum Attempt {
    Retry(AmqpError),
    Final(AmqpError),
}

/// Publishes `body` (JSON) to `exchange` with `routing_key`, persistent and mandatory,
/// waiting for the confirm; retries through reconnects until [`PUBLISH_DEADLINE`].
pub(crate) async fn publish(
    shared: &Shared,
    exchange: &str,
    routing_key: &str,
    body: &[u8],
    message_id: &str,
) -> Result<(), AmqpError> {
    let deadline = Instant::now() + PUBLISH_DEADLINE;
    let mut backoff = Backoff::new();
    loop {
        let link = shared.link(Retry::Until(deadline)).await?;
        let err = match publish_once(shared, &link.publish, exchange, routing_key, body, message_id, deadline).await {
            Ok(()) => return Ok(()),
            Err(Attempt::Final(e)) => return Err(e),
            Err(Attempt::Retry(e)) => e,
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(err);
        }
        let delay = backoff.next_delay().min(deadline - now);
        warn!(message_id, "RabbitMQ at {} unreachable: publishing failed: {}; retrying in {delay:?}", shared.url, err.detail());
        tokio::select! {
            _ = shared.closed() => return Err(AmqpError::Closed),
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

async fn publish_once(
    shared: &Shared,
    ch: &Channel,
    exchange: &str,
    routing_key: &str,
    body: &[u8],
    message_id: &str,
    deadline: Instant,
) -> Result<(), Attempt> {
    let retry_or_final = |e: lapin::Error| {
        // A dead socket or channel, or an exchange someone deleted (the reconnect
        // redeclares it), may work next time; anything else the server refused will not.
        let not_found = matches!(e.kind(), lapin::ErrorKind::ProtocolError(p)
            if matches!(p.kind(), AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND)));
        if lapin_transient(&e) || not_found {
            Attempt::Retry(AmqpError::Unreachable {
                url: shared.url.clone(),
                source: Box::new(e),
            })
        } else {
            Attempt::Final(AmqpError::from_lapin(&shared.url, "the publish", e))
        }
    };
    let mut props = BasicProperties::default()
        .with_delivery_mode(PERSISTENT)
        .with_content_type("application/json".into());
    if let Ok(id) = ShortString::try_new(message_id) {
        props = props.with_message_id(id);
    }
    let routing = ShortString::try_new(routing_key).map_err(|e| {
        Attempt::Final(AmqpError::InvalidName {
            name: routing_key.to_string(),
            reason: e.to_string(),
        })
    })?;
    let confirm = ch
        .basic_publish(
            exchange.into(),
            routing,
            BasicPublishOptions {
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            body,
            props,
        )
        .await
        .map_err(retry_or_final)?;
    let confirmation = match tokio::time::timeout_at(deadline, confirm).await {
        Ok(c) => c.map_err(retry_or_final)?,
        Err(_) => {
            return Err(Attempt::Final(AmqpError::Timeout {
                url: shared.url.clone(),
                operation: "waiting for the publisher confirm".to_string(),
                after: PUBLISH_DEADLINE,
            }));
        }
    };
    match confirmation {
        Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
        Confirmation::Ack(Some(returned)) | Confirmation::Nack(Some(returned)) => Err(Attempt::Final(AmqpError::Unroutable {
            exchange: exchange.to_string(),
            routing_key: routing_key.to_string(),
            reply_text: returned.reply_text.to_string(),
        })),
        Confirmation::Nack(None) => Err(Attempt::Final(AmqpError::Nacked {
            exchange: exchange.to_string(),
            routing_key: routing_key.to_string(),
        })),
    }
}
