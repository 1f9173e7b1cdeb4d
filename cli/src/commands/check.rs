//! `tailor check`: Pod Security and hardening findings for manifests.

use std::path::Path;

use tailor_check::exemptions::Exemptions;
use tailor_check::render::{self, Style};
use tailor_check::seccomp_profiles::{NodeFile, OperatorProfile};
use tailor_check::{CheckOptions, InputError, Inventory, Locate, Report};
use tailor_kube::FieldPath;
use tailor_seccomp::Profile;

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
    if let Some(dir) = args.seccomp_dir.as_deref().filter(|dir| !dir.is_dir()) {
        eprintln!(
            "{}: --seccomp-dir must be a directory (a copy of the kubelet's seccomp root)",
            dir.display()
        );
        return Ok(Exit::InputError);
    }
    // Files and the cluster feed the same per-object check.
    let check = |object: load::LoadedObject| {
        let operator_profile = operator_profile(&object);
        let checked = tailor_check::check_object(
            &options,
            &object.source,
            object.value,
            object.pod,
            object.kube,
            &object.locator,
        );
        (checked, operator_profile)
    };
    let (mut loaded, not_assessed) = if args.cluster.cluster {
        if !args.paths.is_empty() {
            eprintln!("tailor check: give either PATHs or --cluster, not both");
            return Ok(Exit::InputError);
        }
        let (loaded, scan) = super::cluster::load(&args.cluster, check, |(checked, _)| &checked.report)?;
        (loaded, Some(scan.not_assessed))
    } else {
        (load::load(&args.paths, load::Decode::Objects, check), None)
    };
    for entry in not_assessed.iter().flatten() {
        eprintln!("{entry}");
    }
    // Errors in SeccompProfile objects are input errors like any other undecodable object.
    for (_, operator_profile) in &mut loaded.results {
        if let Some(Err(error)) = operator_profile.take_if(|p| p.is_err()) {
            loaded.errors.push(error);
        }
    }
    for warning in &loaded.warnings {
        eprintln!("{}", warning.as_warning());
    }
    for error in &loaded.errors {
        eprintln!("{error}");
    }

    let mut inventory = Inventory::default();
    let mut checked = Vec::with_capacity(loaded.results.len());
    for (object_index, (object, operator_profile)) in loaded.results.into_iter().enumerate() {
        if let Some(Ok(profile)) = operator_profile {
            inventory.seccomp_profiles.add_operator_profile(profile);
        }
        checked.push(inventory.take(object_index, object));
    }
    if let Some(dir) = args.seccomp_dir.as_deref() {
        for error in read_node_profiles(dir, &mut inventory) {
            eprintln!("{error}");
            loaded.errors.push(error);
        }
    }
    let cross_object = tailor_check::analyse(&inventory);
    let mut report = Report::new(checked, cross_object, loaded.errors, loaded.skipped);
    if not_assessed.is_some() {
        report.namespace_dry_run = Some(super::cluster::namespace_dry_run(&inventory, options.version));
    }
    report.not_assessed = not_assessed;
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
    let paths = source_paths()?;
    output::write_with(args.output_file.as_deref(), |out| match format {
        CheckFormat::Json => render::json(&report, out),
        CheckFormat::Table => out.write_all(render::table(&report, style).as_bytes()),
        CheckFormat::Yaml => {
            let value = serde_json::to_value(&report).map_err(std::io::Error::other)?;
            out.write_all(tailor_manifest::emit::to_yaml(&value).as_bytes())
        }
        CheckFormat::Sarif => tailor_report::sarif::write(&report, &paths, out),
        CheckFormat::Junit => tailor_report::junit::write(&report, &paths, out),
        CheckFormat::Github => tailor_report::github::write(&report, &paths, out),
        CheckFormat::Markdown => tailor_report::markdown::write(&report, &paths, out),
        CheckFormat::Html => tailor_report::html::write(&report, &paths, out),
    })?;

    // Kinds the cluster credentials could not list: the input was not read whole.
    let incomplete = report.not_assessed.as_ref().is_some_and(|n| !n.is_empty());
    let exit = if !report.errors.is_empty() || incomplete {
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

/// Reports name files relative to the repository root (the nearest ancestor of the current
/// directory holding `.git`), or to the current directory outside a repository.
pub fn source_paths() -> anyhow::Result<tailor_report::SourcePaths> {
    let current_dir = std::env::current_dir()?;
    let root = current_dir
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(&current_dir)
        .to_path_buf();
    Ok(tailor_report::SourcePaths::new(current_dir, root))
}

/// The profile of a Security Profiles Operator `SeccompProfile` object, parsed; `None` for
/// every other kind.
fn operator_profile(object: &load::LoadedObject) -> Option<Result<OperatorProfile, InputError>> {
    if !tailor_seccomp::kube::is_seccomp_profile_object(object.value) {
        return None;
    }
    let name = object.source.name.as_deref().unwrap_or_default().to_owned();
    let spec = object.value.get("spec").cloned().unwrap_or(serde_json::Value::Null);
    Some(match Profile::from_value(spec) {
        Ok(profile) => Ok(OperatorProfile {
            namespace: object.source.namespace.as_deref().map(str::to_owned),
            name,
            profile,
            origin: format!("{}:{}", object.source.file, object.source.line),
        }),
        Err(error) => {
            let spec = FieldPath::keys("spec");
            let (line, column) = object
                .locator
                .locate(&tailor_seccomp::kube::field_path(&spec, &error.path));
            let field = match error.path.as_str() {
                "" | "." => "spec".to_owned(),
                path => format!("spec.{path}"),
            };
            Err(InputError {
                file: object.source.file.to_string(),
                line,
                column,
                message: format!("SeccompProfile {name}: {field}: {}", error.message),
            })
        }
    })
}

/// Reads, from `dir` (a copy of the kubelet's seccomp root), the `Localhost` profiles the
/// workloads reference and no loaded `SeccompProfile` object provides, into the inventory.
/// A file that is not there is recorded as missing (a finding); one that cannot be read or
/// parsed is an input error.
fn read_node_profiles(dir: &Path, inventory: &mut Inventory) -> Vec<InputError> {
    let mut errors = Vec::new();
    for reference in tailor_check::rules::seccomp::referenced_profiles(inventory) {
        // The API server refuses absolute paths and `..`; reading them would leave `dir`.
        if tailor_seccomp::kube::localhost(&reference).is_err()
            || inventory.seccomp_profiles.provided_by_operator(&reference)
        {
            continue;
        }
        let path = dir.join(&reference);
        let file = path.display().to_string();
        let node_file = match std::fs::read_to_string(&path) {
            Ok(text) => match Profile::from_oci_json(&text) {
                Ok(profile) => NodeFile::Found { profile, path: file },
                Err(error) => {
                    let field = if error.path.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", error.path)
                    };
                    errors.push(InputError {
                        file,
                        line: error.line as u32,
                        column: error.column as u32,
                        message: format!(
                            "seccomp profile (localhostProfile {reference:?}): {field}{}",
                            error.message
                        ),
                    });
                    continue;
                }
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => NodeFile::Missing { path: file },
            Err(error) => {
                errors.push(InputError {
                    file,
                    line: 0,
                    column: 0,
                    message: format!("seccomp profile (localhostProfile {reference:?}): {error}"),
                });
                continue;
            }
        };
        inventory.seccomp_profiles.add_node_file(&reference, node_file);
    }
    errors
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
                let locate = load::ObjectLocator::document(&document.positions);
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
