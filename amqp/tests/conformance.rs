//! The shared `Broker` suite on RabbitMQ: every case in a vhost of its own, deleted
//! afterwards. The harness reads the dead-letter queue and publishes undecodable bytes
//! through a plain lapin connection of its own, as an operator or a foreign publisher
//! would.

mod support;

use async_trait::async_trait;
use ferry_amqp::{AmqpBroker, AmqpConfig, topology};
use ferry_common::broker::Broker;
use ferry_conformance::broker::{BrokerHarness, ByteBrokerHarness};
use lapin::options::{BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use support::TestVhost;

/// A broker in a fresh vhost, and a raw channel (with publisher confirms) on the same
/// vhost. Fields drop in order: the connections close before the vhost is deleted.
struct RabbitHarness {
    broker: AmqpBroker,
    raw: Channel,
    _raw_connection: Connection,
    _vhost: TestVhost,
}

async fn rabbitmq() -> RabbitHarness {
    let vhost = TestVhost::new();
    let broker = AmqpBroker::connect(AmqpConfig::new(vhost.url()))
        .await
        .expect("connect to RabbitMQ");
    let connection = Connection::connect(&vhost.url(), ConnectionProperties::default())
        .await
        .expect("a raw connection to RabbitMQ");
    let raw = connection.create_channel().await.expect("a raw channel");
    raw.confirm_select(ConfirmSelectOptions::default())
        .await
        .expect("publisher confirms on the raw channel");
    RabbitHarness {
        broker,
        raw,
        _raw_connection: connection,
        _vhost: vhost,
    }
}

#[async_trait]
impl BrokerHarness for RabbitHarness {
    fn broker(&self) -> &dyn Broker {
        &self.broker
    }

    /// Empties `ferry.dead` with `basic.get`, returning the bodies.
    async fn take_dead_letters(&self) -> Vec<Vec<u8>> {
        let mut bodies = Vec::new();
        while let Some(m) = self
            .raw
            .basic_get(topology::DEAD_QUEUE.into(), BasicGetOptions { no_ack: true })
            .await
            .expect("basic.get on the dead-letter queue")
        {
            bodies.push(m.delivery.data);
        }
        bodies
    }
}

#[async_trait]
impl ByteBrokerHarness for RabbitHarness {
    /// Publishes `body` straight to the class's queue, bypassing `ferry.tasks`, and
    /// waits for RabbitMQ's confirm, so the bytes are in the queue before anything the
    /// case publishes next through the broker (another connection: no order otherwise).
    async fn publish_raw_task(&self, class: &str, body: &[u8]) {
        self.raw
            .basic_publish(
                "".into(),
                topology::task_queue_name(class).as_str().into(),
                BasicPublishOptions::default(),
                body,
                BasicProperties::default().with_message_id("conformance-poison".into()),
            )
            .await
            .expect("publish raw bytes")
            .await
            .expect("the raw publish went out");
    }
}

ferry_conformance::broker_tests!(rabbitmq_broker, rabbitmq, carries_bytes);
