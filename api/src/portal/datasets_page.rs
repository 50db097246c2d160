//! Datasets: where each was last delivered and from which run — what a `fresh`
//! condition reads.

use super::error::PortalError;
use super::format::{short_id, time};
use super::layout::{Section, page};
use super::session::Session;
use crate::routes::datasets;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use maud::html;

/// `GET /datasets`.
pub(crate) async fn list(State(st): State<AppState>, session: Session) -> Result<Response, PortalError> {
    let listed = datasets::list_datasets(State(st), session.caller).await?.0;
    let body = html! {
        h1 { "Datasets" }
        @if listed.items.is_empty() {
            p { "No dataset delivered yet: a copy names the dataset it delivers with " code { "dataset:" } "." }
        } @else {
            div.table-wrap tabindex="0" { table #datasets {
                thead { tr { th scope="col" { "Dataset" } th scope="col" { "Destination" } th scope="col" { "Delivered" } th scope="col" { "Run" } th scope="col" { "Logical time" } } }
                tbody { @for d in &listed.items { @for m in &d.destinations { tr {
                    td { (d.name) }
                    td { code { (m.destination) } }
                    td { (time(&m.delivered_at)) }
                    td { a href={ "/runs/" (m.run_id) } { (short_id(&m.run_id)) } }
                    td { (time(&m.logical_time)) }
                } } } }
            } }
        }
    };
    Ok(page(&session, Section::Datasets, "Datasets", body))
}
