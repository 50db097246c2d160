//! What a run's tenant adds to it: where its `file://` locations may point, the names of
//! its stored connections (so its spec validates), and the stored connections its tasks
//! name, sealed, to travel with each task message to the worker that opens them.

use ferry_common::connections::SealedConnection;
use ferry_common::file_roots::FileRoots;
use ferry_common::spec::{PipelineSpec, ValidationContext};
use ferry_store::{ConnectionRow, Store, StoreError};
use std::collections::BTreeSet;
use uuid::Uuid;

/// A tenant's share of a run.
pub(crate) struct TenantContext {
    /// The server's validation context plus the tenant's stored connection names.
    pub(crate) validation: ValidationContext,
    pub(crate) roots: FileRoots,
    stored: Vec<ConnectionRow>,
}

/// What the task messages of one run carry beyond the spec.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunExtras {
    pub(crate) roots: FileRoots,
    pub(crate) connections: Vec<SealedConnection>,
}

impl TenantContext {
    /// Reads the tenant's roots and stored connections.
    /// `server` is the orchestrator's own validation context and file roots.
    pub(crate) async fn load(store: &Store, server: (&ValidationContext, &FileRoots), tenant: Uuid) -> Result<Self, StoreError> {
        let own = store.get_tenant(tenant).await?.map(|t| t.file_roots).unwrap_or_default();
        let roots = server.1.for_tenant(&own, tenant == ferry_store::DEFAULT_TENANT);
        let stored = store.tenant_connections(tenant).await?;
        let mut validation = server.0.clone();
        validation.connections.extend(stored.iter().map(|c| c.name.clone()));
        Ok(TenantContext { validation, roots, stored })
    }

    /// The extras of a run of `spec`: the stored connections it names, still sealed.
    pub(crate) fn extras_for(&self, spec: &PipelineSpec) -> RunExtras {
        self.extras_naming(&named_connections(spec))
    }

    /// The roots, and the stored connections among `named`, sealed.
    fn extras_naming(&self, named: &BTreeSet<String>) -> RunExtras {
        let connections = self
            .stored
            .iter()
            .filter(|c| named.contains(&c.name))
            .map(|c| SealedConnection { name: c.name.clone(), options: c.options.clone(), secrets: c.secrets.clone() })
            .collect();
        RunExtras { roots: self.roots.clone(), connections }
    }
}

impl TenantContext {
    /// The extras of one task body run outside a run (a delivery's attempt).
    pub(crate) fn extras_for_body(&self, body: &ferry_common::spec::TaskBody) -> RunExtras {
        let kind = body.as_kind();
        let named: BTreeSet<String> = kind.body_reads().into_iter().chain(kind.body_writes()).filter_map(|l| l.connection).collect();
        self.extras_naming(&named)
    }
}

/// Every connection name a spec's tasks use: their locations' and their conditions'.
fn named_connections(spec: &PipelineSpec) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for t in &spec.tasks {
        let kind = t.body.as_kind();
        let conditions = t.pre.iter().chain(&t.post).chain(t.gate());
        for loc in kind.body_reads().into_iter().chain(kind.body_writes()).chain(conditions.clone().filter_map(|c| c.location())) {
            names.extend(loc.connection);
        }
        names.extend(conditions.filter_map(|c| c.database().map(str::to_string)));
    }
    names
}
