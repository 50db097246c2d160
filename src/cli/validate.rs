//! `ferry validate SPEC…`: exit 0 when every spec is valid, else list every problem;
//! with `--graph`, print each valid spec's DAG (explicit and inferred edges) as JSON.

use super::spec_file;
use clap::Args as ClapArgs;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `ferry validate`.
#[derive(ClapArgs, Debug)]
pub(crate) struct Args {
    /// Spec files (YAML or JSON).
    #[arg(required = true)]
    specs: Vec<PathBuf>,
    /// Print each valid spec's DAG as JSON (`{nodes, edges}`; an edge inferred from
    /// locations has `inferred: true` and the shared `location`).
    #[arg(long)]
    graph: bool,
}

pub(crate) fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let mut ok = true;
    for path in &args.specs {
        match spec_file::load(path) {
            Ok(spec) if args.graph => println!("{}", serde_json::to_string_pretty(&spec.graph())?),
            Ok(spec) => {
                println!("{}: valid ({} tasks)", path.display(), spec.tasks.len());
                print_next_fire_times(&spec);
            }
            Err(e) => {
                spec_file::report(path, &e);
                ok = false;
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The next five fire times of each schedule, in its time zone and in UTC.
fn print_next_fire_times(spec: &ferry_common::spec::PipelineSpec) {
    for (path, schedule) in spec.all_schedules() {
        let Ok(compiled) = schedule.compile() else { continue };
        let tz = compiled.timezone();
        println!("  {path} `{}` ({}), next fire times:", schedule.cron, tz);
        for t in compiled.upcoming(chrono::Utc::now(), 5) {
            println!("    {}  ({})", t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S %Z"), t.format("%Y-%m-%dT%H:%M:%SZ"));
        }
    }
}
