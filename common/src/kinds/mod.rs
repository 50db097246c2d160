//! Task kinds: each kind's spec side in one file, and the one list that registers them.
//!
//! A kind is a struct (its spec fields) implementing [`TaskKind`], in
//! `common/src/kinds/<kind>.rs`, plus an executor in `worker/src/executors/<kind>`. The
//! list in [`with_task_kinds!`](crate::with_task_kinds) is the only place a kind is
//! named: from it come the [`TaskBody`] enum (so serde, the spec parser and the OpenAPI
//! schema see every kind), the structural parser's field lists, validation, relative
//! path resolution, and (through the same macro, expanded in the worker) the worker's
//! executor registry. An unknown `kind` is therefore always an error naming the kinds
//! that exist, and a kind without an executor does not compile.
//!
//! `ARCHITECTURE.md` at the workspace root walks through adding a kind.

mod registry;

pub use crate::checks::KindCheck;
pub use registry::{KindInfo, find_kind};
pub(crate) use registry::typed as registry_typed;

use crate::location::Location;
use crate::problem::SpecProblem;
use crate::values::Bandwidth;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The spec side of one task kind. Everything the parser, validator and planner need to
/// know about a kind is answered here, so none of them has a `match` over kinds.
pub trait TaskKind: Serialize + DeserializeOwned + Clone + std::fmt::Debug + PartialEq {
    /// The `kind` string users write.
    const NAME: &'static str;
    /// The fields this kind accepts besides the common ones (`id`, `kind`, `depends_on`,
    /// `retries`, `timeout`). The structural pass names every other field as unknown at
    /// once (serde alone stops at the first); a test keeps the list in step with the type.
    const FIELDS: &'static [&'static str];

    /// Rewrites the raw body before it is typed: shorthands such as copy's `destination`
    /// for a one-element `destinations`. `path` is the task's path (`tasks[3]`).
    fn normalize(_body: &mut Map<String, Value>, _path: &str, _problems: &mut Vec<SpecProblem>) {}

    /// Checks the body's meaning (pure, no I/O), reporting every problem through `check`.
    fn validate(&self, _check: &mut KindCheck<'_>) {}

    /// Every location the task reads or writes, so `ferry run` can resolve paths written
    /// relative to the spec file without knowing the kind.
    fn locations_mut(&mut self) -> Vec<&mut Location> {
        Vec::new()
    }

    /// The task's own bandwidth budget, if the kind moves bytes and the spec set one.
    fn bandwidth(&self) -> Option<Bandwidth> {
        None
    }

    /// Turns the task into a dry run (`ferry run --dry-run`): it decides and reports but
    /// changes nothing. Kinds that change nothing ignore it.
    fn set_dry_run(&mut self) {}

    /// Whether a worker runs the task. A kind that only waits (`wait`) is finished by the
    /// orchestrator and never takes a worker slot.
    const RUNS_ON_WORKER: bool = true;

    /// Locations the task reads, so a task reading what another writes depends on it
    /// without `depends_on` (inferred dependencies).
    fn reads(&self) -> Vec<Location> {
        Vec::new()
    }

    /// Locations the task writes (or deletes from).
    fn writes(&self) -> Vec<Location> {
        Vec::new()
    }

    /// What a `consistent` post-condition compares; `None` for a kind that does not copy.
    fn copy_sides(&self) -> Option<CopySides> {
        None
    }

    /// Prepares the attempt after a failed post-condition: it must rewrite what the
    /// condition found missing or different, whatever its own skip rule says.
    fn set_repair(&mut self) {}
}

/// What a copy promises, for its `consistent` post-condition: every selected source file
/// is at every destination, equal; with `mirror`, nothing else is there either.
#[derive(Debug, Clone, PartialEq)]
pub struct CopySides {
    pub source: Location,
    pub destinations: Vec<Location>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Files only a destination has count as inconsistent (the copy deletes them).
    pub mirror: bool,
}

/// The object-safe part of [`TaskKind`], so a [`TaskBody`] can hand out its kind's
/// behaviour without a `match` at each call site.
pub trait KindBody {
    /// See [`TaskKind::NAME`].
    fn kind_name(&self) -> &'static str;
    /// See [`TaskKind::validate`].
    fn validate_body(&self, check: &mut KindCheck<'_>);
    /// See [`TaskKind::locations_mut`].
    fn body_locations_mut(&mut self) -> Vec<&mut Location>;
    /// See [`TaskKind::bandwidth`].
    fn body_bandwidth(&self) -> Option<Bandwidth>;
    /// See [`TaskKind::set_dry_run`].
    fn body_set_dry_run(&mut self);
    /// See [`TaskKind::RUNS_ON_WORKER`].
    fn runs_on_worker(&self) -> bool;
    /// See [`TaskKind::reads`].
    fn body_reads(&self) -> Vec<Location>;
    /// See [`TaskKind::writes`].
    fn body_writes(&self) -> Vec<Location>;
    /// See [`TaskKind::copy_sides`].
    fn body_copy_sides(&self) -> Option<CopySides>;
    /// See [`TaskKind::set_repair`].
    fn body_set_repair(&mut self);
}

impl<K: TaskKind> KindBody for K {
    fn kind_name(&self) -> &'static str {
        K::NAME
    }
    fn validate_body(&self, check: &mut KindCheck<'_>) {
        self.validate(check)
    }
    fn body_locations_mut(&mut self) -> Vec<&mut Location> {
        self.locations_mut()
    }
    fn body_bandwidth(&self) -> Option<Bandwidth> {
        self.bandwidth()
    }
    fn body_set_dry_run(&mut self) {
        self.set_dry_run()
    }
    fn runs_on_worker(&self) -> bool {
        K::RUNS_ON_WORKER
    }
    fn body_reads(&self) -> Vec<Location> {
        self.reads()
    }
    fn body_writes(&self) -> Vec<Location> {
        self.writes()
    }
    fn body_copy_sides(&self) -> Option<CopySides> {
        self.copy_sides()
    }
    fn body_set_repair(&mut self) {
        self.set_repair()
    }
}

/// The list of task kinds: the one registration point.
///
/// It hands the list to another macro (`$callback`), once here in `common` to define
/// [`TaskBody`] and the parser's table, and once in the worker to declare and register
/// the executors. Each entry is `Variant(Type) = module`: the [`TaskBody`] variant, the
/// spec type (in `common/src/kinds/<module>.rs`) and the module name shared by the spec
/// file and the executor folder (`worker/src/executors/<module>`).
#[macro_export]
macro_rules! with_task_kinds {
    ($callback:ident) => {
        $callback! {
            Copy(CopyTask) = copy,
            Check(CheckTask) = check,
            Noop(NoopTask) = noop,
            Delete(DeleteTask) = delete,
            Wait(WaitTask) = wait,
            Migrate(MigrateTask) = migrate,
            Sync(SyncTask) = sync,
            Restore(RestoreTask) = restore,
        }
    };
}

/// Declares each kind's module and the [`TaskBody`] enum from the list.
macro_rules! declare_task_body {
    ($($variant:ident($ty:ident) = $module:ident,)*) => {
        $(pub mod $module;)*
        $(pub use $module::*;)*

        /// What a task does: one variant per registered kind. The tag is the spec's `kind`.
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum TaskBody {
            $(
                #[doc = concat!("A `", stringify!($module), "` task.")]
                $variant($ty),
            )*
        }

        impl TaskBody {
            /// The kind's behaviour behind the body.
            pub fn as_kind(&self) -> &dyn KindBody {
                match self {
                    $(TaskBody::$variant(body) => body,)*
                }
            }

            /// The kind's behaviour behind the body, mutably.
            pub fn as_kind_mut(&mut self) -> &mut dyn KindBody {
                match self {
                    $(TaskBody::$variant(body) => body,)*
                }
            }
        }

        /// The schema is one object per kind: the kind's own fields plus `kind` (a
        /// one-value enum), side by side in a `oneOf`. (utoipa's derive writes each variant
        /// as an `allOf` of the kind and the tag, which client generators refuse inside a
        /// union.) The kinds' own schemas stay components too.
        impl utoipa::PartialSchema for TaskBody {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let mut one_of = utoipa::openapi::schema::OneOfBuilder::new()
                    .description(Some("What a task does: the fields of its `kind`."));
                $(
                    one_of = one_of.item(registry::with_kind(
                        <$ty as utoipa::PartialSchema>::schema(),
                        <$ty as TaskKind>::NAME,
                    ));
                )*
                one_of.into()
            }
        }

        impl utoipa::ToSchema for TaskBody {
            fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
                $(
                    schemas.push((<$ty as utoipa::ToSchema>::name().into(), <$ty as utoipa::PartialSchema>::schema()));
                    <$ty as utoipa::ToSchema>::schemas(schemas);
                )*
            }
        }

        /// The `kind` strings of every registered kind, in list order.
        pub const KIND_NAMES: &[&str] = &[$(<$ty as TaskKind>::NAME,)*];

        /// Every registered kind, in list order, with what the structural pass needs.
        pub(crate) static KINDS: &[KindInfo] = &[
            $(KindInfo {
                name: <$ty as TaskKind>::NAME,
                fields: <$ty as TaskKind>::FIELDS,
                normalize: <$ty as TaskKind>::normalize,
                typed: |value, prefix, problems| {
                    registry::typed::<$ty>(value, prefix, problems).map(TaskBody::$variant)
                },
            },)*
        ];
    };
}

with_task_kinds!(declare_task_body);

impl TaskBody {
    /// The `kind` string as written in specs and shown by the API.
    pub fn kind(&self) -> &'static str {
        self.as_kind().kind_name()
    }
}
