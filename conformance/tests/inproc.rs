//! The in-process broker and coordinator (the embedded default, `ferry_common::inproc`)
//! run the same suites as RabbitMQ and Redis. They live in `ferry-common`, whose own
//! tests cannot use this crate (two copies of its types), so they are run from here.

use async_trait::async_trait;
use ferry_common::broker::Broker;
use ferry_common::coordination::Coordinator;
use ferry_common::inproc::{InProcBroker, InProcCoordinator};
use ferry_conformance::broker::BrokerHarness;
use ferry_conformance::coordinator::CoordinatorHarness;
use std::sync::Arc;

/// A new in-process broker: isolated by being new.
struct InProcBrokerHarness(InProcBroker);

#[async_trait]
impl BrokerHarness for InProcBrokerHarness {
    fn broker(&self) -> &dyn Broker {
        &self.0
    }

    /// What the broker's dead-letter store holds, as JSON; it keeps it, and the suite
    /// copes with seeing it again.
    async fn take_dead_letters(&self) -> Vec<Vec<u8>> {
        self.0.dead_letters().iter().map(|v| serde_json::to_vec(v).unwrap()).collect()
    }
}

async fn broker() -> InProcBrokerHarness {
    InProcBrokerHarness(InProcBroker::new())
}

/// A new in-process coordinator; its clones share its state, as processes share Redis.
struct InProcCoordinatorHarness(InProcCoordinator);

#[async_trait]
impl CoordinatorHarness for InProcCoordinatorHarness {
    fn coordinator(&self) -> Arc<dyn Coordinator> {
        Arc::new(self.0.clone())
    }

    async fn peer(&self) -> Arc<dyn Coordinator> {
        Arc::new(self.0.clone())
    }
}

async fn coordinator() -> InProcCoordinatorHarness {
    InProcCoordinatorHarness(InProcCoordinator::new())
}

ferry_conformance::broker_tests!(inproc_broker, broker);
ferry_conformance::coordinator_tests!(inproc_coordinator, coordinator);
