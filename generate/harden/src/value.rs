//! Small helpers to edit a `serde_json::Value` in place: hardening edits the object as it was
//! read, so every field Tailor does not touch (unknown ones included) stays exactly as it was.

use serde_json::{Map, Value};
use tailor_kube::{FieldPath, Segment};

/// Follows `path` through mappings and sequences, mutably.
pub fn lookup_mut<'v>(value: &'v mut Value, path: &FieldPath) -> Option<&'v mut Value> {
    path.segments().iter().try_fold(value, |v, segment| match segment {
        Segment::Key(k) => v.get_mut(k.as_str()),
        Segment::Index(i) => v.get_mut(*i),
    })
}

/// `parent[key]` as a mapping, created (or replacing a null) when absent.
pub fn object_entry<'v>(parent: &'v mut Map<String, Value>, key: &str) -> &'v mut Map<String, Value> {
    let entry = parent
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut().expect("just made a mapping")
}

/// `parent[key]` as a sequence, created (or replacing a null) when absent.
pub fn array_entry<'v>(parent: &'v mut Map<String, Value>, key: &str) -> &'v mut Vec<Value> {
    let entry = parent.entry(key.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Value::Array(Vec::new());
    }
    entry.as_array_mut().expect("just made a sequence")
}

/// Sets `map[key] = value` and says whether that changed anything.
pub fn set(map: &mut Map<String, Value>, key: &str, value: Value) -> bool {
    if map.get(key) == Some(&value) {
        return false;
    }
    map.insert(key.to_owned(), value);
    true
}
