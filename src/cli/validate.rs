//! `ferry validate SPEC…`: exit 0 when every spec is valid, else list every problem.

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
}

pub(crate) fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let mut ok = true;
    for path in &args.specs {
        match spec_file::load(path) {
            Ok(spec) => println!("{}: valid ({} tasks)", path.display(), spec.tasks.len()),
            Err(e) => {
                spec_file::report(path, &e);
                ok = false;
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
