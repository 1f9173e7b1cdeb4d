//! Namespace labels, the only cluster state the decisions read.
//!
//! Held in memory by name; loaded from a YAML (or JSON) stream of Namespace objects read with
//! `tailor-manifest`, as kubectl would read it, or kept current by the watch in [`crate::watch`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

use tailor_kube::FieldPath;
use tailor_pss::admission::Labels;

/// Namespace name → labels. Shared by every request; written when (re)loaded or watched.
#[derive(Debug)]
pub struct Namespaces {
    labels: RwLock<HashMap<String, Labels>>,
    /// False until the watch delivered its first complete list: `/readyz` waits for it, as
    /// decisions on a partial set would deny pods in namespaces not yet seen.
    synced: AtomicBool,
}

impl Default for Namespaces {
    fn default() -> Namespaces {
        Namespaces::from_map(HashMap::new())
    }
}

impl Namespaces {
    /// Parses a stream of Namespace objects (a `List` of them works too). Other kinds are
    /// ignored; a broken document is an error naming its line, and hides no other document.
    pub fn parse(file: &str, text: &str) -> Result<Namespaces, Vec<String>> {
        let mut labels = HashMap::new();
        let mut errors = Vec::new();
        for document in tailor_manifest::parse_stream(text) {
            let document = match document {
                Ok(d) => d,
                Err(e) => {
                    errors.push(format!("{file}:{e}"));
                    continue;
                }
            };
            for object in document.objects().0 {
                let value = object.value;
                if value.get("kind").and_then(|k| k.as_str()) != Some("Namespace") {
                    continue;
                }
                let Some(name) = value.pointer("/metadata/name").and_then(|n| n.as_str()) else {
                    let at = document.positions.locate(&object.path);
                    errors.push(format!(
                        "{file}:{}:{}: Namespace without metadata.name",
                        at.line, at.column
                    ));
                    continue;
                };
                match serde_json::from_value::<Option<Labels>>(
                    value.pointer("/metadata/labels").cloned().unwrap_or_default(),
                ) {
                    Ok(l) => {
                        labels.insert(name.to_owned(), l.unwrap_or_default());
                    }
                    Err(e) => {
                        let at = document
                            .positions
                            .locate(&object.path.join(&FieldPath::keys("metadata.labels")));
                        errors.push(format!("{file}:{}:{}: metadata.labels: {e}", at.line, at.column));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(Namespaces::from_map(labels))
        } else {
            Err(errors)
        }
    }

    /// A complete set (from a file or a test): ready at once.
    pub fn from_map(labels: HashMap<String, Labels>) -> Namespaces {
        Namespaces {
            labels: RwLock::new(labels),
            synced: AtomicBool::new(true),
        }
    }

    /// An empty set that a watch fills: not ready until [`Namespaces::replace_all`].
    pub fn awaiting_watch() -> Namespaces {
        Namespaces {
            labels: RwLock::default(),
            synced: AtomicBool::new(false),
        }
    }

    /// Whether the set is complete (always, unless it awaits a watch's first list).
    pub fn is_synced(&self) -> bool {
        self.synced.load(Ordering::SeqCst)
    }

    /// Replaces every namespace at once (a watch's complete list, first or re-listed).
    pub fn replace_all(&self, labels: HashMap<String, Labels>) {
        *self.labels.write().unwrap_or_else(|e| e.into_inner()) = labels;
        self.synced.store(true, Ordering::SeqCst);
    }

    pub fn remove(&self, name: &str) {
        self.labels.write().unwrap_or_else(|e| e.into_inner()).remove(name);
    }

    /// The labels of `name`, or the lookup error the decision reports.
    pub fn lookup(&self, name: &str) -> Result<Labels, String> {
        let map = self.labels.read().unwrap_or_else(|e| e.into_inner());
        map.get(name)
            .cloned()
            .ok_or_else(|| format!("namespaces \"{name}\" not found"))
    }

    /// Records a namespace seen in a request (e.g. a Namespace CREATE/UPDATE).
    pub fn set(&self, name: &str, labels: Labels) {
        let mut map = self.labels.write().unwrap_or_else(|e| e.into_inner());
        map.insert(name.to_owned(), labels);
    }

    pub fn len(&self) -> usize {
        self.labels.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
