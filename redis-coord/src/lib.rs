//! Ferry's coordinator on Redis: the [`Coordinator`](ferry_common::coordination::Coordinator)
//! seam for deployments where orchestrators and workers run as separate processes,
//! possibly on different hosts, and must agree on who leads, which workers live, which
//! tasks were asked to stop and who runs which attempt.
//!
//! Why Redis: all of this is short-lived state with a natural expiry (a lease, a
//! heartbeat, a claim), which Redis keys with a ttl model directly, and compare-and-set
//! steps run atomically as Lua scripts. Nothing here must survive a Redis restart:
//! after one, the leader re-acquires its lease, workers re-announce themselves within
//! one heartbeat, and claims of running attempts are renewed by their holders.
//!
//! It implements each part of the seam (`Membership`, `AttemptControl`,
//! `BandwidthBuckets`) and runs the same conformance suite as the in-process coordinator
//! (`ferry-conformance`; here from `tests/coordinator/conformance.rs`).
//!
//! Keys (all under the prefix given to [`RedisCoordinator::connect`]):
//!
//! | key | type | ttl | written by |
//! |---|---|---|---|
//! | `lease:<name>` | string (holder) | lease ttl | `acquire_lease` |
//! | `worker:<id>` | string (JSON `WorkerInfo`) | heartbeat ttl | `heartbeat` |
//! | `workers` | sorted set (id → expiry ms) | none, pruned on read | `heartbeat` |
//! | `cancel:<task>` | string `1` | 24 h | `request_cancel` |
//! | `cutover:<task>` | string `1` | 30 days | `request_cutover` |
//! | `claim:<task>:<attempt>` | string (holder) | claim ttl | `claim_attempt` |
//! | `progress:<task>` | string (JSON `Progress`) | caller's ttl | `put_progress` |
//! | `shards:<task>:<attempt>` | hash (index → JSON `ShardState`) | 24 h | `put_shard_state` |
//! | `bw:<key>` | string (GCRA theoretical arrival time, ms) | until 1 s after it is reached | `reserve_bandwidth` |
//!
//! The connection is a [`redis::aio::ConnectionManager`] that reconnects by itself;
//! every call has a deadline ([`CALL_DEADLINE`]) so a dead Redis shows up as errors,
//! not as stuck loops.

mod bandwidth;
mod cancel;
mod claims;
mod connect;
mod error;
mod lease;
mod progress;
mod scripts;
mod shards;
mod workers;

pub use cancel::{CANCEL_FLAG_TTL_SECS, CUTOVER_FLAG_TTL_SECS};
pub use connect::{CALL_DEADLINE, RedisCoordinator};
pub use error::RedisCoordError;
