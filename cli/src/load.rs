//! The input pipeline: paths → files → documents → Kubernetes objects, each handed to a
//! visitor with its position, in input order.
//!
//! Files are read and parsed in parallel (rayon) and each document of a stream is parsed on
//! its own, so one broken document never hides the others. A file's text and parse trees
//! live only while its objects are visited; only the visitor's results are kept.

use rayon::prelude::*;
use serde_json::Value;
use tailor_check::{InputError, Locate, ObjectSource};
use tailor_kube::defaults::apply_admission_defaults;
use tailor_kube::workload::DecodeError;
use tailor_kube::{ArcStr, FieldPath, KubeObject, PodBearingKind, PodTemplate, TypeMeta};
use tailor_manifest::files::{FileError, Input};
use tailor_manifest::{Document, Positions};

use crate::progress::Progress;

/// One Kubernetes object as the visitor sees it.
pub struct LoadedObject<'a> {
    pub source: ObjectSource,
    pub value: &'a Value,
    /// The pod it runs, after admission defaulting (`None` for kinds that carry no pod, or a
    /// workload without a template).
    pub pod: Option<PodTemplate>,
    /// Its typed form, for the kinds the cross-object analyses use.
    pub kube: Option<KubeObject>,
    pub locator: ObjectLocator<'a>,
}

/// Maps paths relative to an object to lines, through the object's place in its document.
pub struct ObjectLocator<'a> {
    positions: &'a Positions,
    prefix: &'a FieldPath,
}

/// The place of a whole document's root: no prefix.
static DOCUMENT_ROOT: FieldPath = FieldPath(Vec::new());

impl<'a> ObjectLocator<'a> {
    /// Locates paths relative to a whole document (e.g. a configuration file).
    pub fn document(positions: &'a Positions) -> Self {
        ObjectLocator {
            positions,
            prefix: &DOCUMENT_ROOT,
        }
    }
}

impl Locate for ObjectLocator<'_> {
    fn locate(&self, path: &FieldPath) -> (u32, u32) {
        // Most objects are whole documents: no prefix, no need to build a joined path.
        let position = if self.prefix.is_empty() {
            self.positions.locate(path)
        } else {
            self.positions.locate(&self.prefix.join(path))
        };
        (position.line, position.column)
    }
}

/// What loading produced: the visitor's results in input order, the input errors, and how
/// many documents were skipped as not Kubernetes objects.
pub struct Loaded<R> {
    pub results: Vec<R>,
    pub errors: Vec<InputError>,
    /// Problems that do not stop evaluation (e.g. a duplicate key: the last one wins).
    pub warnings: Vec<InputError>,
    pub skipped: usize,
}

enum Item<R> {
    Result(R),
    Error(InputError),
    Warning(InputError),
    Skipped(usize),
}

fn file_error(err: &FileError) -> InputError {
    let (line, column) = err.position();
    let message = match err {
        FileError::Io { source, .. } => source.to_string(),
        FileError::Encoding { message, .. } => message.clone(),
    };
    InputError {
        file: err.path().to_owned(),
        line,
        column,
        message,
    }
}

/// Below this many bytes of manifests, a whole check takes well under a second.
const PROGRESS_MIN_BYTES: u64 = 32 << 20;

fn input_size(input: &Input) -> u64 {
    match input {
        Input::File(path) => std::fs::metadata(path).map_or(0, |meta| meta.len()),
        Input::Stdin => 0,
    }
}

/// What the pipeline does with each object besides parsing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decode {
    /// Decode pod-bearing objects into typed pods (after admission defaulting), and the kinds
    /// cross-object analyses use into their types.
    Objects,
    /// Parse only: the baseline the benchmarks compare the whole check against.
    Nothing,
}

pub fn load<R, F>(paths: &[String], decode: Decode, visit: F) -> Loaded<R>
where
    R: Send,
    F: Fn(LoadedObject) -> R + Sync,
{
    let (inputs, path_errors) = tailor_manifest::files::expand(paths);
    let sizes: Vec<u64> = inputs.iter().map(input_size).collect();
    let progress = Progress::bytes(sizes.iter().sum(), PROGRESS_MIN_BYTES);
    let items: Vec<Vec<Item<R>>> = inputs
        .par_iter()
        .zip(&sizes)
        .map(|(input, &size)| {
            let items = match input.read() {
                Ok(text) => load_text(&input.display_name(), &text, decode, &visit),
                Err(err) => vec![Item::Error(file_error(&err))],
            };
            progress.inc(size);
            items
        })
        .collect();
    progress.finish();
    let mut loaded = Loaded {
        results: Vec::new(),
        errors: path_errors.iter().map(file_error).collect(),
        warnings: Vec::new(),
        skipped: 0,
    };
    for item in items.into_iter().flatten() {
        match item {
            Item::Result(r) => loaded.results.push(r),
            Item::Error(e) => loaded.errors.push(e),
            Item::Warning(w) => loaded.warnings.push(w),
            Item::Skipped(n) => loaded.skipped += n,
        }
    }
    loaded
}

fn load_text<R, F>(file: &str, text: &str, decode: Decode, visit: &F) -> Vec<Item<R>>
where
    R: Send,
    F: Fn(LoadedObject) -> R + Sync,
{
    let documents = tailor_manifest::split_documents(text);
    let helm_hint = || tailor_manifest::looks_like_helm_template(text);
    documents
        .par_iter()
        .map(|raw| match tailor_manifest::parse_document(raw) {
            Ok(None) => Vec::new(),
            Ok(Some(document)) => visit_document(file, &document, decode, visit),
            Err(err) => {
                let mut message = err.message.clone();
                if helm_hint() {
                    message.push_str(
                        " (this looks like an unrendered Helm template: render it first with `helm template`)",
                    );
                }
                vec![Item::Error(InputError {
                    file: file.to_owned(),
                    line: err.line,
                    column: err.column,
                    message,
                })]
            }
        })
        .flatten()
        .collect()
}

fn visit_document<R, F>(file: &str, document: &Document, decode: Decode, visit: &F) -> Vec<Item<R>>
where
    F: Fn(LoadedObject) -> R,
{
    let (objects, skipped) = document.objects();
    let mut items = Vec::with_capacity(objects.len() + 1);
    if skipped > 0 {
        items.push(Item::Skipped(skipped));
    }
    items.extend(document.warnings.iter().map(|w| {
        Item::Warning(InputError {
            file: file.to_owned(),
            line: w.line,
            column: w.column,
            message: w.message.clone(),
        })
    }));
    for object in objects {
        let locator = ObjectLocator {
            positions: &document.positions,
            prefix: &object.path,
        };
        let (line, _) = locator.locate(&FieldPath::new());
        let source = ObjectSource {
            file: file.into(),
            line,
            namespace: metadata_string(object.value, "namespace"),
            name: metadata_string(object.value, "name"),
            type_meta: object.type_meta.clone(),
        };
        let typed = match decode {
            Decode::Objects => extract_pod(&object.type_meta, object.value)
                .and_then(|pod| Ok((pod, KubeObject::decode(&object.type_meta, object.value)?))),
            Decode::Nothing => Ok((None, None)),
        };
        match typed {
            Ok((pod, kube)) => items.push(Item::Result(visit(LoadedObject {
                source,
                value: object.value,
                pod,
                kube,
                locator,
            }))),
            Err(err) => {
                let (line, column) = locator.locate(&err.path);
                items.push(Item::Error(InputError {
                    file: file.to_owned(),
                    line,
                    column,
                    message: format!(
                        "{} {}: {err}",
                        object.type_meta.kind,
                        source.name.as_deref().unwrap_or("<unnamed>")
                    ),
                }));
            }
        }
    }
    items
}

pub(crate) fn extract_pod(type_meta: &TypeMeta, value: &Value) -> Result<Option<PodTemplate>, DecodeError> {
    let Some(kind) = PodBearingKind::classify(type_meta) else {
        return Ok(None);
    };
    let mut pod = PodTemplate::extract(kind, value)?;
    if let Some(pod) = pod.as_mut() {
        apply_admission_defaults(pod);
    }
    Ok(pod)
}

fn metadata_string(object: &Value, key: &str) -> Option<ArcStr> {
    object.get("metadata")?.get(key)?.as_str().map(ArcStr::from)
}
