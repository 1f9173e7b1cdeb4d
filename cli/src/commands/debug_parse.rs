//! `tailor debug-parse` (hidden): reads and parses inputs through the same pipeline as
//! `tailor check`, without decoding or evaluating anything, so benchmarks can tell the cost
//! of the analysis apart from the cost of YAML parsing.

use crate::cli::DebugParseArgs;
use crate::{load, Exit};

pub fn run(args: DebugParseArgs) -> anyhow::Result<Exit> {
    let loaded = load::load(&args.paths, load::Decode::Nothing, |_| ());
    for error in &loaded.errors {
        eprintln!("{error}");
    }
    println!(
        "objects: {}, skipped documents: {}, errors: {}",
        loaded.results.len(),
        loaded.skipped,
        loaded.errors.len()
    );
    Ok(if loaded.errors.is_empty() {
        Exit::Clean
    } else {
        Exit::InputError
    })
}
