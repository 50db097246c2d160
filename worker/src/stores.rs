//! Location → object store resolution.
//!
//! Every executor reads and writes through `object_store`, so a location is resolved to a
//! store plus a prefix inside it:
//!
//! - `file:///abs/dir` → one [`LocalFileSystem`] rooted at `/`; the prefix is the
//!   percent-decoded URL path. A plain absolute path is accepted too (it is turned into a
//!   `file://` URL by [`ferry_common::location::parse_location`]).
//! - `memory://NAME/prefix` → a process-wide [`InMemory`] store per `NAME`, so the same name
//!   means the same data in every task of this process (tests, demos, the embedded mode).
//! - `s3://`, `gs://`, `az://` (and the other schemes `object_store` parses) → the matching
//!   builder configured from the environment (`AmazonS3Builder::from_env()` and friends,
//!   i.e. `AWS_*`, `GOOGLE_*`, `AZURE_*` variables), then from the URL.
//!
//! - A location with a `connection` → the same builders, configured only from that
//!   connection's options (see [`ferry_common::connections`]); the environment is not read, so
//!   two connections to the same bucket never share credentials by accident.
//!
//! Built stores are cached per scheme and authority (and connection): building a cloud client is not free
//! (credential discovery, connection pools) and one client serves every prefix of a bucket.

use ferry_common::connections::{CONNECTIONS_ENV, Connection, Connections};
use crate::error::WorkerError;
use ferry_common::location::{is_prefix, parse_location};
use ferry_common::spec::Location;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreScheme};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use url::Url;

/// The process-wide named in-memory stores behind `memory://NAME/`.
static MEMORY_STORES: OnceLock<Mutex<HashMap<String, Arc<InMemory>>>> = OnceLock::new();

/// The in-memory store called `name`, created empty on first use.
///
/// Public so tests and the embedded mode can seed or inspect `memory://` data directly.
pub fn memory_store(name: &str) -> Arc<InMemory> {
    MEMORY_STORES
        .get_or_init(Default::default)
        .lock()
        .expect("memory store registry poisoned")
        .entry(name.to_string())
        .or_insert_with(|| Arc::new(InMemory::new()))
        .clone()
}

/// A location resolved to what the executors need.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The store serving the location.
    pub store: Arc<dyn ObjectStore>,
    /// The location's path inside the store (may be the root).
    pub prefix: Path,
    /// The location as a URL, for messages and results.
    pub url: Url,
    /// Whether the location was written as a prefix (trailing `/`), which rules out the
    /// "single object" reading.
    pub explicit_prefix: bool,
}

/// Turns locations into stores, caching built stores. Cheap to clone: clones share the cache.
#[derive(Debug, Clone, Default)]
pub struct StoreResolver {
    cache: Arc<Mutex<HashMap<String, Arc<dyn ObjectStore>>>>,
    connections: Arc<Connections>,
}

impl StoreResolver {
    /// A resolver with an empty cache and no named connections.
    pub fn new() -> Self {
        Self::default()
    }

    /// A resolver that serves locations naming one of `connections`.
    pub fn with_connections(connections: Connections) -> Self {
        Self {
            cache: Arc::default(),
            connections: Arc::new(connections),
        }
    }

    /// A resolver with the connections of the file `FERRY_CONNECTIONS` names (none when
    /// unset): what every worker process uses.
    pub fn from_env() -> Result<Self, WorkerError> {
        let connections = Connections::from_env().map_err(|e| match e {
            ferry_common::CommonError::Connections { file, reason } => {
                WorkerError::Connections { file, reason }
            }
            other => WorkerError::Connections {
                file: std::env::var(CONNECTIONS_ENV).unwrap_or_default(),
                reason: other.to_string(),
            },
        })?;
        Ok(Self::with_connections(connections))
    }

    /// The resolver one attempt uses: the tenant's stored connections the task carried
    /// (opened) over this worker's own. Built fresh, with its own store cache, so stores
    /// built from one tenant's credentials are never handed to another's attempt.
    pub fn for_attempt(&self, ctx: &ferry_common::executor::ExecContext) -> StoreResolver {
        let Some(extra) = &ctx.connections else { return self.clone() };
        let mut all = (*self.connections).clone();
        for name in extra.names() {
            if let Some(c) = extra.get(name) {
                all.insert(name, c.clone());
            }
        }
        StoreResolver::with_connections(all)
    }

    /// The named connections this resolver serves (database connections among them).
    pub fn connections(&self) -> &Arc<Connections> {
        &self.connections
    }

    /// The store serving `location` and the prefix inside it.
    pub fn resolve(
        &self,
        location: &Location,
    ) -> Result<(Arc<dyn ObjectStore>, Path), WorkerError> {
        let r = self.resolve_full(location)?;
        Ok((r.store, r.prefix))
    }

    /// Like [`StoreResolver::resolve`], also returning the parsed URL and whether it names
    /// a prefix explicitly.
    pub fn resolve_full(&self, location: &Location) -> Result<Resolved, WorkerError> {
        let invalid = |reason: String| WorkerError::InvalidLocation {
            location: location.url.clone(),
            reason,
        };
        let url = parse_location(&location.url).map_err(|e| match e {
            ferry_common::CommonError::InvalidLocation { reason, .. } => invalid(reason),
            other => invalid(other.to_string()),
        })?;
        let explicit_prefix = is_prefix(&url);
        let connection = match &location.connection {
            None => None,
            Some(name) => Some((name.as_str(), self.connection(location, name, &url)?)),
        };
        let (store, prefix): (Arc<dyn ObjectStore>, Path) = match url.scheme() {
            "file" => {
                let prefix = Path::from_url_path(url.path()).map_err(|e| invalid(e.to_string()))?;
                let store = self.cached("file://".to_string(), || {
                    Ok(Arc::new(LocalFileSystem::new()))
                })?;
                (store, prefix)
            }
            "memory" => {
                let prefix = Path::from_url_path(url.path()).map_err(|e| invalid(e.to_string()))?;
                let store: Arc<dyn ObjectStore> = memory_store(url.host_str().unwrap_or(""));
                (store, prefix)
            }
            _ => {
                let (scheme, prefix) =
                    ObjectStoreScheme::parse(&url).map_err(|e| invalid(e.to_string()))?;
                let store = match connection {
                    None => self.cached(cache_key(&url), || {
                        build_cloud(&scheme, &url).map_err(WorkerError::from)
                    })?,
                    Some((name, conn)) => {
                        self.cached(format!("{name}|{}", cache_key(&url)), || {
                            build_with_connection(&scheme, &url, conn).map_err(|reason| {
                                WorkerError::BadConnection {
                                    location: location.url.clone(),
                                    connection: name.to_string(),
                                    reason,
                                }
                            })
                        })?
                    }
                };
                (store, prefix)
            }
        };
        Ok(Resolved {
            store,
            prefix,
            url,
            explicit_prefix,
        })
    }

    /// The connection a location names; only object stores take one.
    fn connection(
        &self,
        location: &Location,
        name: &str,
        url: &Url,
    ) -> Result<&Connection, WorkerError> {
        if matches!(url.scheme(), "file" | "memory") {
            return Err(WorkerError::BadConnection {
                location: location.url.clone(),
                connection: name.to_string(),
                reason: format!("{}:// locations take no connection", url.scheme()),
            });
        }
        self.connections
            .get(name)
            .ok_or_else(|| WorkerError::UnknownConnection {
                location: location.url.clone(),
                connection: name.to_string(),
                known: match self.connections.names() {
                    n if n.is_empty() => format!(
                        "no connections are defined; point {CONNECTIONS_ENV} at a connections file"
                    ),
                    n => format!("defined: {}", n.join(", ")),
                },
            })
    }

    fn cached(
        &self,
        key: String,
        build: impl FnOnce() -> Result<Arc<dyn ObjectStore>, WorkerError>,
    ) -> Result<Arc<dyn ObjectStore>, WorkerError> {
        if let Some(s) = self.cache.lock().expect("store cache poisoned").get(&key) {
            return Ok(s.clone());
        }
        // Built outside the lock: building may read credentials files; a rare double build
        // only costs a discarded client.
        let store = build()?;
        Ok(self
            .cache
            .lock()
            .expect("store cache poisoned")
            .entry(key)
            .or_insert(store)
            .clone())
    }
}

/// Identity of the client serving `url`: scheme and authority, plus the first path segment
/// for http(s), where Azure and path-style S3 URLs carry the container/bucket in the path.
fn cache_key(url: &Url) -> String {
    let base = &url[..url::Position::BeforePath];
    match url.scheme() {
        "http" | "https" => {
            let first = url
                .path()
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("");
            format!("{base}/{first}")
        }
        _ => base.to_string(),
    }
}

fn build_cloud(
    scheme: &ObjectStoreScheme,
    url: &Url,
) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
    use object_store::aws::AmazonS3Builder;
    use object_store::azure::MicrosoftAzureBuilder;
    use object_store::gcp::GoogleCloudStorageBuilder;
    use object_store::http::HttpBuilder;
    Ok(match scheme {
        ObjectStoreScheme::AmazonS3 => {
            Arc::new(AmazonS3Builder::from_env().with_url(url.as_str()).build()?)
        }
        ObjectStoreScheme::GoogleCloudStorage => Arc::new(
            GoogleCloudStorageBuilder::from_env()
                .with_url(url.as_str())
                .build()?,
        ),
        ObjectStoreScheme::MicrosoftAzure => Arc::new(
            MicrosoftAzureBuilder::from_env()
                .with_url(url.as_str())
                .build()?,
        ),
        ObjectStoreScheme::Http => Arc::new(
            HttpBuilder::new()
                .with_url(&url[..url::Position::BeforePath])
                .build()?,
        ),
        other => {
            return Err(object_store::Error::NotSupported {
                source: format!("no builder for {other:?}").into(),
            });
        }
    })
}

/// The file on disk behind `path` of a `file://` location; `None` for other stores. Lets
/// local work skip `object_store`'s blocking hops (one per open and per chunk).
pub fn local_path(loc: &Resolved, path: &Path) -> Option<std::path::PathBuf> {
    if loc.url.scheme() != "file" {
        return None;
    }
    // The resolver serves every file:// URL from a LocalFileSystem rooted at `/`; the
    // same mapping (with its percent-decoding) gives the path on disk.
    static ROOT: OnceLock<LocalFileSystem> = OnceLock::new();
    ROOT.get_or_init(LocalFileSystem::new).path_to_filesystem(path).ok()
}

/// Builds the store for `url` from a connection's options alone. An option the builder
/// does not know is an error naming it, not silently dropped.
fn build_with_connection(
    scheme: &ObjectStoreScheme,
    url: &Url,
    connection: &Connection,
) -> Result<Arc<dyn ObjectStore>, String> {
    use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
    use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
    use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
    let unknown = |key: &str| format!("unknown option `{key}` for a {scheme:?} store");
    let built = match scheme {
        ObjectStoreScheme::AmazonS3 => {
            let mut b = AmazonS3Builder::new().with_url(url.as_str());
            for (k, v) in &connection.options {
                let key: AmazonS3ConfigKey = k.parse().map_err(|_| unknown(k))?;
                b = b.with_config(key, v);
            }
            b.build().map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
        }
        ObjectStoreScheme::MicrosoftAzure => {
            let mut b = MicrosoftAzureBuilder::new().with_url(url.as_str());
            for (k, v) in &connection.options {
                let key: AzureConfigKey = k.parse().map_err(|_| unknown(k))?;
                b = b.with_config(key, v);
            }
            b.build().map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
        }
        ObjectStoreScheme::GoogleCloudStorage => {
            let mut b = GoogleCloudStorageBuilder::new().with_url(url.as_str());
            for (k, v) in &connection.options {
                let key: GoogleConfigKey = k.parse().map_err(|_| unknown(k))?;
                b = b.with_config(key, v);
            }
            b.build().map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
        }
        other => return Err(format!("connections do not apply to {other:?} locations")),
    };
    built.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
