//! In-process broker and coordinator for the embedded default: the same semantics as
//! RabbitMQ and Redis (ack after the effect, redelivery of what was not acked, prefetch,
//! leases that lapse, claims that fence), without a server. Both run the same
//! conformance suites as their distributed counterparts (`ferry-conformance`, from its
//! `tests/inproc.rs`).

mod broker;
mod coordinator;

pub use broker::{DEAD_LETTER_CAP, InProcBroker};
pub use coordinator::InProcCoordinator;
