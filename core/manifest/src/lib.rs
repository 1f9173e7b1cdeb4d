//! # tailor-manifest: reading Kubernetes manifests the way kubectl does
//!
//! Turns manifest files into JSON values that are exactly what kubectl would send to the API
//! server, and remembers the line of every field so findings can point at it.
//!
//! kubectl reads YAML with `sigs.k8s.io/yaml`, i.e. go-yaml v2 (a port of libyaml) with
//! YAML 1.1 scalar resolution. A checker that reads `privileged: yes` as the string `"yes"`
//! misses a privileged container, so this crate reproduces that pipeline rather than YAML 1.2:
//! - syntax: [libyaml-safer](https://crates.io/crates/libyaml-safer), a safe Rust port of
//!   libyaml, the parser go-yaml was ported from;
//! - scalars: go-yaml v2's `resolve.go` (`yes`/`on`/`y` are booleans, `0644` is 420, `1_000`
//!   is 1000, timestamps stay strings, floats reach the server as `encoding/json` prints them);
//! - structure: `<<` merges, anchors and aliases, last-wins duplicate keys (with a warning),
//!   non-string keys converted as `YAMLToJSON` does;
//! - streams: documents split as kubectl splits them (see [`split_documents`]), JSON streams
//!   read as JSON, `List` objects flattened (see [`Document::objects`]).
//!
//! The differential test in `tests/kubectl_differential.rs` compares every document of the
//! shared corpus, and the edge cases in `tests/data/differential/`, with a real kubectl's own
//! decoding. Where libyaml (0.2.5, which libyaml-safer ports) and go-yaml's older libyaml
//! disagree on syntax, go-yaml wins (see the `build` module).
//!
//! Where Tailor reads more than kubectl, on purpose, so nothing in a file goes unchecked:
//! documents with `%YAML` directives or content on the `---` line (kubectl rejects the file
//! there) and content after a `...` end marker (kubectl skips it) are read, with a warning and
//! [`Document::kubectl`] saying so; nested Lists are flattened.
//!
//! Layout: [`split_documents`] cuts a stream into [`RawDocument`]s without parsing;
//! [`parse_document`] parses one (documents are independent, so callers parse them in
//! parallel and a broken one never hides the others); [`parse_stream`] does both with rayon.
//! [`files`] expands input paths and reads them: it is the only module that does I/O.
//!
//! What this crate must not hold or depend on: check logic (it knows nothing of Pod Security
//! or hardening rules), printing or report formats, and any other Tailor crate than
//! `tailor-kube` (for [`tailor_kube::FieldPath`] and [`tailor_kube::TypeMeta`]).

mod build;
pub mod emit;
pub mod files;
mod helm;
mod objects;
mod positions;
mod resolve;
mod split;

use rayon::prelude::*;
use serde_json::Value;

pub use helm::looks_like_helm_template;
pub use objects::ObjectRef;
pub use positions::{Position, Positions};
pub use split::{split_documents, RawDocument, Syntax};

use build::{Built, Origin};
use positions::PosNode;

/// A document that could not be read, or a warning about one. `line` and `column` are
/// 1-based positions in the file (not in the document).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// One parsed document.
#[derive(Clone, Debug)]
pub struct Document {
    /// The document as the JSON kubectl would send.
    pub value: Value,
    pub positions: Positions,
    /// Things kubectl accepts silently but a reader should know, e.g. duplicate keys.
    pub warnings: Vec<ParseError>,
    /// 0-based index of the document in its stream ([`RawDocument::index`]).
    pub index: usize,
    /// Whether kubectl reads this document too (a warning says why not).
    pub kubectl: KubectlView,
}

/// How kubectl treats a document that Tailor reads. Tailor reads a few valid YAML forms that
/// kubectl's reader does not, so that nothing in a file goes unchecked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubectlView {
    /// kubectl reads the document the same way.
    Reads,
    /// kubectl reports an error here and reads no further in the file (`%YAML`/`%TAG`
    /// directives, content on the `---` line).
    Rejects,
    /// kubectl silently skips the document (it follows a `...` end marker with no `---`).
    Ignores,
}

/// Parses one document; `Ok(None)` when it is empty (only comments and blank lines) or a
/// null, which kubectl skips too.
pub fn parse_document(raw: &RawDocument) -> Result<Option<Document>, ParseError> {
    let origin = Origin {
        first_line: raw.first_line,
        first_column: raw.first_column.max(1),
    };
    if raw.syntax == Syntax::Json {
        // The splitter only hands over valid JSON values, except the rest of a JSON stream
        // that kubectl refuses: report that as kubectl does, with the place serde_json found.
        if let Err(err) = serde_json::from_str::<serde::de::IgnoredAny>(raw.text) {
            let mut mark = build::Mark::default();
            mark.line = err.line().saturating_sub(1) as u64;
            mark.column = err.column().saturating_sub(1) as u64;
            let pos = origin.position(mark);
            let message = format!("{err} (kubectl reads a file that starts with several JSON objects as JSON only)");
            return Err(ParseError {
                line: pos.line,
                column: pos.column,
                message: strip_serde_position(message),
            });
        }
    }
    let built = match build::build(raw.text, origin, raw.syntax == Syntax::Yaml) {
        Ok(built) => built,
        // kubectl reads the values of a JSON stream with encoding/json, which accepts a few
        // things libyaml does not (surrogate-pair escapes such as "\ud83d\ude00", keys longer
        // than libyaml's 1024-character limit for simple keys). serde_json gives no
        // positions, so every node of such a document points at the document's start.
        Err(err) if raw.syntax == Syntax::Json => match serde_json::from_str::<Value>(raw.text) {
            Ok(mut value) => {
                normalize_json_numbers(&mut value);
                let start = origin.position(Default::default());
                let positions = PosNode::coarse(&value, start);
                (!value.is_null()).then_some(Built {
                    value,
                    positions,
                    warnings: Vec::new(),
                    kubectl_rejects: false,
                })
            }
            Err(_) => return Err(err),
        },
        Err(err) => return Err(err),
    };
    let Some(mut built) = built else { return Ok(None) };
    let mut kubectl = if built.kubectl_rejects {
        KubectlView::Rejects
    } else {
        KubectlView::Reads
    };
    if raw.syntax == Syntax::Yaml {
        if let Some(column) = content_on_separator_line(raw.text) {
            kubectl = KubectlView::Rejects;
            built.warnings.push(ParseError {
                line: raw.first_line + raw.text[..column.0].matches('\n').count() as u32,
                column: column.1,
                message: "kubectl rejects content on a `---` line (\"invalid Yaml document separator\")".into(),
            });
        }
        if raw.after_end_marker {
            kubectl = KubectlView::Ignores;
            built.warnings.push(ParseError {
                line: raw.first_line,
                column: raw.first_column,
                message: "kubectl ignores this document: it follows a `...` end marker without a `---`".into(),
            });
        }
    }
    Ok(Some(Document {
        value: built.value,
        positions: Positions { root: built.positions },
        warnings: built.warnings,
        index: raw.index,
        kubectl,
    }))
}

/// Where content follows the `---` that starts a document (`--- {a: 1}`), which kubectl's
/// reader refuses: the byte offset of the line and the 1-based column of the content.
fn content_on_separator_line(text: &str) -> Option<(usize, u32)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || line.starts_with('%') {
            offset += line.len();
            continue;
        }
        let rest = line.strip_prefix("---")?;
        let content = rest.trim_start();
        if content.is_empty() || content.starts_with('#') {
            return None;
        }
        return Some((offset, 4 + (rest.len() - content.len()) as u32));
    }
    None
}

/// serde_json appends " at line L column C" to its messages; the position is ours already.
fn strip_serde_position(message: String) -> String {
    match message.find(" at line ") {
        Some(i) => {
            let (head, tail) = message.split_at(i);
            let rest = tail.find(" (").map_or("", |j| &tail[j..]);
            format!("{head}{rest}")
        }
        None => message,
    }
}

/// Integral floats (`1.0`, `1e3`) as the integers the API server reads them as, as the YAML
/// path produces them.
fn normalize_json_numbers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(normalized) = n.as_f64().and_then(|f| resolve::float_to_json(f).ok()) {
                *value = normalized;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_json_numbers),
        Value::Object(map) => map.values_mut().for_each(normalize_json_numbers),
        _ => {}
    }
}

/// Splits and parses a whole stream: the non-empty documents in order, each parsed or failed
/// on its own (in parallel when there are several).
pub fn parse_stream(text: &str) -> Vec<Result<Document, ParseError>> {
    let raws = split_documents(text);
    let parse = |raw: &RawDocument| parse_document(raw).transpose();
    if raws.len() > 1 {
        raws.par_iter().filter_map(parse).collect()
    } else {
        raws.iter().filter_map(parse).collect()
    }
}
