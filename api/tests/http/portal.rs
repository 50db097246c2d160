//! The portal as a browser drives it, over HTTP: sign-in makes a server-side session
//! (the cookie is not the key), forms need their token, spec problems are shown at their
//! lines, a tenant sees only its own objects, names are escaped, roles hide what they
//! cannot do, and every page carries the content-security policy.

use crate::support::{App, app, id_of, noop_spec};
use crate::tenancy::{as_key, tenant_key};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use tower::ServiceExt;

/// A browser: a session cookie and the pages it gets.
pub(crate) struct Browser<'a> {
    app: &'a App,
    cookie: Option<String>,
}

pub(crate) struct Page {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    pub(crate) html: String,
}

impl Page {
    /// The value of the hidden `csrf` field of the page's first form.
    pub(crate) fn token(&self) -> String {
        let at = self.html.find(r#"name="csrf" value=""#).expect("a form with a token") + r#"name="csrf" value=""#.len();
        self.html[at..].split('"').next().unwrap().to_string()
    }

    pub(crate) fn location(&self) -> &str {
        self.headers[header::LOCATION].to_str().unwrap()
    }
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a App) -> Self {
        Browser { app, cookie: None }
    }

    async fn send(&self, method: Method, path: &str, form: Option<&[(&str, &str)]>, extra: &[(&str, String)]) -> Page {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c.clone());
        }
        for (k, v) in extra {
            req = req.header(*k, v.clone());
        }
        let body = match form {
            Some(fields) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish())
            }
            None => Body::empty(),
        };
        let res = self.app.router.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        Page { status, headers, html: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        self.send(Method::GET, path, None, &[]).await
    }

    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(fields), &[]).await
    }

    /// Signs in with `key`; returns the `Set-Cookie` of the session.
    pub(crate) async fn sign_in(&mut self, key: &str) -> String {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200);
        let login_cookie = form.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
        let token = form.token();
        self.cookie = Some(login_cookie);
        let done = self.post("/login", &[("key", key), ("csrf", &token), ("next", "/pipelines")]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        assert_eq!(done.location(), "/pipelines");
        let set = done.headers[header::SET_COOKIE].to_str().unwrap().to_string();
        self.cookie = Some(set.split(';').next().unwrap().to_string());
        set
    }
}

#[tokio::test]
async fn sign_in_keeps_a_server_side_session_and_sign_out_ends_it() {
    let app = app().await;
    let key = tenant_key(&app, "acme", "admin").await;
    let mut b = Browser::new(&app);
    assert_eq!(b.get("/pipelines").await.location(), "/login?next=%2Fpipelines", "signed out: to the form");
    let set = b.sign_in(&key).await;
    assert!(set.starts_with("ferry_session="), "{set}");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"), "{set}");
    assert!(!set.contains(&key), "the cookie never holds the key");
    let page = b.get("/pipelines").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("script-src 'self'"));
    assert!(page.html.contains(">Keys<") && page.html.contains(">Audit<"), "an admin is offered keys and audit");

    let token = page.token();
    let out = b.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/pipelines").await.status, StatusCode::SEE_OTHER, "the old cookie no longer opens anything");
}

#[tokio::test]
async fn a_wrong_key_is_told_so_on_the_form() {
    let app = app().await;
    let b = Browser::new(&app);
    let form = b.get("/login").await;
    let cookie = form.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let b = Browser { app: &app, cookie: Some(cookie) };
    let page = b.post("/login", &[("key", "fk_000000000000_nope"), ("csrf", &form.token())]).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.html.contains("this key is not valid"), "{}", page.html);
    // Without the double-submit cookie the form is refused.
    let forged = Browser::new(&app).post("/login", &[("key", "x"), ("csrf", &form.token())]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn forms_need_the_sessions_token_and_this_sites_origin() {
    let app = app().await;
    let key = tenant_key(&app, "acme", "editor").await;
    let mut b = Browser::new(&app);
    b.sign_in(&key).await;
    let spec = "name: forged\ntasks:\n  - id: a\n    kind: noop\n";
    let page = b.post("/pipelines/new", &[("csrf", "not-the-token"), ("spec", spec)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.html.contains("not from this portal"), "{}", page.html);
    let token = b.get("/pipelines/new").await.token();
    let cross = b.send(Method::POST, "/pipelines/new", Some(&[("csrf", &token), ("spec", spec)]), &[("origin", "http://evil.example".into()), ("host", "ferry.local".into())]).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let listed = as_key(&app, &key, Method::GET, "/api/v1/pipelines", None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 0, "nothing was created");
    let made = b.post("/pipelines/new", &[("csrf", &token), ("spec", spec)]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
}

#[tokio::test]
async fn spec_problems_are_shown_at_their_lines_in_the_portal_and_the_api() {
    let app = app().await;
    let key = tenant_key(&app, "acme", "editor").await;
    let mut b = Browser::new(&app);
    b.sign_in(&key).await;
    let token = b.get("/pipelines/new").await.token();
    let spec = "name: lines\ntasks:\n  - id: a\n    kind: noop\n  - id: b\n    kind: noop\n    depends_on:\n      - a\n      - ghost\n";
    let page = b.post("/pipelines/new", &[("csrf", &token), ("spec", spec)]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let at = page.html.find(r#"<p class="spec-error" data-line="9">"#).expect("the problem is under line 9");
    assert!(page.html[at..].contains("ghost"), "{}", &page.html[at..]);
    assert!(page.html.contains("      - ghost\n</textarea>"), "the text is kept for fixing");

    let api = app.call_as(&key, Method::POST, "/api/v1/pipelines", Some("application/yaml"), spec.to_string()).await;
    let p = api.problem(422);
    assert_eq!(p["errors"][0]["line"], 9, "{p}");
    let broken = b.post("/pipelines/new", &[("csrf", &token), ("spec", "name: x\ntasks: [\n")]).await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert!(broken.html.contains("not valid YAML"), "{}", broken.html);
}

#[tokio::test]
async fn another_tenants_session_sees_nothing_of_it() {
    let app = app().await;
    let key_a = tenant_key(&app, "tenant-a", "admin").await;
    let key_b = tenant_key(&app, "tenant-b", "admin").await;
    let made = as_key(&app, &key_a, Method::POST, "/api/v1/pipelines", Some(&noop_spec("a-secret-pipeline"))).await;
    let pid = id_of(&made.body);
    let run = as_key(&app, &key_a, Method::POST, &format!("/api/v1/pipelines/{pid}/runs"), Some(&json!({}))).await;
    let rid = id_of(&run.body);

    let mut a = Browser::new(&app);
    a.sign_in(&key_a).await;
    assert!(a.get("/pipelines").await.html.contains("a-secret-pipeline"));
    assert_eq!(a.get(&format!("/runs/{rid}")).await.status, 200);

    let mut b = Browser::new(&app);
    b.sign_in(&key_b).await;
    assert!(!b.get("/pipelines").await.html.contains("a-secret-pipeline"));
    assert!(!b.get("/runs").await.html.contains(&rid.to_string()[..8]));
    for path in [format!("/pipelines/{pid}"), format!("/runs/{rid}"), format!("/runs/{rid}/live"), format!("/runs/{rid}/manifest.csv")] {
        let page = b.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.html);
    }
    let token = b.get("/pipelines").await.token();
    assert_eq!(b.post(&format!("/runs/{rid}/cancel"), &[("csrf", &token)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.post(&format!("/pipelines/{pid}/delete"), &[("csrf", &token)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(as_key(&app, &key_a, Method::GET, &format!("/api/v1/pipelines/{pid}"), None).await.status, 200, "still there");
}

#[tokio::test]
async fn names_are_shown_as_text_never_run() {
    let app = app().await;
    let key = tenant_key(&app, "acme", "admin").await;
    // Pipeline names are limited to letters, digits, `-`, `_` and `.` by validation, so
    // the markup goes where free text is allowed: the description and a key's name.
    let spec = json!({"name": "p", "description": "<script>alert(1)</script>", "tasks": [{"id": "a", "kind": "noop"}]});
    let made = as_key(&app, &key, Method::POST, "/api/v1/pipelines", Some(&spec)).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let named = as_key(&app, &key, Method::POST, "/api/v1/keys", Some(&json!({"name": "<script>alert(2)</script>", "role": "viewer"}))).await;
    assert_eq!(named.status, 201, "{}", named.body);
    let mut b = Browser::new(&app);
    b.sign_in(&key).await;
    for (path, text) in [("/pipelines", "alert(1)"), (&format!("/pipelines/{}", id_of(&made.body)), "alert(1)"), ("/keys", "alert(2)")] {
        let page = b.get(path).await;
        assert!(page.html.contains(&format!("&lt;script&gt;{text}&lt;/script&gt;")), "{path}: {}", page.html);
        assert!(!page.html.contains("<script>alert"), "{path}: never as markup");
    }
}

#[tokio::test]
async fn a_viewer_is_not_offered_what_it_cannot_do_and_a_revoked_key_ends_its_session() {
    let app = app().await;
    let admin = tenant_key(&app, "acme", "admin").await;
    let viewer = crate::tenancy::key_for(&app, "acme", "viewer").await;
    let made = as_key(&app, &admin, Method::POST, "/api/v1/pipelines", Some(&noop_spec("p"))).await;
    let pid = id_of(&made.body);
    let mut b = Browser::new(&app);
    b.sign_in(&viewer).await;
    let list = b.get("/pipelines").await;
    assert!(!list.html.contains("New pipeline") && !list.html.contains(">Keys<"), "{}", list.html);
    let detail = b.get(&format!("/pipelines/{pid}")).await;
    assert!(!detail.html.contains("Start run") && !detail.html.contains("Save spec"), "{}", detail.html);
    let token = list.token();
    let refused = b.post(&format!("/pipelines/{pid}/runs"), &[("csrf", &token)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "the API's role check holds");
    assert_eq!(b.get("/keys").await.status, StatusCode::FORBIDDEN);

    let keys = as_key(&app, &admin, Method::GET, "/api/v1/keys", None).await;
    let viewer_id = keys.body["items"].as_array().unwrap().iter().find(|k| k["role"] == "viewer").unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(as_key(&app, &admin, Method::DELETE, &format!("/api/v1/keys/{viewer_id}"), None).await.status, 204);
    assert_eq!(b.get("/pipelines").await.status, StatusCode::SEE_OTHER, "revoked: signed out");
}

#[tokio::test]
async fn an_admin_creates_a_key_and_sees_its_secret_once() {
    let app = app().await;
    let admin = tenant_key(&app, "acme", "admin").await;
    let mut b = Browser::new(&app);
    b.sign_in(&admin).await;
    let token = b.get("/keys").await.token();
    let page = b.post("/keys", &[("csrf", &token), ("name", "ci"), ("role", "runner")]).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let at = page.html.find(r#"id="new-key-secret""#).expect("the secret is shown");
    let secret = page.html[at..].split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(secret.starts_with("fk_"));
    assert_eq!(as_key(&app, &secret, Method::GET, "/api/v1/pipelines", None).await.status, 200, "the shown secret works");
    assert!(!b.get("/keys").await.html.contains(&secret), "and is not shown again");
    let audit = b.get("/audit").await;
    assert!(audit.html.contains("POST /keys"), "portal changes are audited: {}", audit.html);
}

#[tokio::test]
async fn every_portal_route_with_an_id_is_a_404_to_another_tenant() {
    let app = app().await;
    let a = tenant_key(&app, "a", "admin").await;
    let b = tenant_key(&app, "b", "admin").await;
    let b_id = app.get("/api/v1/tenants").await.body["items"].as_array().unwrap().iter().find(|t| t["name"] == "b").unwrap()["id"].as_str().unwrap().parse().unwrap();
    let victim = crate::tenant_walk::objects_of(&app, &b, b_id).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&a).await;
    let token = browser.get("/pipelines").await.token();
    // Every field any portal form reads, valid, so only the scope can refuse.
    let fields = [("csrf", token.as_str()), ("spec", "name: x\ntasks:\n  - {id: a, kind: noop}\n"), ("name", "x"), ("kind", "s3")];
    let mut walked = 0;
    for path in ferry_api::portal::paths().into_iter().filter(|p| p.contains('{')) {
        let id = match path.split('/').nth(1).unwrap() {
            "pipelines" => &victim.pipeline,
            "runs" => &victim.run,
            "tasks" => &victim.task,
            "connections" => &victim.connection,
            "channels" => &victim.channel,
            "notification-rules" => &victim.rule,
            "keys" => &victim.key,
            "deliveries" => &victim.delivery,
            _ => panic!("the walk does not know how to fill {path}; teach it"),
        };
        let filled = path.replace("{id}", id).replace("{name}", id);
        let got = browser.get(&filled).await;
        let posted = browser.post(&filled, &fields).await;
        for (method, page) in [("GET", &got), ("POST", &posted)] {
            assert!(matches!(page.status.as_u16(), 404 | 405), "{method} {filled}: {} {}", page.status, page.html);
        }
        assert!(got.status == 404 || posted.status == 404, "{filled} answers neither method with 404");
        walked += 1;
    }
    assert!(walked >= 15, "walked {walked} routes");
    let still = as_key(&app, &b, Method::GET, &format!("/api/v1/pipelines/{}", victim.pipeline), None).await;
    assert_eq!(still.body["name"], "nightly", "nothing the walk sent changed the victim");
    let keys = as_key(&app, &b, Method::GET, "/api/v1/keys", None).await;
    assert!(keys.body["items"].as_array().unwrap().iter().all(|k| k["revoked_at"].is_null()), "{}", keys.body);
}

#[tokio::test]
async fn a_verified_runs_manifest_and_a_dry_runs_decisions_are_offered() {
    let app = app().await;
    let made = app.create_pipeline("proof").await;
    let run = app.create_run(made["id"].as_str().unwrap()).await;
    let row = app.store.get_run(ferry_store::DEFAULT_TENANT, id_of(&run)).await.unwrap().unwrap();
    let report = json!({
        "manifest": [{"path": "a/x.csv", "size": 1, "blake3": "ab", "destinations": ["ok"]}], "manifest_count": 1,
        "decisions": [{"path": "a/x.csv", "action": "copy", "reason": "not at the destination"}], "decisions_count": 1
    });
    let task = crate::support::task_row(&row, "a", ferry_common::state::TaskState::Succeeded, Some(report));
    let task_id = task.id;
    app.store.apply(&ferry_store::WriteBatch { tasks: vec![task], ..Default::default() }).await.unwrap();

    let mut b = Browser::new(&app);
    b.sign_in(crate::support::KEY).await;
    let page = b.get(&format!("/runs/{}", row.id)).await;
    assert!(page.html.contains("Download manifest (CSV)"), "{}", page.html);
    let csv = b.get(&format!("/runs/{}/manifest.csv", row.id)).await;
    assert_eq!(csv.status, 200);
    assert!(csv.html.starts_with("task,path,size,blake3,destinations\n") && csv.html.contains("a/x.csv"), "{}", csv.html);
    let decisions = b.get(&format!("/tasks/{task_id}?list=decisions")).await;
    assert!(decisions.html.contains("not at the destination") && decisions.html.contains(">Decisions<"), "{}", decisions.html);
}

#[tokio::test]
async fn the_datasets_page_shows_each_destinations_marker() {
    let app = app().await;
    let made = app.create_pipeline("import").await;
    let run = app.create_run(made["id"].as_str().unwrap()).await;
    let mut b = Browser::new(&app);
    b.sign_in(crate::support::KEY).await;
    assert!(b.get("/datasets").await.html.contains("No dataset delivered yet"));
    let marker = ferry_store::DatasetMarkerRow {
        tenant_id: ferry_store::DEFAULT_TENANT,
        dataset: "orders".into(),
        destination: "s3://cluster-b/orders/".into(),
        delivered_at: chrono::Utc::now(),
        pipeline_id: id_of(&made),
        run_id: id_of(&run),
        task_id: uuid::Uuid::now_v7(),
        logical_time: chrono::Utc::now(),
        position: None,
    };
    app.store.apply(&ferry_store::WriteBatch { markers: vec![marker], ..Default::default() }).await.unwrap();
    let page = b.get("/datasets").await;
    assert!(page.html.contains("s3://cluster-b/orders/") && page.html.contains(&format!("/runs/{}", id_of(&run))), "{}", page.html);
}

#[tokio::test]
async fn a_session_over_its_keys_rate_limit_gets_a_page_saying_when_to_retry() {
    let app = crate::support::app_limited(ferry_api::rate_limit::RateLimit { per_sec: 1, burst: 3 }).await;
    let key = tenant_key(&app, "busy", "viewer").await;
    let mut b = Browser::new(&app);
    b.sign_in(&key).await;
    let mut last = b.get("/pipelines").await;
    for _ in 0..5 {
        if last.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        last = b.get("/pipelines").await;
    }
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS, "the key's bucket is shared with the API");
    assert!(last.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "a page, not a problem document");
    assert!(last.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn a_pipeline_started_by_triggers_shows_its_firings_and_can_be_paused() {
    let app = app().await;
    let spec = json!({"name": "hooked", "triggers": [{"webhook": {}}], "tasks": [{"id": "a", "kind": "noop"}]});
    let made = app.post_json("/api/v1/pipelines", &spec).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let mut b = Browser::new(&app);
    b.sign_in(crate::support::KEY).await;
    let page = b.get(&format!("/pipelines/{}", id_of(&made.body))).await;
    assert!(page.html.contains("Firings (why it did or did not fire)") && page.html.contains("Pause schedule"), "{}", page.html);
    assert!(!page.html.contains(">Schedule<"), "no schedule to show");
}
