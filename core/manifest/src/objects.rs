//! The Kubernetes objects inside a document: the document itself, or the items of a List.

use serde_json::Value;
use tailor_kube::{FieldPath, TypeMeta};

use crate::Document;

/// A Kubernetes object inside a document.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectRef<'d> {
    /// Where the object sits in its document: empty for the document itself, `items[3]`
    /// (or deeper, for Lists inside Lists) for a List item.
    pub path: FieldPath,
    pub value: &'d Value,
    pub type_meta: TypeMeta,
}

impl Document {
    /// The Kubernetes objects of this document, Lists flattened, and how many documents or
    /// List items were skipped because they are not Kubernetes objects (no `apiVersion` or
    /// `kind`).
    ///
    /// As kubectl does (`UnstructuredJSONScheme.decodeToList`), a List item with neither
    /// `apiVersion` nor `kind` takes the List's `apiVersion` and its kind minus `List` (so a
    /// bare item of a `PodList` is a Pod). Unlike kubectl, which rejects a List nested in a
    /// List, nested Lists are flattened too, so nothing in the file goes unchecked.
    pub fn objects(&self) -> (Vec<ObjectRef<'_>>, usize) {
        let mut objects = Vec::new();
        let mut skipped = 0;
        collect(&self.value, FieldPath::new(), None, &mut objects, &mut skipped);
        (objects, skipped)
    }
}

fn collect<'d>(
    value: &'d Value,
    path: FieldPath,
    inherited: Option<&TypeMeta>,
    objects: &mut Vec<ObjectRef<'d>>,
    skipped: &mut usize,
) {
    let type_meta = TypeMeta::of(value).or_else(|| {
        let untyped = value.is_object() && is_blank(value, "apiVersion") && is_blank(value, "kind");
        inherited.filter(|_| untyped).cloned()
    });
    let Some(type_meta) = type_meta else {
        *skipped += 1;
        return;
    };
    if let Some(item_kind) = type_meta.kind.strip_suffix("List") {
        match value.get("items") {
            Some(Value::Array(items)) => {
                let item_type = (!item_kind.is_empty()).then(|| TypeMeta {
                    api_version: type_meta.api_version.clone(),
                    kind: item_kind.into(),
                });
                for (i, item) in items.iter().enumerate() {
                    collect(
                        item,
                        path.clone().key("items").index(i),
                        item_type.as_ref(),
                        objects,
                        skipped,
                    );
                }
                return;
            }
            // An empty list.
            Some(Value::Null) => return,
            _ => {}
        }
    }
    objects.push(ObjectRef { path, value, type_meta });
}

/// What `unstructured.GetKind()`/`GetAPIVersion()` read as empty: absent, not a string, or "".
fn is_blank(object: &Value, key: &str) -> bool {
    object.get(key).and_then(Value::as_str).is_none_or(str::is_empty)
}
