//! Consumer streams that survive connection loss.
//!
//! Each stream owns a dedicated channel with `basic.qos(prefetch)`. When the lapin
//! consumer ends or errors (RabbitMQ restarted, the connection was force-closed, the
//! queue was deleted) the stream does not end: it reconnects through the shared link
//! (which redeclares the topology), opens a new channel, consumes again and keeps
//! yielding. It ends only when the broker is closed with [`crate::AmqpBroker::close`].
//!
//! Deliveries that were in flight on the dead channel are redelivered by RabbitMQ (marked
//! `redelivered`); settling their old ackers does nothing and returns `Ok` — see
//! [`AmqpAcker`].

use crate::connection::{Backoff, CONNECT_TIMEOUT, Retry, Shared};
use crate::error::AmqpError;
use crate::topology;
use async_trait::async_trait;
use ferry_common::CommonError;
use ferry_common::broker::{Acker, Delivery, DeliveryStream};
use futures::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Consumer};
use serde::de::DeserializeOwned;
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, info, warn};

/// A subscription that ended sooner than this after starting counts as a failure for the
/// backoff, so a queue that keeps cancelling its consumers is not hammered.
const HEALTHY_AFTER: Duration = Duration::from_secs(2);

/// What a stream consumes.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// The task queue of one resource class.
    Tasks(String),
    /// The event queue.
    Events,
}

impl Source {
    fn queue(&self) -> String {
        match self {
            Source::Tasks(class) => topology::task_queue_name(class),
            Source::Events => topology::EVENT_QUEUE.to_string(),
        }
    }
}

struct Subscription {
    channel: Channel,
    consumer: Consumer,
    since: Instant,
}

struct StreamState<T> {
    shared: Arc<Shared>,
    source: Source,
    queue: String,
    prefetch: u16,
    sub: Option<Subscription>,
    backoff: Backoff,
    /// Events of a batch message not yet handed out.
    buffered: VecDeque<Delivery<T>>,
    _message: PhantomData<fn() -> T>,
}

/// Subscribes once (so a wrong queue or unreachable server is reported to the caller) and
/// returns the self-healing stream.
pub(crate) async fn consume<T>(shared: Arc<Shared>, source: Source, prefetch: u16) -> Result<DeliveryStream<T>, AmqpError>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    let queue = source.queue();
    let mut state = StreamState {
        shared,
        source,
        queue,
        prefetch: prefetch.max(1),
        sub: None,
        backoff: Backoff::new(),
        buffered: VecDeque::new(),
        _message: PhantomData,
    };
    state.sub = Some(state.subscribe(Retry::Until(Instant::now() + crate::publish::PUBLISH_DEADLINE)).await?);
    Ok(Box::pin(futures::stream::unfold(state, |mut st| async move {
        let d = st.next().await?;
        Some((Ok(d), st))
    })))
}

impl<T: DeserializeOwned + Send + Sync + 'static> StreamState<T> {
    /// Opens a channel, declares what it consumes, sets the prefetch and consumes.
    async fn subscribe(&self, retry: Retry) -> Result<Subscription, AmqpError> {
        let mut backoff = Backoff::new();
        loop {
            let link = self.shared.link(retry).await?;
            let attempt = tokio::time::timeout(CONNECT_TIMEOUT, self.subscribe_on(&link.connection)).await;
            let err = match attempt {
                Ok(Ok(sub)) => return Ok(sub),
                Ok(Err(e)) => e,
                Err(_) => AmqpError::Timeout {
                    url: self.shared.url.clone(),
                    operation: format!("subscribing to {}", self.queue),
                    after: CONNECT_TIMEOUT,
                },
            };
            let delay = match retry.pause(&err, &mut backoff) {
                Some(delay) => delay,
                None => return Err(err),
            };
            warn!(queue = %self.queue, "RabbitMQ at {} unreachable: cannot consume: {}; retrying in {delay:?}", self.shared.url, err.detail());
            tokio::select! {
                _ = self.shared.closed() => return Err(AmqpError::Closed),
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }

    async fn subscribe_on(&self, connection: &lapin::Connection) -> Result<Subscription, AmqpError> {
        let url = &self.shared.url;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| AmqpError::from_lapin(url, "opening a channel", e))?;
        let declared = async {
            topology::declare_common(&channel).await?;
            if let Source::Tasks(class) = &self.source {
                topology::declare_task_queue(&channel, class).await?;
            }
            Ok(())
        };
        declared
            .await
            .map_err(|e| AmqpError::from_lapin(url, "declaring the topology", e))?;
        channel
            .basic_qos(self.prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| AmqpError::from_lapin(url, "setting the prefetch", e))?;
        let consumer = channel
            .basic_consume(
                self.queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| AmqpError::from_lapin(url, "consuming", e))?;
        debug!(queue = %self.queue, prefetch = self.prefetch, "consuming from RabbitMQ at {}", url);
        Ok(Subscription {
            channel,
            consumer,
            since: Instant::now(),
        })
    }

    /// The next decodable delivery; `None` only once the broker is closed.
    async fn next(&mut self) -> Option<Delivery<T>> {
        loop {
            if self.shared.is_closed() {
                return None;
            }
            if let Some(d) = self.buffered.pop_front() {
                return Some(d);
            }
            let sub = match self.sub.as_mut() {
                Some(sub) => sub,
                None => match self.subscribe(Retry::Forever).await {
                    Ok(sub) => {
                        info!(queue = %self.queue, "consuming again from RabbitMQ at {}", self.shared.url);
                        self.sub.insert(sub)
                    }
                    Err(_) => return None, // only `Closed` ends `Retry::Forever`
                },
            };
            let item = tokio::select! {
                _ = self.shared.closed() => return None,
                item = sub.consumer.next() => item,
            };
            match item {
                Some(Ok(delivery)) => {
                    self.decode(delivery).await;
                    continue;
                }
                Some(Err(e)) => {
                    warn!(queue = %self.queue, "consumer on RabbitMQ at {} failed: {e}; resubscribing", self.shared.url);
                }
                None => {
                    warn!(queue = %self.queue, "consumer on RabbitMQ at {} was cancelled; resubscribing", self.shared.url);
                }
            }
            // The subscription is over; pause if it did not last, then start a new one.
            let lived = sub.since.elapsed();
            self.sub = None;
            if lived < HEALTHY_AFTER {
                let delay = self.backoff.next_delay();
                tokio::select! {
                    _ = self.shared.closed() => return None,
                    _ = tokio::time::sleep(delay) => {}
                }
            } else {
                self.backoff.reset();
            }
        }
    }

    /// Decodes a delivery into [`Self::buffered`]: one message, or on the event queue a
    /// batch of them sharing the delivery's ack. An undecodable one is dead-lettered
    /// (never requeued: it would fail the same way forever) and nothing is buffered.
    async fn decode(&mut self, delivery: lapin::message::Delivery) {
        let message_id = delivery
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.to_string())
            .unwrap_or_else(|| "<none>".to_string());
        let Some(channel) = self.sub.as_ref().map(|s| s.channel.clone()) else { return };
        if delivery.acker.poisoned() {
            // Buffered before its channel died: RabbitMQ already requeued it and will
            // redeliver it on the new channel. Handing it out would only run it twice.
            debug!(queue = %self.queue, message_id = %message_id, "skipping a delivery of a dead channel");
            return;
        }
        let batch = matches!(self.source, Source::Events) && delivery.data.first() == Some(&b'[');
        let decoded = if batch {
            serde_json::from_slice::<Vec<T>>(&delivery.data)
        } else {
            serde_json::from_slice::<T>(&delivery.data).map(|m| vec![m])
        };
        match decoded {
            Ok(messages) => {
                let acker = AmqpAcker {
                    acker: Some(delivery.acker),
                    channel: Some(channel),
                    message_id,
                };
                let redelivered = delivery.redelivered;
                match messages.len() {
                    0 => {
                        let _ = Acker::ack(Box::new(acker)).await;
                    }
                    1 => {
                        let message = messages.into_iter().next().expect("one message");
                        self.buffered.push_back(Delivery::new(message, redelivered, Box::new(acker)));
                    }
                    n => {
                        let share = Arc::new(BatchShare {
                            acker: Mutex::new(Some(acker)),
                            unacked: AtomicUsize::new(n),
                        });
                        for message in messages {
                            let part = BatchPartAcker {
                                share: share.clone(),
                                settled: false,
                            };
                            self.buffered.push_back(Delivery::new(message, redelivered, Box::new(part)));
                        }
                    }
                }
            }
            Err(e) => {
                warn!(
                    queue = %self.queue,
                    message_id = %message_id,
                    error = %e,
                    "undecodable message sent to the dead-letter queue {}",
                    topology::DEAD_QUEUE
                );
                let nack = BasicNackOptions {
                    requeue: false,
                    multiple: false,
                };
                match delivery.acker.nack(nack).await {
                    Ok(true) => {
                        self.shared.dead_lettered.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(false) | Err(_) => {
                        debug!(message_id = %message_id, "dead-lettering failed (channel gone); RabbitMQ will redeliver it");
                    }
                }
            }
        }
    }
}

/// The one delivery behind a batch of events, settled once for all of them.
struct BatchShare {
    acker: Mutex<Option<AmqpAcker>>,
    unacked: AtomicUsize,
}

impl BatchShare {
    fn take(&self) -> Option<AmqpAcker> {
        self.acker.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Settles one event of a batch. The batch's message is acked when every event in it
/// was acked; a nack of any one (or one dropped unsettled) settles the whole message
/// that way at once, so with `requeue` the whole batch comes back. That is safe for
/// events: the orchestrator fences each by task and attempt, and applying one twice
/// changes nothing.
struct BatchPartAcker {
    share: Arc<BatchShare>,
    settled: bool,
}

#[async_trait]
impl Acker for BatchPartAcker {
    async fn ack(mut self: Box<Self>) -> Result<(), CommonError> {
        self.settled = true;
        if self.share.unacked.fetch_sub(1, Ordering::AcqRel) == 1
            && let Some(acker) = self.share.take() {
                return Acker::ack(Box::new(acker)).await;
            }
        Ok(())
    }

    async fn nack(mut self: Box<Self>, requeue: bool) -> Result<(), CommonError> {
        self.settled = true;
        match self.share.take() {
            Some(acker) => Acker::nack(Box::new(acker), requeue).await,
            None => Ok(()),
        }
    }
}

impl Drop for BatchPartAcker {
    fn drop(&mut self) {
        if !self.settled {
            // Dropping the message's acker unsettled nacks it with requeue.
            drop(self.share.take());
        }
    }
}

/// Settles one RabbitMQ delivery.
///
/// Holds a handle on its channel so the delivery stays settleable after the stream is
/// dropped (a worker draining its running tasks at shutdown acks after it stopped
/// consuming). Dropped without ack or nack, it nacks with requeue, as the in-process
/// broker does, so a crashed task's message comes back at once instead of when the
/// channel closes.
///
/// Settling a delivery whose channel is gone (the connection dropped since) is a no-op
/// that returns `Ok`: RabbitMQ already put the message back and redelivers it, marked
/// `redelivered`, to the next consumer. Callers get at-least-once delivery either way and
/// have nothing useful to do with an error there.
pub(crate) struct AmqpAcker {
    acker: Option<lapin::Acker>,
    channel: Option<Channel>,
    message_id: String,
}

impl AmqpAcker {
    fn settled(&self, what: &str, result: lapin::Result<bool>) {
        match result {
            Ok(true) => {}
            Ok(false) => debug!(
                message_id = %self.message_id,
                "{what} skipped: the delivery's channel is gone; RabbitMQ redelivers the message"
            ),
            Err(e) => debug!(
                message_id = %self.message_id,
                error = %e,
                "{what} failed: the delivery's channel is gone; RabbitMQ redelivers the message"
            ),
        }
    }
}

#[async_trait]
impl Acker for AmqpAcker {
    async fn ack(mut self: Box<Self>) -> Result<(), CommonError> {
        if let Some(acker) = self.acker.take() {
            let r = acker.ack(BasicAckOptions::default()).await;
            self.settled("ack", r);
        }
        Ok(())
    }

    async fn nack(mut self: Box<Self>, requeue: bool) -> Result<(), CommonError> {
        if let Some(acker) = self.acker.take() {
            let r = acker
                .nack(BasicNackOptions {
                    requeue,
                    multiple: false,
                })
                .await;
            self.settled("nack", r);
        }
        Ok(())
    }
}

impl Drop for AmqpAcker {
    fn drop(&mut self) {
        let Some(acker) = self.acker.take() else {
            return;
        };
        if !acker.usable() {
            return;
        }
        let channel = self.channel.take();
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    let _ = acker
                        .nack(BasicNackOptions {
                            requeue: true,
                            multiple: false,
                        })
                        .await;
                    // The channel must stay open until the nack is sent.
                    drop(channel);
                });
            }
            // Without a runtime the channel closes with this handle (if it was the last),
            // and RabbitMQ requeues the message then.
            Err(_) => drop(channel),
        }
    }
}
