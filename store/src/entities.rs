//! sea-orm entities, private to this crate: one module per table, in the classic
//! `DeriveEntityModel` form. They mirror `ferry-migrations` column for column; callers
//! never see them (see `convert` for the mapping to the public row types).

#![allow(unreachable_pub)] // the sea-orm derives generate `pub` items for crate-private models

pub(crate) mod api_keys;
pub(crate) mod arrival_watches;
pub(crate) mod arrivals;
pub(crate) mod audit;
pub(crate) mod channels;
pub(crate) mod events;
pub(crate) mod connections;
pub(crate) mod dataset_markers;
pub(crate) mod deliveries;
pub(crate) mod firings;
pub(crate) mod notification_rules;
pub(crate) mod notifications;
pub(crate) mod pipelines;
pub(crate) mod portal_sessions;
pub(crate) mod role_beats;
pub(crate) mod runs;
pub(crate) mod tasks;
pub(crate) mod tenants;
pub(crate) mod transitions;
