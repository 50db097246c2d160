//! Integration tests of `RedisCoordinator` against a real Redis (default
//! `redis://127.0.0.1:6379`, or `FERRY_TEST_REDIS_URL`). Each test works under its own
//! key prefix and deletes its keys when done, so tests run in parallel on one server.
//!
//! The `Coordinator` contract itself is checked by the shared conformance suite
//! (`conformance`); the other modules test what only Redis has: key ttls and indexes,
//! reconnection, restarts.

mod cancel_claims;
mod common;
mod conformance;
mod heartbeats;
mod reconnect;
mod restart;
