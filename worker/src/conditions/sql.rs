//! Conditions about databases: `table_exists` and `query`, on Postgres and MySQL/MariaDB.
//!
//! A database connection is an entry of the connections file with a `url`
//! (`postgres://…`, `postgresql://…`, `mysql://…` or `mariadb://…`) and optionally a
//! `password` (so the URL can be shown while the password comes from `${VAR}`). Each
//! connection gets a small lazy pool, built on first use and kept.
//!
//! A query runs in a read-only transaction that is always rolled back, under a statement
//! timeout ([`QUERY_TIMEOUT`], enforced by the server and again by the client), so a
//! condition can neither change data nor hold a connection for long.

use ferry_common::conditions::{ProbeError, SqlQuery, TableExists, Verdict};
use ferry_common::connections::Connections;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The longest a condition's statement may run.
pub(super) const QUERY_TIMEOUT: Duration = Duration::from_secs(30);

/// One database connection's pool.
#[derive(Debug, Clone)]
enum Pool {
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// Pools by connection name, built on first use.
#[derive(Debug, Default)]
pub(super) struct Databases {
    connections: Arc<Connections>,
    pools: Mutex<HashMap<String, Pool>>,
}

impl Databases {
    pub(super) fn new(connections: Arc<Connections>) -> Self {
        Self { connections, pools: Mutex::default() }
    }

    /// `table_exists`: the table (or view) is there.
    pub(super) async fn table_exists(&self, t: &TableExists) -> Result<Verdict, ProbeError> {
        let found = match self.pool(&t.connection)? {
            Pool::Postgres(pool) => {
                let q = sqlx::query("select to_regclass($1) is not null").bind(&t.table);
                let row = bounded(q.fetch_one(&pool)).await?;
                row.try_get::<bool, _>(0).map_err(|e| classify(&e))?
            }
            Pool::MySql(pool) => {
                let (schema, table) = match t.table.split_once('.') {
                    Some((s, n)) => (Some(s), n),
                    None => (None, t.table.as_str()),
                };
                let q = sqlx::query(
                    "select count(*) from information_schema.tables where table_schema = coalesce(?, database()) and table_name = ?",
                )
                .bind(schema)
                .bind(table);
                let row = bounded(q.fetch_one(&pool)).await?;
                row.try_get::<i64, _>(0).map_err(|e| classify(&e))? > 0
            }
        };
        Ok(if found { Verdict::Holds } else { Verdict::Unmet(format!("no table {}", t.table)) })
    }

    /// `query`: the statement returns true (a boolean, or a non-zero number).
    pub(super) async fn query(&self, q: &SqlQuery) -> Result<Verdict, ProbeError> {
        let sql = q.sql.trim().trim_end_matches(';').to_string();
        let value = match self.pool(&q.connection)? {
            Pool::Postgres(pool) => {
                let mut conn = bounded(pool.acquire()).await?;
                let ms = QUERY_TIMEOUT.as_millis();
                let run = async {
                    sqlx::query("begin read only").execute(&mut *conn).await?;
                    sqlx::query(AssertSqlSafe(format!("set local statement_timeout = {ms}"))).execute(&mut *conn).await?;
                    sqlx::query(AssertSqlSafe(sql)).fetch_optional(&mut *conn).await
                };
                let row = bounded(run).await;
                let _ = sqlx::query("rollback").execute(&mut *conn).await;
                row?.map(|r| pg_truth(&r)).transpose()?
            }
            Pool::MySql(pool) => {
                let mut conn = bounded(pool.acquire()).await?;
                // MariaDB and MySQL name the server-side limit differently; each ignores
                // the other's.
                let secs = QUERY_TIMEOUT.as_secs();
                let _ = sqlx::query(AssertSqlSafe(format!("set session max_statement_time = {secs}"))).execute(&mut *conn).await;
                let _ = sqlx::query(AssertSqlSafe(format!("set session max_execution_time = {}", secs * 1000))).execute(&mut *conn).await;
                let run = async {
                    sqlx::query("start transaction read only").execute(&mut *conn).await?;
                    sqlx::query(AssertSqlSafe(sql)).fetch_optional(&mut *conn).await
                };
                let row = bounded(run).await;
                let _ = sqlx::query("rollback").execute(&mut *conn).await;
                row?.map(|r| mysql_truth(&r)).transpose()?
            }
        };
        Ok(match value {
            Some(true) => Verdict::Holds,
            Some(false) => Verdict::Unmet("the query returned false".into()),
            None => Verdict::Unmet("the query returned no row".into()),
        })
    }

    fn pool(&self, name: &str) -> Result<Pool, ProbeError> {
        if let Some(pool) = self.pools.lock().expect("pools lock").get(name) {
            return Ok(pool.clone());
        }
        let conn = self.connections.get(name).ok_or_else(|| {
            ProbeError::Permanent(format!(
                "no connection named `{name}` is defined here (defined: {})",
                self.connections.names().join(", ")
            ))
        })?;
        let url = conn.options.get("url").ok_or_else(|| {
            ProbeError::Permanent(format!(
                "connection `{name}` has no `url`; a database connection is written {{url: postgres://… or mysql://…, password: …}}"
            ))
        })?;
        let password = conn.options.get("password");
        let bad = |e: sqlx::Error| ProbeError::Permanent(format!("connection `{name}`: {e}"));
        let pool = match url.split_once("://").map(|(scheme, _)| scheme) {
            Some("postgres" | "postgresql") => {
                let mut opts = PgConnectOptions::from_str(url).map_err(bad)?.application_name("ferry-conditions");
                if let Some(p) = password {
                    opts = opts.password(p);
                }
                Pool::Postgres(PgPoolOptions::new().max_connections(2).acquire_timeout(Duration::from_secs(10)).connect_lazy_with(opts))
            }
            Some("mysql" | "mariadb") => {
                let url = url.replacen("mariadb://", "mysql://", 1);
                let mut opts = MySqlConnectOptions::from_str(&url).map_err(bad)?;
                if let Some(p) = password {
                    opts = opts.password(p);
                }
                Pool::MySql(MySqlPoolOptions::new().max_connections(2).acquire_timeout(Duration::from_secs(10)).connect_lazy_with(opts))
            }
            _ => {
                return Err(ProbeError::Permanent(format!(
                    "connection `{name}`: `{}` is not a database URL (postgres://, postgresql://, mysql:// or mariadb://)",
                    url.split("://").next().unwrap_or(url)
                )));
            }
        };
        self.pools.lock().expect("pools lock").insert(name.to_string(), pool.clone());
        Ok(pool)
    }
}

/// Runs a database call under the client-side limit, a little longer than the server's.
async fn bounded<T>(fut: impl Future<Output = Result<T, sqlx::Error>>) -> Result<T, ProbeError> {
    match tokio::time::timeout(QUERY_TIMEOUT + Duration::from_secs(5), fut).await {
        Ok(r) => r.map_err(|e| classify(&e)),
        Err(_) => Err(ProbeError::Retryable(format!("no answer within {}s", QUERY_TIMEOUT.as_secs() + 5))),
    }
}

/// The first column of a Postgres row as a truth value.
fn pg_truth(row: &PgRow) -> Result<bool, ProbeError> {
    one_column(row.len())?;
    if let Ok(b) = row.try_get::<bool, _>(0) {
        return Ok(b);
    }
    if let Ok(n) = row.try_get::<i64, _>(0).or_else(|_| row.try_get::<i32, _>(0).map(i64::from)).or_else(|_| row.try_get::<i16, _>(0).map(i64::from)) {
        return Ok(n != 0);
    }
    if let Ok(x) = row.try_get::<f64, _>(0).or_else(|_| row.try_get::<f32, _>(0).map(f64::from)) {
        return Ok(x != 0.0);
    }
    Err(not_a_truth(row.try_get::<Option<bool>, _>(0).is_ok()))
}

/// The first column of a MySQL/MariaDB row as a truth value.
fn mysql_truth(row: &MySqlRow) -> Result<bool, ProbeError> {
    one_column(row.len())?;
    if let Ok(n) = row.try_get::<i64, _>(0).or_else(|_| row.try_get::<i32, _>(0).map(i64::from)).or_else(|_| row.try_get::<i8, _>(0).map(i64::from)) {
        return Ok(n != 0);
    }
    if let Ok(n) = row.try_get::<u64, _>(0) {
        return Ok(n != 0);
    }
    if let Ok(b) = row.try_get::<bool, _>(0) {
        return Ok(b);
    }
    if let Ok(x) = row.try_get::<f64, _>(0) {
        return Ok(x != 0.0);
    }
    if let Ok(text) = row.try_get::<String, _>(0)
        && let Ok(x) = text.trim().parse::<f64>()
    {
        return Ok(x != 0.0);
    }
    Err(not_a_truth(false))
}

fn one_column(n: usize) -> Result<(), ProbeError> {
    if n == 1 {
        Ok(())
    } else {
        Err(ProbeError::Permanent(format!("the query returned {n} columns; a condition returns one boolean or number")))
    }
}

fn not_a_truth(null: bool) -> ProbeError {
    ProbeError::Permanent(if null {
        "the query returned NULL; a condition returns one boolean or number".into()
    } else {
        "the query's column is neither a boolean nor a number; cast it (e.g. `count(*) >= 10` or `::bigint`)".into()
    })
}

/// Unreachable servers, timeouts and transient server states may pass; a statement the
/// server refuses (syntax, unknown table, permission, login) will not.
fn classify(e: &sqlx::Error) -> ProbeError {
    let text = e.to_string();
    match e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            if ["08", "40", "53", "57", "70"].iter().any(|class| code.starts_with(class)) {
                ProbeError::Retryable(text)
            } else {
                ProbeError::Permanent(format!("{text} (SQLSTATE {code})"))
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => ProbeError::Retryable(text),
        _ => ProbeError::Permanent(text),
    }
}
