//! `tailor model`: the security model of an application (see `tailor_report::model`).

use std::path::PathBuf;

use tailor_check::{CheckOptions, Inventory, Report};

use crate::{load, output, Exit};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  tailor model deploy/ >> SECURITY.md\n  helm template my-chart | tailor model - -o json"
)]
pub struct ModelArgs {
    /// Files, directories (searched recursively for *.yaml, *.yml, *.json) or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "markdown")]
    pub output: ModelFormat,
    /// Write the model to this file (mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelFormat {
    Markdown,
    Json,
}

pub fn run(args: ModelArgs) -> anyhow::Result<Exit> {
    // The same per-object check and cross-object analysis as `tailor check`: the model reads
    // their results (Pod Security levels, host-path findings) and their inventory.
    let options = CheckOptions::default();
    let loaded = load::load(&args.paths, load::Decode::Objects, |object| {
        tailor_check::check_object(
            &options,
            &object.source,
            object.value,
            object.pod,
            object.kube,
            &object.locator,
        )
    });
    for error in &loaded.errors {
        eprintln!("{error}");
    }
    let mut inventory = Inventory::default();
    let checked: Vec<_> = loaded
        .results
        .into_iter()
        .enumerate()
        .map(|(index, object)| inventory.take(index, object))
        .collect();
    let cross_object = tailor_check::analyse(&inventory);
    let report = Report::new(checked, cross_object, loaded.errors, loaded.skipped);
    let model = tailor_report::model::build(&report, &inventory, &super::check::source_paths()?);
    output::write_with(args.output_file.as_deref(), |out| match args.output {
        ModelFormat::Markdown => out.write_all(tailor_report::model::markdown(&model).as_bytes()),
        ModelFormat::Json => tailor_report::model::write_json(&model, out),
    })?;
    Ok(if report.errors.is_empty() {
        Exit::Clean
    } else {
        Exit::InputError
    })
}
