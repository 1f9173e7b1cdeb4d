//! `tailor harden`: each workload's least-privilege version, as full YAML, JSON patches or a
//! kustomize overlay. The user's files are never rewritten.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tailor_check::InputError;
use tailor_harden::{Evidence, Hardened, Input, Options};
use tailor_manifest::emit::{to_yaml, to_yaml_documents};

use crate::cli::PolicyArgs;
use crate::{load, output, Exit};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  tailor harden examples/gpu-inference/ > hardened.yaml\n  \
                        tailor harden app/ -o patch --evidence evidence/\n  \
                        tailor harden app/ -o kustomize --out-dir overlay/ && kubectl kustomize overlay/"
)]
pub struct HardenArgs {
    /// Files, directories (searched recursively for *.yaml, *.yml, *.json) or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Evidence: manifests (Roles, bindings, ServiceAccounts) that tell which accounts need API
    /// access, and recorded seccomp profiles at seccomp/<namespace>/<workload>/<container>.json.
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// yaml: every object hardened plus the generated ones; patch: JSON patches (kustomize
    /// patch entries) plus the generated objects; kustomize: an overlay in --out-dir.
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    pub output: HardenFormat,
    /// Write yaml or patch output to this file (mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Where `-o kustomize` writes the overlay (created if missing).
    #[arg(long, value_name = "DIR", required_if_eq("output", "kustomize"))]
    pub out_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum HardenFormat {
    Yaml,
    Patch,
    Kustomize,
}

pub fn run(args: HardenArgs) -> anyhow::Result<Exit> {
    let options = Options {
        level: args.policy.level,
        version: args.policy.policy_version,
    };
    let read = |paths: &[String], evidence: bool| {
        load::load(paths, load::Decode::Objects, |object| Input {
            source: object.source,
            value: object.value.clone(),
            pod: object.pod,
            kube: object.kube,
            evidence,
        })
    };
    let loaded = read(&args.paths, false);
    let mut errors = loaded.errors;
    let mut inputs = loaded.results;
    let mut evidence = Evidence::default();
    if let Some(dir) = &args.evidence {
        if !dir.is_dir() {
            eprintln!("{}: --evidence must be a directory", dir.display());
            return Ok(Exit::InputError);
        }
        let from_evidence = read(&[dir.display().to_string()], true);
        errors.extend(from_evidence.errors);
        inputs.extend(from_evidence.results);
        errors.extend(read_seccomp_evidence(&dir.join("seccomp"), &mut evidence));
    }
    for warning in &loaded.warnings {
        eprintln!("{}", warning.as_warning());
    }
    for error in &errors {
        eprintln!("{error}");
    }

    let hardened = tailor_harden::harden(inputs, &evidence, &options);
    match args.output {
        HardenFormat::Yaml => {
            // `kubectl apply` creates in order: namespaces and accounts before the pods using them.
            let (first, last): (Vec<&Value>, Vec<&Value>) = hardened
                .generated
                .iter()
                .partition(|o| matches!(o["kind"].as_str(), Some("Namespace" | "ServiceAccount")));
            let documents: Vec<Value> = first
                .into_iter()
                .chain(hardened.objects.iter().map(|o| &o.hardened))
                .chain(last)
                .cloned()
                .collect();
            output::write(args.output_file.as_deref(), &to_yaml_documents(&documents))?;
        }
        HardenFormat::Patch => {
            let mut documents: Vec<Value> = hardened
                .objects
                .iter()
                .filter(|o| o.changed())
                .map(|o| json!({"target": target(o), "patch": o.json_patch()}))
                .collect();
            documents.extend(hardened.generated.iter().cloned());
            output::write(args.output_file.as_deref(), &to_yaml_documents(&documents))?;
        }
        HardenFormat::Kustomize => {
            let dir = args
                .out_dir
                .as_deref()
                .expect("clap requires --out-dir with -o kustomize");
            write_overlay(dir, &hardened)?;
        }
    }
    eprint!("{}", summary(&hardened, &options));
    Ok(if errors.is_empty() {
        Exit::Clean
    } else {
        Exit::InputError
    })
}

fn target(output: &tailor_harden::Output) -> Value {
    tailor_harden::patch::kustomize_target(
        &output.source.type_meta,
        output.source.name.as_deref(),
        output.source.namespace.as_deref(),
    )
}

/// Recorded profiles at `<namespace>/<workload>/<container>.json` under `dir`; each must be a
/// readable OCI seccomp profile, or it is an input error naming the file and line.
fn read_seccomp_evidence(dir: &Path, evidence: &mut Evidence) -> Vec<InputError> {
    let mut errors = Vec::new();
    let Ok(namespaces) = std::fs::read_dir(dir) else {
        return errors;
    };
    let entries = |path: &Path| -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        found.sort();
        found
    };
    let name = |path: &Path| path.file_name().map(|n| n.to_string_lossy().into_owned());
    for namespace in namespaces.flatten().map(|e| e.path()).filter(|p| p.is_dir()) {
        for workload in entries(&namespace).into_iter().filter(|p| p.is_dir()) {
            for file in entries(&workload) {
                let Some(container) = file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".json"))
                else {
                    continue;
                };
                let display = file.display().to_string();
                match std::fs::read_to_string(&file).map(|text| tailor_seccomp::Profile::from_oci_json(&text)) {
                    Ok(Ok(_)) => {
                        evidence.seccomp.insert((
                            name(&namespace).unwrap_or_default(),
                            name(&workload).unwrap_or_default(),
                            container.to_owned(),
                        ));
                    }
                    Ok(Err(error)) => errors.push(InputError {
                        file: display,
                        line: error.line as u32,
                        column: error.column as u32,
                        message: format!("recorded seccomp profile: {} {}", error.path, error.message)
                            .replace("  ", " "),
                    }),
                    Err(error) => errors.push(InputError {
                        file: display,
                        line: 0,
                        column: 0,
                        message: error.to_string(),
                    }),
                }
            }
        }
    }
    errors
}

/// The overlay: `base/` holds a copy of the inputs (the user's files stay as they are),
/// `patches/` one JSON patch per changed object, `generated.yaml` the new objects and
/// `HARDENING.md` what changed, what to verify and each exemption's rationale.
fn write_overlay(dir: &Path, hardened: &Hardened) -> anyhow::Result<()> {
    let base = dir.join("base");
    let patches_dir = dir.join("patches");
    std::fs::create_dir_all(&base)?;
    std::fs::create_dir_all(&patches_dir)?;
    let originals: Vec<Value> = hardened.objects.iter().map(|o| o.original.clone()).collect();
    output::write(Some(&base.join("resources.yaml")), &to_yaml_documents(&originals))?;
    let base_kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["resources.yaml"],
    });
    output::write(Some(&base.join("kustomization.yaml")), &to_yaml(&base_kustomization))?;

    let mut patches = Vec::new();
    for (index, object) in hardened.objects.iter().enumerate().filter(|(_, o)| o.changed()) {
        let file = format!(
            "patches/{index:04}-{}-{}.yaml",
            object.source.type_meta.kind.to_ascii_lowercase(),
            object.source.name.as_deref().unwrap_or("unnamed")
        );
        output::write(Some(&dir.join(&file)), &to_yaml(&Value::Array(object.json_patch())))?;
        patches.push(json!({"path": file, "target": target(object)}));
    }
    let mut resources = vec![json!("base")];
    if !hardened.generated.is_empty() {
        output::write(
            Some(&dir.join("generated.yaml")),
            &to_yaml_documents(&hardened.generated),
        )?;
        resources.push(json!("generated.yaml"));
    }
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
        "patches": patches,
    });
    output::write(Some(&dir.join("kustomization.yaml")), &to_yaml(&kustomization))?;
    output::write(Some(&dir.join("HARDENING.md")), &report_markdown(hardened))?;
    Ok(())
}

fn describe(hardened: &Hardened, object: usize) -> String {
    let source = &hardened.objects[object].source;
    let name = source.name.as_deref().unwrap_or("<unnamed>");
    match &source.namespace {
        Some(namespace) => format!("{} {namespace}/{name}", source.type_meta.kind),
        None => format!("{} {name}", source.type_meta.kind),
    }
}

fn report_markdown(hardened: &Hardened) -> String {
    let mut text = String::from("# tailor harden\n\n");
    for outcome in &hardened.workloads {
        let source = &hardened.objects[outcome.object].source;
        let _ = writeln!(
            text,
            "## {} ({}:{})\n\n{} → {}; {}\n",
            describe(hardened, outcome.object),
            source.file,
            source.line,
            outcome.before,
            outcome.after,
            outcome.role
        );
        for (title, lines) in [("Changes", &outcome.edits.changes), ("Verify", &outcome.edits.verify)] {
            if !lines.is_empty() {
                let _ = writeln!(text, "{title}:\n");
                for line in lines {
                    let _ = writeln!(text, "- {line}");
                }
                text.push('\n');
            }
        }
        if let Some(exemption) = &outcome.exemption {
            let _ = writeln!(text, "Exemption ({}):\n", exemption.rules.join(", "));
            for line in &exemption.rationale {
                let _ = writeln!(text, "- {line}");
            }
            text.push('\n');
        }
    }
    for note in &hardened.notes {
        let _ = writeln!(text, "- {note}");
    }
    text
}

/// The stderr summary: one line per workload, what to verify, and the counts.
fn summary(hardened: &Hardened, options: &Options) -> String {
    let mut text = String::new();
    for outcome in &hardened.workloads {
        let _ = writeln!(
            text,
            "{}: {} -> {} ({} changes){}",
            describe(hardened, outcome.object),
            outcome.before,
            outcome.after,
            outcome.edits.changes.len(),
            match &outcome.exemption {
                Some(exemption) => format!("; exemption for {}", exemption.rules.join(",")),
                None => String::new(),
            }
        );
        for line in &outcome.edits.verify {
            let _ = writeln!(text, "  verify: {line}");
        }
    }
    for note in &hardened.notes {
        let _ = writeln!(text, "note: {note}");
    }
    let counts = hardened.summary();
    let _ = writeln!(
        text,
        "tailor harden: {} workloads: {} reach restricted, {} baseline, {} privileged; {} need an exemption \
         below {} (rationale in the {} annotation)",
        counts.workloads,
        counts.restricted,
        counts.baseline,
        counts.privileged,
        counts.exempted,
        options.level,
        tailor_harden::RATIONALE_ANNOTATION
    );
    text
}
