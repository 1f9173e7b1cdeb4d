//! `tailor check`: Pod Security and hardening findings for manifests.

use std::path::Path;

use tailor_check::exemptions::Exemptions;
use tailor_check::render::{self, Style};
use tailor_check::{CheckOptions, CheckedObject, InputError, Inventory, Report};

use crate::cli::{CheckArgs, CheckFormat};
use crate::{load, output, Exit};

pub fn run(args: CheckArgs) -> anyhow::Result<Exit> {
    let exemptions = match load_config(args.config.as_deref()) {
        Ok(exemptions) => exemptions,
        Err(errors) => {
            for error in errors {
                eprintln!("{error}");
            }
            return Ok(Exit::InputError);
        }
    };
    let options = CheckOptions {
        level: args.policy.level,
        version: args.policy.policy_version,
    };
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
    for warning in &loaded.warnings {
        eprintln!("{}", warning.as_warning());
    }
    for error in &loaded.errors {
        eprintln!("{error}");
    }

    let mut inventory = Inventory::default();
    let mut checked = Vec::with_capacity(loaded.results.len());
    for (
        object_index,
        CheckedObject {
            report,
            findings,
            inventory: entry,
        },
    ) in loaded.results.into_iter().enumerate()
    {
        if let Some((source, object, lines)) = entry {
            inventory.entries.push(tailor_check::Entry {
                object_index,
                source,
                object,
                lines,
            });
        }
        checked.push((report, findings));
    }
    let cross_object = tailor_check::analyse(&inventory);
    let mut report = Report::new(checked, cross_object, loaded.errors, loaded.skipped);
    let error_count = report.errors.len();
    report.apply_exemptions(&exemptions, time::OffsetDateTime::now_utc().date());
    for error in &report.errors[error_count..] {
        eprintln!("{error}");
    }

    let format = args.output.unwrap_or(if output::stdout_is_terminal() {
        CheckFormat::Table
    } else {
        CheckFormat::Json
    });
    let style = Style {
        color: output::use_color(args.output_file.as_deref()),
    };
    output::write_with(args.output_file.as_deref(), |out| match format {
        CheckFormat::Json => render::json(&report, out),
        CheckFormat::Table => out.write_all(render::table(&report, style).as_bytes()),
    })?;

    let exit = if !report.errors.is_empty() {
        Exit::InputError
    } else if report.max_severity().is_some_and(|max| max >= args.fail_on) {
        Exit::Findings
    } else {
        Exit::Clean
    };
    // The process ends right after this: freeing millions of small allocations one by one
    // would only delay the exit (about 10% of a whole-corpus run).
    std::mem::forget((report, inventory));
    Ok(exit)
}

/// The default configuration file, read from the current directory when present.
const DEFAULT_CONFIG: &str = ".tailor.yaml";

/// Reads the exemptions of `--config`, or of `.tailor.yaml` if it exists; none otherwise.
fn load_config(path: Option<&Path>) -> Result<Exemptions, Vec<InputError>> {
    let path = match path {
        Some(path) => path,
        None if Path::new(DEFAULT_CONFIG).is_file() => Path::new(DEFAULT_CONFIG),
        None => return Ok(Exemptions::default()),
    };
    let file = path.display().to_string();
    let input_error = |line, column, message| {
        vec![InputError {
            file: file.clone(),
            line,
            column,
            message,
        }]
    };
    let text = std::fs::read_to_string(path).map_err(|e| input_error(0, 0, e.to_string()))?;
    let mut documents = tailor_manifest::parse_stream(&text);
    match documents.len() {
        0 => Ok(Exemptions::default()),
        1 => match documents.remove(0) {
            Ok(document) => {
                let locate = load::DocumentLocator::new(&document.positions);
                Exemptions::from_config(&file, &document.value, &locate)
            }
            Err(err) => Err(input_error(err.line, err.column, err.message)),
        },
        _ => Err(input_error(
            1,
            1,
            "the configuration must be a single YAML document".to_owned(),
        )),
    }
}
