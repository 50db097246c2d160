//! `ferry restore LOCATION --at TIME --to LOCATION`: a folder rebuilt as it was at a
//! moment, from the versions Ferry kept there, run as a one-task pipeline
//! (`ferry-restore`) on the embedded default, like `ferry run`.

use super::common_args::EmbeddedArgs;
use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;
use ferry::embedded::Embedded;
use ferry_common::state::RunState;
use std::process::ExitCode;

/// Arguments of `ferry restore`.
#[derive(ClapArgs, Debug)]
pub(crate) struct Args {
    /// The versioned folder: a URL (`s3://bucket/lake/`) or a local path.
    location: String,
    /// The moment to go back to, RFC 3339 (`2026-12-01T12:00:00Z`).
    #[arg(long)]
    at: DateTime<Utc>,
    /// Where to write the rebuilt files: a URL or a local path, outside LOCATION.
    #[arg(long)]
    to: String,
    #[command(flatten)]
    embedded: EmbeddedArgs,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
}

/// A local path as a folder URL; URLs as they are.
fn as_folder_url(text: &str) -> anyhow::Result<String> {
    if text.contains("://") {
        return Ok(if text.ends_with('/') { text.to_string() } else { format!("{text}/") });
    }
    let path = std::path::absolute(text)?;
    Ok(format!("file://{}/", path.display().to_string().trim_end_matches('/')))
}

pub(crate) async fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let doc = serde_json::json!({
        "name": "ferry-restore",
        "tasks": [{"id": "restore", "kind": "restore", "location": as_folder_url(&args.location)?, "at": args.at, "to": as_folder_url(&args.to)?}],
    });
    let spec = match ferry_common::spec::check_value(doc, &ferry_common::spec::ValidationContext::default()) {
        Ok(spec) => spec,
        Err(problems) => {
            for p in problems {
                eprintln!("error: {}: {}", p.path.replace("tasks[0].", ""), p.message);
            }
            return Ok(ExitCode::from(2));
        }
    };
    let stack = Embedded::start(&args.embedded.options()).await?;
    let outcome = super::run::run_to_end(&stack, &spec, !args.no_progress, false).await;
    stack.shutdown().await;
    Ok(if outcome? == RunState::Succeeded { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
