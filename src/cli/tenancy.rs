//! `ferry tenants …` and `ferry keys …`: tenants and their first keys, straight in the
//! database (the data dir's SQLite, or `FERRY_DATABASE_URL`), for a new installation
//! that has no tenant key to call the API with yet.

use anyhow::Context;
use clap::{Args, Subcommand};
use ferry_api::{Role, issue_key};
use ferry_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the database is.
#[derive(Args, Debug, Clone)]
pub(crate) struct DatabaseArgs {
    /// Folder of the embedded database (`ferry standalone`'s data dir).
    #[arg(long, env = "FERRY_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL (`postgres://…` for the distributed stack); overrides the data dir.
    #[arg(long, env = "FERRY_DATABASE_URL")]
    database_url: Option<String>,
}

impl DatabaseArgs {
    async fn open(&self) -> anyhow::Result<Store> {
        let url = self.database_url.clone().unwrap_or_else(|| {
            let dir = self.data_dir.clone().unwrap_or_else(ferry::data_dir::default_data_dir);
            format!("sqlite://{}?mode=rwc", dir.join("ferry.db").display())
        });
        let store = Store::connect(&url).await.context("opening the database")?;
        store.migrate().await.context("migrating the database")?;
        store.ensure_default_tenant().await.context("creating the default tenant")?;
        Ok(store)
    }
}

/// `ferry tenants`.
#[derive(Subcommand, Debug)]
pub(crate) enum TenantsCommand {
    /// Create a tenant.
    Create {
        /// 1 to 64 letters, digits, `-`, `_` or `.`.
        name: String,
        /// A folder the tenant's `file://` locations may use (repeat for several).
        #[arg(long = "file-root")]
        file_roots: Vec<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// List tenants.
    List {
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// `ferry keys`.
#[derive(Subcommand, Debug)]
pub(crate) enum KeysCommand {
    /// Re-seal every stored connection's secrets under a new master key (then set
    /// `FERRY_MASTER_KEY` to the new key on every role).
    RotateMaster {
        /// The master key the secrets are sealed under now (base64).
        #[arg(long)]
        old: String,
        /// The master key to seal them under (base64, 32 bytes).
        #[arg(long)]
        new: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Create a key for a tenant and print its secret (shown this once).
    Create {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// viewer, runner, editor or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// What the key is for.
        #[arg(long, default_value = "created with ferry keys create")]
        name: String,
        /// When the key stops working (RFC 3339); never when absent.
        #[arg(long)]
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("unknown role `{s}`; roles: viewer, runner, editor, admin"))
}

pub(crate) async fn tenants(cmd: TenantsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TenantsCommand::Create { name, file_roots, db } => {
            let store = db.open().await?;
            let row = store.create_tenant(&name, &file_roots, &serde_json::json!({})).await?;
            println!("tenant {} created: {}", row.name, row.id);
        }
        TenantsCommand::List { db } => {
            let store = db.open().await?;
            let mut page = ferry_store::PageRequest { cursor: None, limit: 500 };
            loop {
                let p = store.list_tenants(&page).await?;
                for t in &p.items {
                    println!("{}  {}", t.id, t.name);
                }
                match p.next_cursor {
                    Some(c) => page.cursor = Some(c),
                    None => break,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn keys(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    let (tenant, role, name, expires_at, db) = match cmd {
        KeysCommand::Create { tenant, role, name, expires_at, db } => (tenant, role, name, expires_at, db),
        KeysCommand::RotateMaster { old, new, db } => return rotate_master(&old, &new, &db).await,
    };
    let store = db.open().await?;
    let Some(t) = store.get_tenant_by_name(&tenant).await? else {
        anyhow::bail!("no tenant named `{tenant}`; create it with `ferry tenants create {tenant}`");
    };
    let (row, secret) = issue_key(t.id, &name, role, expires_at);
    store.create_key(&row).await?;
    eprintln!("key {} ({}) for tenant {} created; its secret is shown this once:", row.id, row.role, t.name);
    println!("{secret}");
    Ok(ExitCode::SUCCESS)
}

/// Opens every sealed secret with `old` and seals it again with `new`. Rows already under
/// `new` are left alone, so an interrupted rotation can simply be run again.
async fn rotate_master(old: &str, new: &str, db: &DatabaseArgs) -> anyhow::Result<ExitCode> {
    use ferry_common::sealed::MasterKey;
    let old = MasterKey::from_base64(old).map_err(|e| anyhow::anyhow!("--old: {e}"))?;
    let new = MasterKey::from_base64(new).map_err(|e| anyhow::anyhow!("--new: {e}"))?;
    let store = db.open().await?;
    let (mut done, mut kept) = (0, 0);
    let mut page = ferry_store::PageRequest { cursor: None, limit: 500 };
    loop {
        let p = store.list_connections(None, &page).await?;
        for mut row in p.items {
            let Some(sealed) = row.secrets.clone() else { continue };
            if row.key_id.as_deref() == Some(new.id()) {
                kept += 1;
                continue;
            }
            let plain = old.open(&sealed).map_err(|e| anyhow::anyhow!("connection `{}` ({}): {e}", row.name, row.id))?;
            row.secrets = Some(new.seal(&plain));
            row.key_id = Some(new.id().to_string());
            store.update_connection(&row).await?;
            done += 1;
        }
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    println!("re-sealed {done} connection(s) under key {} ({kept} already were)", new.id());
    Ok(ExitCode::SUCCESS)
}
