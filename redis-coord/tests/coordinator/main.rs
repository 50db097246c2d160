//! Integration tests of `RedisCoordinator` against a real Redis (default
//! `redis://127.0.0.1:6379`, or `FERRY_TEST_REDIS_URL`). Each test works under its own
//! key prefix and deletes its keys when done, so tests run in parallel on one server.

mod bandwidth;
mod cancel_claims;
mod common;
mod heartbeats;
mod lease;
mod progress;
mod reconnect;
mod restart;
