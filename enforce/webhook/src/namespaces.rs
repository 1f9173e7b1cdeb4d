//! Namespace labels, the only cluster state the decisions read.
//!
//! Held in memory by name; loaded from a YAML (or JSON) stream of Namespace objects read with
//! `tailor-manifest`, as kubectl would read it.

use std::collections::HashMap;
use std::sync::RwLock;

use tailor_kube::FieldPath;
use tailor_pss::admission::Labels;

/// Namespace name → labels. Shared by every request; written only when (re)loaded.
#[derive(Debug, Default)]
pub struct Namespaces {
    labels: RwLock<HashMap<String, Labels>>,
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

    pub fn from_map(labels: HashMap<String, Labels>) -> Namespaces {
        Namespaces {
            labels: RwLock::new(labels),
        }
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
