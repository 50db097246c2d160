//! One conformance suite per seam, run by every implementation of it.
//!
//! | seam | suite | implementations and where they run it |
//! |---|---|---|
//! | [`Broker`](ferry_common::broker::Broker) | [`broker`], [`broker_tests!`] | in-process (`conformance/tests/inproc.rs`), RabbitMQ (`amqp/tests/conformance.rs`) |
//! | [`Coordinator`](ferry_common::coordination::Coordinator) | [`coordinator`], [`coordinator_tests!`] | in-process (`conformance/tests/inproc.rs`), Redis (`redis-coord/tests/coordinator/conformance.rs`) |
//! | the store | [`store`], [`store_tests!`] | SQLite and Postgres (`store/tests/conformance.rs`) |
//!
//! Why a crate of its own: a suite must be callable from the tests of every crate that
//! implements the seam, and the in-process implementations live in `ferry-common`, whose
//! own tests cannot use a crate that depends on it without linking two copies of its
//! types. So the suites live here and the in-process implementations are tested from
//! this crate's `tests/`.
//!
//! Each suite is a harness trait (what the suite needs from an implementation besides
//! the seam itself: a fresh, isolated instance, and for the broker a look at its
//! dead letters) and one `pub async fn` per case. A `*_tests!` macro stamps out one
//! `#[test]` per case, so a new implementation is added with one line:
//!
//! ```ignore
//! ferry_conformance::broker_tests!(rabbitmq, fresh_rabbitmq);
//! ```
//!
//! where `fresh_rabbitmq` is an `async fn() -> impl BrokerHarness` that gives every case
//! its own isolated instance (a vhost, a key prefix, a database), so cases never see each
//! other and run in parallel under nextest. A case that finds its server missing fails
//! with the harness's message; nothing is skipped for lack of a server.

pub mod broker;
pub mod coordinator;
pub mod outbox;
pub mod store;
mod store_harness;
mod support;

pub use support::{CASE_DEADLINE, eventually, run_case};

/// Stamps out, in a module named `$module`, one `#[test]` per case of the [`broker`]
/// suite, each calling `$make().await` for a fresh [`broker::BrokerHarness`]. With
/// `carries_bytes` (the harness is also a [`broker::ByteBrokerHarness`]) it adds the
/// case of an undecodable message.
#[macro_export]
macro_rules! broker_tests {
    ($module:ident, $make:path, carries_bytes) => {
        $crate::broker_tests!(@all $module, $make; undecodable_message_is_dead_lettered,);
    };
    ($module:ident, $make:path) => {
        $crate::broker_tests!(@all $module, $make;);
    };
    (@all $module:ident, $make:path; $($extra:ident,)*) => {
        $crate::broker_tests!(@cases $module, $make;
            $($extra,)*
            name_and_ready,
            publish_consume_ack,
            events_round_trip,
            nack_with_requeue_redelivers,
            dropped_delivery_is_redelivered,
            lost_consumer_redelivers,
            nack_without_requeue_dead_letters,
            prefetch_limits_unacked_deliveries,
            one_publisher_one_consumer_keeps_order,
            tasks_reach_only_their_queue,
            close_ends_streams_and_refuses_publishes,
        );
    };
    (@cases $module:ident, $make:path; $($case:ident),* $(,)?) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $case() {
                    $crate::run_case(async { $crate::broker::$case($make().await).await });
                }
            )*
        }
    };
}

/// Stamps out, in a module named `$module`, one `#[test]` per case of the
/// [`coordinator`] suite, each calling `$make().await` for a fresh
/// [`coordinator::CoordinatorHarness`].
#[macro_export]
macro_rules! coordinator_tests {
    ($module:ident, $make:path) => {
        $crate::coordinator_tests!(@cases $module, $make;
            name_and_ready,
            lease_is_exclusive_per_name,
            renewing_extends_a_lease,
            a_lapsed_lease_passes_on,
            only_the_holder_releases_a_lease,
            heartbeats_list_live_workers,
            silent_workers_drop_out,
            cancel_flags_are_per_task,
            a_claim_is_exclusive_per_attempt,
            concurrent_claims_have_one_winner,
            a_lapsed_claim_can_be_taken,
            live_progress_is_the_latest_report,
            live_progress_lapses,
            shard_states_are_per_attempt,
            a_bucket_grants_its_burst_then_spaces_draws,
            a_request_limit_admits_its_burst_then_refuses,
        );
    };
    (@cases $module:ident, $make:path; $($case:ident),* $(,)?) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $case() {
                    $crate::run_case(async { $crate::coordinator::$case($make().await).await });
                }
            )*
        }
    };
}

/// Stamps out, in a module named `$module`, one `#[test]` per case of the [`store`]
/// suite, each calling `$make().await` for a fresh [`store::StoreHarness`].
#[macro_export]
macro_rules! store_tests {
    ($module:ident, $make:path) => {
        $crate::store_tests!(@cases $module, $make;
            migrated_and_ready,
            pipelines_crud,
            pipeline_pages_follow_the_cursor,
            a_run_starts_queued_with_its_first_transition,
            runs_list_newest_first_and_filter,
            batches_move_runs_and_tasks_and_record_transitions,
            cancel_is_refused_once_a_run_finished,
            concurrent_creates_of_one_name_have_one_winner,
            concurrent_batches_are_serialised,
            a_large_batch_fits_the_parameter_limits,
            the_outbox_keeps_routes_and_delivers_each_pair_once,
        );
    };
    (@cases $module:ident, $make:path; $($case:ident),* $(,)?) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $case() {
                    $crate::run_case(async { $crate::store::$case($make().await).await });
                }
            )*
        }
    };
}
