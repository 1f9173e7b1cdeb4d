//! `tailor harden` over the shared corpus of real third-party manifests (`../shared/corpus`),
//! one file as one application:
//! - every hardened workload passes Pod Security at `restricted` (evaluated again here, after
//!   admission defaulting), or carries a `tailor.dev/ignore` annotation naming exactly the
//!   checks it still fails, with a rationale;
//! - nothing not related to security moved: images, commands, args, env, ports, resources,
//!   every original volume and mount, every other object;
//! - no workload ends below the level it started at, and each object's JSON patch turns the
//!   original into the hardened object;
//! - the GPU inference samples (NIM, KServe, vLLM, Triton) reach restricted without
//!   `privileged`, keeping their GPU resources and runtimeClassName.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tailor_check::ObjectSource;
use tailor_harden::{harden, patch, Evidence, Input, Options, IGNORE_ANNOTATION, RATIONALE_ANNOTATION};
use tailor_kube::defaults::apply_admission_defaults;
use tailor_kube::{PodBearingKind, PodTemplate};
use tailor_pss::{Level, Version};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn corpus_files() -> Option<Vec<PathBuf>> {
    if !Path::new(CORPUS).is_dir() {
        eprintln!("\n==================================================================");
        eprintln!("SKIPPED: harden corpus test: {CORPUS} is absent");
        eprintln!("==================================================================\n");
        return None;
    }
    let (inputs, errors) = tailor_manifest::files::expand(&[CORPUS]);
    assert!(errors.is_empty(), "{errors:?}");
    let files = inputs
        .into_iter()
        .filter_map(|input| match input {
            tailor_manifest::files::Input::File(path) => Some(path),
            tailor_manifest::files::Input::Stdin => None,
        })
        .filter(|path| !path.strip_prefix(CORPUS).unwrap_or(path).starts_with("audit"))
        .collect();
    Some(files)
}

/// The objects of one file, decoded as the CLI's loader does; undecodable ones are left out
/// (the CLI reports them as input errors).
fn load(path: &Path) -> Vec<Input> {
    let text = tailor_manifest::files::decode_text(std::fs::read(path).unwrap()).unwrap_or_default();
    let mut inputs = Vec::new();
    for document in tailor_manifest::parse_stream(&text).into_iter().flatten() {
        for object in document.objects().0 {
            let metadata = |key| object.value["metadata"][key].as_str().map(Into::into);
            let source = ObjectSource {
                file: path.display().to_string().into(),
                line: 0,
                type_meta: object.type_meta.clone(),
                namespace: metadata("namespace"),
                name: metadata("name"),
            };
            if let Ok(input) = Input::decode(source, object.value.clone(), false) {
                inputs.push(input);
            }
        }
    }
    inputs
}

fn pod_of(kind: PodBearingKind, object: &Value) -> PodTemplate {
    let mut pod = PodTemplate::extract(kind, object).unwrap().unwrap();
    apply_admission_defaults(&mut pod);
    pod
}

/// What must not change in a container: everything but its securityContext and the mounts
/// Tailor adds (checked apart).
fn container_essentials(container: &Value) -> Value {
    let mut container = container.clone();
    if let Some(map) = container.as_object_mut() {
        map.remove("securityContext");
        map.remove("volumeMounts");
    }
    container
}

fn list<'v>(value: &'v Value, key: &str) -> Vec<&'v Value> {
    value[key].as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

/// Asserts that the hardened pod keeps everything of the original that is not security:
/// containers (image, command, args, env, ports, resources, probes…) except their
/// securityContext, every original mount and volume exactly, the pod's other fields.
fn assert_preserved(what: &str, original: &Value, hardened: &Value) {
    let (spec, new_spec) = (&original["spec"], &hardened["spec"]);
    for key in ["initContainers", "containers"] {
        let (before, after) = (list(spec, key), list(new_spec, key));
        assert_eq!(before.len(), after.len(), "{what}: {key} count");
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(
                container_essentials(b),
                container_essentials(a),
                "{what}: {key} changed"
            );
            let mounts = list(a, "volumeMounts");
            for mount in list(b, "volumeMounts") {
                assert!(mounts.contains(&mount), "{what}: mount {mount} lost");
            }
        }
    }
    let volumes = list(new_spec, "volumes");
    for volume in list(spec, "volumes") {
        assert!(volumes.contains(&volume), "{what}: volume {volume} changed");
    }
    for added in volumes.iter().filter(|v| !list(spec, "volumes").contains(v)) {
        let mut keys: Vec<&String> = added.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["emptyDir", "name"],
            "{what}: added volume {added} is not an emptyDir"
        );
    }
    let security = [
        "initContainers",
        "containers",
        "volumes",
        "securityContext",
        "automountServiceAccountToken",
        "serviceAccountName",
        "serviceAccount",
        // Host namespaces: removed from GPU consumers only (asserted below).
        "hostNetwork",
        "hostIPC",
        "hostPID",
    ];
    for (key, value) in spec.as_object().into_iter().flatten() {
        if !security.contains(&key.as_str()) {
            assert_eq!(&new_spec[key], value, "{what}: spec.{key} changed");
        }
    }
    assert_eq!(
        original["metadata"],
        without_exemption(&hardened["metadata"]),
        "{what}: pod metadata changed"
    );
}

/// Metadata without the exemption annotations Tailor adds.
fn without_exemption(metadata: &Value) -> Value {
    let mut metadata = metadata.clone();
    if let Some(annotations) = metadata.get_mut("annotations").and_then(Value::as_object_mut) {
        annotations.remove(IGNORE_ANNOTATION);
        annotations.remove(RATIONALE_ANNOTATION);
        if annotations.is_empty() {
            metadata.as_object_mut().unwrap().remove("annotations");
        }
    }
    metadata
}

/// Hardening the hardened objects (with the generated ones) changes and adds nothing.
fn assert_idempotent(file: &Path, hardened: &tailor_harden::Hardened, options: &Options) {
    let again: Vec<Input> = hardened
        .objects
        .iter()
        .map(|o| (o.source.clone(), o.hardened.clone()))
        .chain(hardened.generated.iter().map(|g| {
            let type_meta = tailor_kube::TypeMeta::of(g).unwrap();
            let metadata = |key: &str| g["metadata"][key].as_str().map(Into::into);
            let source = ObjectSource {
                file: "generated".into(),
                line: 0,
                type_meta,
                namespace: metadata("namespace"),
                name: metadata("name"),
            };
            (source, g.clone())
        }))
        .map(|(source, value)| Input::decode(source, value, false).unwrap())
        .collect();
    let second = harden(again, &Evidence::default(), options);
    for output in &second.objects {
        assert_eq!(
            output.original,
            output.hardened,
            "{}: hardening {} {:?} again changes it",
            file.display(),
            output.source.type_meta.kind,
            output.source.name
        );
    }
    assert!(
        second.generated.is_empty(),
        "{}: hardening again adds {:?}",
        file.display(),
        second.generated
    );
}

/// The GPU inference samples the issue names, by corpus path.
fn is_inference_sample(file: &str) -> bool {
    ["nim-deploy", "kserve", "vllm", "triton"]
        .iter()
        .any(|name| file.to_ascii_lowercase().contains(name))
}

#[test]
fn corpus_workloads_reach_restricted_or_carry_a_reasoned_exemption_and_keep_everything_else() {
    let Some(files) = corpus_files() else { return };
    let options = Options {
        level: Level::Restricted,
        version: Version::Latest,
    };
    let mut totals = [0usize; 4];
    let mut gpu_samples = 0;
    let mut gpu_failures = Vec::new();
    for file in &files {
        let inputs = load(file);
        let hardened = harden(inputs, &Evidence::default(), &options);
        assert_idempotent(file, &hardened, &options);
        let summary = hardened.summary();
        totals[0] += summary.workloads;
        totals[1] += summary.restricted;
        totals[2] += summary.baseline;
        totals[3] += summary.exempted;
        for output in &hardened.objects {
            let what = format!(
                "{} {} {:?}",
                output.source.file, output.source.type_meta.kind, output.source.name
            );
            let mut patched = output.original.clone();
            patch::apply(&mut patched, &output.json_patch()).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(
                patched, output.hardened,
                "{what}: the JSON patch does not give the hardened object"
            );
            let Some(kind) = PodBearingKind::classify(&output.source.type_meta) else {
                if output.source.type_meta.kind != "Namespace" {
                    assert_eq!(output.original, output.hardened, "{what}: not a workload, yet changed");
                }
                continue;
            };
            let Ok(Some(_)) = PodTemplate::extract(kind, &output.original) else {
                continue;
            };
            let before = pod_of(kind, &output.original);
            let after = pod_of(kind, &output.hardened);
            let path = kind.template_path();
            let at = |v: &Value| tailor_kube::workload::lookup(v, &path).cloned().unwrap();
            assert_preserved(&what, &at(&output.original), &at(&output.hardened));
            if kind != PodBearingKind::Pod {
                assert_eq!(
                    output.original["metadata"],
                    without_exemption(&output.hardened["metadata"]),
                    "{what}: metadata changed"
                );
            }

            let level_before = tailor_pss::strictest_level(Version::Latest, &before.metadata, &before.spec).0;
            let level_after = tailor_pss::strictest_level(Version::Latest, &after.metadata, &after.spec).0;
            assert!(level_after >= level_before, "{what}: {level_before} -> {level_after}");
            let evaluation = tailor_pss::evaluate(Level::Restricted, Version::Latest, &after.metadata, &after.spec);
            let failing: BTreeSet<String> = evaluation
                .violations
                .iter()
                .map(|v| format!("PSS-{}", v.check))
                .collect();
            let requests_gpu = !tailor_check::rules::gpu::classify::gpu_allocations(&before).is_empty();
            if requests_gpu && is_inference_sample(&output.source.file) {
                gpu_samples += 1;
                if level_after != Level::Restricted {
                    gpu_failures.push(format!("{what}: {}", evaluation.aggregate_detail()));
                }
            }
            let annotations = &output.hardened["metadata"]["annotations"];
            if failing.is_empty() {
                assert!(
                    annotations.get(IGNORE_ANNOTATION).is_none(),
                    "{what}: exempt though restricted"
                );
                continue;
            }
            let ignore = annotations[IGNORE_ANNOTATION]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: fails {failing:?} without an exemption"));
            let (rules, reason) = ignore.split_once(" -- ").expect("RULES -- reason");
            let exempted: BTreeSet<String> = rules.split(',').map(str::to_owned).collect();
            assert_eq!(
                exempted, failing,
                "{what}: the exemption names other checks than those failing"
            );
            assert!(!reason.trim().is_empty());
            let rationale = annotations[RATIONALE_ANNOTATION].as_str().unwrap_or_default();
            assert!(
                rationale.lines().count() > failing.len(),
                "{what}: rationale must explain every failing check: {rationale}"
            );
        }
        for outcome in &hardened.workloads {
            if outcome.exemption.is_none() && outcome.after != Level::Restricted {
                panic!(
                    "{}: below restricted without an exemption",
                    hardened.objects[outcome.object].source.file
                );
            }
        }
    }
    eprintln!(
        "harden corpus: {} files, {} workloads: {} restricted, {} baseline, {} exempted; {} GPU inference samples",
        files.len(),
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        gpu_samples
    );
    assert!(
        gpu_failures.is_empty(),
        "GPU inference samples below restricted:\n{}",
        gpu_failures.join("\n")
    );
    assert!(totals[0] > 700, "the corpus has 766 pod-bearing workloads");
}
