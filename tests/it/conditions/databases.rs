//! `table_exists` and `query` against the real Postgres and MariaDB: each test makes its
//! own database, the table and its rows appear while the task waits, and an invalid
//! statement fails the task at once as a permanent error.

use super::{row, run_in_background};
use crate::backends::text;
use crate::distributed::servers::listening;
use crate::distributed::stack::backends::psql;
use std::process::{Command, Stdio};
use std::time::Duration;

fn mariadb(db: Option<&str>, sql: &str) {
    let mut cmd = Command::new("mariadb");
    cmd.args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", "-e", sql]);
    if let Some(db) = db {
        cmd.arg(db);
    }
    let out = cmd.stdin(Stdio::null()).output().expect("the mariadb client (scripts/services.sh installs it)");
    assert!(out.status.success(), "mariadb: {sql}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A fresh database on each server, and a connections file naming both.
fn databases(dir: &std::path::Path) -> (String, std::path::PathBuf) {
    assert!(listening(5432), "PostgreSQL is not listening on 127.0.0.1:5432; scripts/test.sh starts it");
    assert!(listening(3306), "MariaDB is not listening on 127.0.0.1:3306; scripts/test.sh starts it");
    let db = format!("t_{}", uuid::Uuid::new_v4().simple());
    psql(5432, "postgres", &format!("CREATE DATABASE \"{db}\"")).unwrap();
    mariadb(None, &format!("CREATE DATABASE `{db}`"));
    let conns = dir.join("connections.yaml");
    std::fs::write(
        &conns,
        format!(
            "warehouse:\n  url: postgres://postgres@127.0.0.1:5432/{db}\n  password: ${{IT_PG_PASSWORD}}\n\
             shop:\n  url: mysql://root@127.0.0.1:3306/{db}\n"
        ),
    )
    .unwrap();
    (db, conns)
}

#[test]
fn tables_and_rows_that_appear_while_the_task_waits_release_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, conns) = databases(tmp.path());
    let spec = "name: tables\ntasks:
  - id: load
    kind: noop
    pre:
      - table_exists: {connection: warehouse, table: public.orders}
      - query: {connection: warehouse, sql: \"select count(*) >= 3 from orders where day = current_date\"}
      - table_exists: {connection: shop, table: orders}
      - query: {connection: shop, sql: \"select count(*) >= 3 from orders\"}
    wait: {poke: 500ms, timeout: 2m}
  - {id: after, kind: noop, depends_on: [load]}
";
    let env = [("FERRY_CONNECTIONS", conns.display().to_string()), ("IT_PG_PASSWORD", "unused-with-trust".to_string())];
    let child = run_in_background(tmp.path(), "tables", spec, &env);
    std::thread::sleep(Duration::from_secs(2));
    psql(5432, &db, "CREATE TABLE orders (id int, day date)").unwrap();
    mariadb(Some(&db), "CREATE TABLE orders (id int)");
    std::thread::sleep(Duration::from_secs(1));
    for i in 0..3 {
        psql(5432, &db, &format!("INSERT INTO orders VALUES ({i}, current_date)")).unwrap();
        mariadb(Some(&db), &format!("INSERT INTO orders VALUES ({i})"));
    }
    let done = child.wait_with_output().unwrap();
    let stdout = text(&done);
    assert!(done.status.success(), "{stdout}");
    assert_eq!(row(&stdout, "load").0, "succeeded");
    assert_eq!(row(&stdout, "after").0, "succeeded");
}

#[test]
fn an_invalid_statement_fails_at_once_and_a_false_query_times_out() {
    let tmp = tempfile::tempdir().unwrap();
    let (_db, conns) = databases(tmp.path());
    let spec = "name: broken\ntasks:
  - id: typo
    kind: wait
    until: [{query: {connection: warehouse, sql: \"selec 1\"}}]
    wait: {poke: 500ms, timeout: 10m}
  - id: missing
    kind: wait
    until: [{query: {connection: shop, sql: \"select count(*) > 0 from no_such_table\"}}]
    wait: {poke: 500ms, timeout: 10m}
  - id: never
    kind: wait
    until: [{query: {connection: warehouse, sql: \"select false\"}}]
    wait: {poke: 500ms, timeout: 2s, on_timeout: skip}
";
    let env = [("FERRY_CONNECTIONS", conns.display().to_string()), ("IT_PG_PASSWORD", "x".to_string())];
    let done = run_in_background(tmp.path(), "broken", spec, &env).wait_with_output().unwrap();
    let stdout = text(&done);
    assert!(!done.status.success(), "{stdout}");
    let (state, _, detail) = row(&stdout, "typo");
    assert_eq!(state, "failed", "{stdout}");
    assert!(detail.contains("permanent") && detail.contains("syntax"), "{stdout}");
    let (state, _, detail) = row(&stdout, "missing");
    assert_eq!(state, "failed", "{stdout}");
    assert!(detail.contains("permanent") && detail.contains("no_such_table"), "{stdout}");
    let (state, _, detail) = row(&stdout, "never");
    assert_eq!(state, "skipped", "{stdout}");
    assert!(detail.contains("timed out after 2s waiting for query on warehouse"), "{stdout}");
}
