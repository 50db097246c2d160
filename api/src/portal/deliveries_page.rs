//! Deliveries: every destination's delivery of a copy, filtered by dataset, destination
//! or state, with the hands a runner has on an async one (retry, cancel).

use super::error::PortalError;
use super::format::{maybe_time, short_id, state};
use super::layout::{Section, TokenForm, action_button, page};
use super::page_id;
use super::session::Session;
use crate::auth::Role;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::deliveries::{self, DeliveriesQuery};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use ferry_common::delivery_state::DeliveryState;
use maud::html;

/// `GET /deliveries`.
pub(crate) async fn list(State(st): State<AppState>, session: Session, Query(q): Query<DeliveriesQuery>) -> Result<Response, PortalError> {
    let listed = deliveries::list_deliveries(State(st), session.caller, ApiQuery(q.clone())).await?.0;
    let next_query = |cursor: &str| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("dataset", &q.dataset), ("destination", &q.destination), ("state", &q.state)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                s.append_pair(k, v);
            }
        }
        s.append_pair("cursor", cursor);
        s.finish()
    };
    let acts = session.can(Role::Runner);
    let body = html! {
        h1 { "Deliveries" }
        form.filters method="get" action="/deliveries" {
            label for="f-dataset" { "Dataset" }
            input #f-dataset name="dataset" value=(q.dataset.as_deref().unwrap_or(""));
            label for="f-destination" { "Destination" }
            input #f-destination name="destination" value=(q.destination.as_deref().unwrap_or(""));
            label for="f-state" { "State" }
            select #f-state name="state" {
                option value="" { "any" }
                @for s in DeliveryState::ALL { option value=(s.as_str()) selected[q.state.as_deref() == Some(s.as_str())] { (s.as_str()) } }
            }
            button type="submit" { "Filter" }
        }
        @if listed.items.is_empty() { p { "No deliveries match. A copy that names a " code { "dataset" } ", is incremental or has " code { "delivery: async" } " destinations records one per destination." } } @else {
            div.table-wrap tabindex="0" { table #deliveries {
                caption.visually-hidden { "Deliveries, newest first" }
                thead { tr {
                    th scope="col" { "Destination" } th scope="col" { "Dataset" } th scope="col" { "Mode" } th scope="col" { "State" }
                    th scope="col" { "Run" } th scope="col" { "Files" } th scope="col" { "Attempts" } th scope="col" { "Next attempt" }
                    th scope="col" { "Finished" } th scope="col" { "Last error" } @if acts { th scope="col" { "Actions" } }
                } }
                tbody { @for d in &listed.items { tr data-state=(d.state.as_str()) {
                    td { code { (d.destination) } }
                    td { (d.dataset.as_deref().unwrap_or("")) }
                    td { (d.mode) }
                    td { (state(d.state.as_str())) @if let Some(b) = d.blocked_by { " behind " (short_id(&b)) } }
                    td { a href={ "/runs/" (d.run_id) } { (short_id(&d.run_id)) } }
                    td { (d.files) }
                    td { (d.attempts) }
                    td { (maybe_time(d.next_attempt_at.as_ref())) }
                    td { (maybe_time(d.finished_at.as_ref())) }
                    td { (d.last_error.as_deref().unwrap_or("")) }
                    @if acts { td {
                        @if d.mode == "async" && matches!(d.state, DeliveryState::Failed | DeliveryState::Cancelled | DeliveryState::Retrying | DeliveryState::Pending) {
                            (action_button(&session, &format!("/deliveries/{}/retry", d.id), "Retry", ""))
                        }
                        @if d.mode == "async" && !matches!(d.state, DeliveryState::Delivered | DeliveryState::Cancelled) {
                            (action_button(&session, &format!("/deliveries/{}/cancel", d.id), "Cancel", "danger"))
                        }
                    } }
                } } }
            } }
        }
        @if let Some(c) = &listed.next_cursor { p { a rel="next" href={ "/deliveries?" (next_query(c)) } { "Next page" } } }
    };
    Ok(page(&session, Section::Deliveries, "Deliveries", body))
}

/// `POST /deliveries/{id}/retry`.
pub(crate) async fn retry(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "delivery")?;
    let _ = deliveries::retry_delivery(State(st), session.caller, ApiPath(id)).await?;
    Ok(Redirect::to("/deliveries").into_response())
}

/// `POST /deliveries/{id}/cancel`.
pub(crate) async fn cancel(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "delivery")?;
    let _ = deliveries::cancel_delivery(State(st), session.caller, ApiPath(id)).await?;
    Ok(Redirect::to("/deliveries").into_response())
}
