//! Smoke test over the shared corpus of real-world manifests (`../shared/corpus`): every file
//! parses without panicking, and the number of Kubernetes objects matches the corpus README
//! (3,337 objects in the manifest sections, 17 more under `seccomp/`, Lists expanded).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use tailor_manifest::files::{expand, Input};
use tailor_manifest::{parse_document, split_documents, KubectlView};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

#[derive(Default, Debug)]
struct Counts {
    files: usize,
    bytes: usize,
    documents: usize,
    objects: usize,
    skipped: usize,
    errors: Vec<String>,
    warnings: usize,
    kubectl_differs: usize,
}

fn corpus_files() -> Option<Vec<PathBuf>> {
    if !Path::new(CORPUS).is_dir() {
        eprintln!("\n==================================================================");
        eprintln!("SKIPPED: corpus test: {CORPUS} is absent");
        eprintln!("==================================================================\n");
        return None;
    }
    let (inputs, errors) = expand(&[CORPUS]);
    assert!(errors.is_empty(), "{errors:?}");
    Some(
        inputs
            .into_iter()
            .map(|i| match i {
                Input::File(p) => p,
                Input::Stdin => unreachable!(),
            })
            .collect(),
    )
}

/// The corpus README counts manifests, `seccomp/` and `audit/` apart.
fn section(path: &Path) -> &'static str {
    let relative = path.strip_prefix(CORPUS).unwrap_or(path);
    match relative.components().next().and_then(|c| c.as_os_str().to_str()) {
        Some("seccomp") => "seccomp",
        Some("audit") => "audit",
        _ => "manifests",
    }
}

#[test]
fn every_corpus_file_parses_and_object_counts_match_the_readme() {
    let Some(files) = corpus_files() else { return };
    let started = Instant::now();
    let mut sections: BTreeMap<&str, Counts> = BTreeMap::new();
    for path in &files {
        let text = Input::File(path.clone()).read().expect("corpus files are readable");
        let counts = sections.entry(section(path)).or_default();
        counts.files += 1;
        counts.bytes += text.len();
        let name = path.strip_prefix(CORPUS).unwrap_or(path).display().to_string();
        for raw in split_documents(&text) {
            match parse_document(&raw) {
                Ok(None) => {}
                Ok(Some(doc)) => {
                    counts.documents += 1;
                    counts.warnings += doc.warnings.len();
                    counts.kubectl_differs += usize::from(doc.kubectl != KubectlView::Reads);
                    let (objects, skipped) = doc.objects();
                    counts.objects += objects.len();
                    counts.skipped += skipped;
                    for object in &objects {
                        // Every object has a position inside its document.
                        let pos = doc.positions.get(&object.path).expect("object position");
                        assert!(pos.line >= raw.first_line, "{name}: {pos:?} before its document");
                    }
                }
                Err(err) => counts.errors.push(format!("{name}:{err}")),
            }
        }
    }
    for (name, c) in &sections {
        eprintln!(
            "corpus {name}: {} files ({:.1} MB), {} documents, {} objects, {} skipped (not Kubernetes objects), \
             {} errors, {} warnings, {} documents kubectl reads differently",
            c.files,
            c.bytes as f64 / 1e6,
            c.documents,
            c.objects,
            c.skipped,
            c.errors.len(),
            c.warnings,
            c.kubectl_differs
        );
        for e in &c.errors {
            eprintln!("  error {e}");
        }
    }
    eprintln!("parsed in {:.2}s (debug build)", started.elapsed().as_secs_f64());
    let manifests = &sections["manifests"];
    assert_eq!(
        manifests.objects, 3337,
        "the corpus README counts 3,337 Kubernetes objects"
    );
    assert!(
        manifests.errors.is_empty(),
        "every manifest of the corpus parses: {:?}",
        manifests.errors
    );
    assert_eq!(
        sections["seccomp"].objects, 17,
        "the corpus README counts 17 objects under seccomp/"
    );
}

#[test]
fn no_corpus_file_looks_like_an_unrendered_helm_template() {
    // The corpus holds rendered manifests only; some carry `{{ }}` inside string values
    // (alert templates, KServe arguments, chat templates), which must not trip the hint.
    let Some(files) = corpus_files() else { return };
    let flagged: Vec<String> = files
        .iter()
        .filter(|p| tailor_manifest::looks_like_helm_template(&std::fs::read_to_string(p).unwrap_or_default()))
        .map(|p| p.display().to_string())
        .collect();
    assert!(flagged.is_empty(), "flagged as Helm templates: {flagged:#?}");
}

#[test]
fn the_largest_manifest_reads_the_same_as_a_tab_indented_json_stream() {
    // The corpus's JSON files are small; this makes a big one (argo-cd's 1.9 MB install
    // written as tab-indented JSON, one object after another) and checks it reads the same.
    let yaml_path = Path::new(CORPUS).join("argoproj__argo-cd/manifests/install.yaml");
    let Ok(yaml) = std::fs::read_to_string(&yaml_path) else {
        eprintln!("SKIPPED: {} is absent", yaml_path.display());
        return;
    };
    let from_yaml: Vec<serde_json::Value> = tailor_manifest::parse_stream(&yaml)
        .into_iter()
        .map(|d| d.unwrap().value)
        .collect();
    let mut json = Vec::new();
    for value in &from_yaml {
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut json, formatter);
        serde::Serialize::serialize(value, &mut ser).unwrap();
        json.push(b'\n');
    }
    let json = String::from_utf8(json).unwrap();
    assert!(json.len() > 1_500_000);
    let started = Instant::now();
    let from_json: Vec<_> = tailor_manifest::parse_stream(&json)
        .into_iter()
        .map(|d| d.unwrap())
        .collect();
    eprintln!(
        "{:.1} MB of JSON in {:.2}s",
        json.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(from_json.len(), from_yaml.len());
    for (a, b) in from_json.iter().zip(&from_yaml) {
        assert_eq!(&a.value, b);
    }
    // Positions come from the YAML parser, not the coarse JSON fallback: the second key of
    // the last object is on its third line.
    let last = from_json.last().unwrap();
    let second_key = last.value.as_object().unwrap().keys().nth(1).unwrap().clone();
    let pos = last
        .positions
        .get(&tailor_kube::FieldPath::new().key(second_key))
        .unwrap();
    assert_eq!(pos.line, last.positions.root().line + 2);
    assert_eq!(pos.column, 2);
}

/// `emit::to_yaml` writes every corpus document so that it reads back as the same JSON, key
/// order included (what `tailor harden -o yaml` and `tailor learn rbac` rely on).
#[test]
fn every_corpus_document_survives_a_yaml_round_trip() {
    let Some(files) = corpus_files() else { return };
    let mut documents = 0;
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for document in tailor_manifest::parse_stream(&text).into_iter().flatten() {
            let yaml = tailor_manifest::emit::to_yaml(&document.value);
            let read_back = tailor_manifest::parse_stream(&yaml);
            assert_eq!(read_back.len(), 1, "{}: {yaml}", path.display());
            let value = &read_back[0].as_ref().expect("emitted YAML parses").value;
            assert_eq!(value, &document.value, "{}:\n{yaml}", path.display());
            let keys = |v: &serde_json::Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
            assert_eq!(keys(value), keys(&document.value), "{}: key order", path.display());
            documents += 1;
        }
    }
    assert!(documents > 3_000, "only {documents} documents read");
}
