//! Reading a spec file the way every subcommand does: parse, resolve relative paths
//! against the file's folder, validate.

use ferry_common::spec::{self, PipelineSpec, SpecFormat, SpecProblem, ValidationContext};
use ferry_common::connections::Connections;
use std::path::Path;

/// Why a spec file could not be used.
pub(crate) enum SpecFileError {
    Read(std::io::Error),
    Invalid(Vec<SpecProblem>),
    /// The connections file (`FERRY_CONNECTIONS`) that names what specs may use is bad.
    Connections(ferry_common::CommonError),
}

/// Loads and validates one spec file.
pub(crate) fn load(path: &Path) -> Result<PipelineSpec, SpecFileError> {
    let text = std::fs::read_to_string(path).map_err(SpecFileError::Read)?;
    let doc = spec::decode(&text, SpecFormat::from_path(path)).map_err(SpecFileError::Invalid)?;
    let base = path
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| Path::new(".").to_path_buf());
    let ctx: ValidationContext = Connections::from_env().map_err(SpecFileError::Connections)?.validation_context();
    spec::check_value_with(doc, &ctx, |spec| spec.resolve_relative_paths(&base))
        .map_err(SpecFileError::Invalid)
}

/// Prints why a spec file is unusable, one problem per line.
pub(crate) fn report(path: &Path, err: &SpecFileError) {
    match err {
        SpecFileError::Read(e) => eprintln!("{}: cannot read: {e}", path.display()),
        SpecFileError::Connections(e) => eprintln!("{}: {e}", path.display()),
        SpecFileError::Invalid(problems) => {
            eprintln!("{}: {} problem(s)", path.display(), problems.len());
            for p in problems {
                eprintln!("  {}: {}", p.path, p.message);
            }
        }
    }
}
