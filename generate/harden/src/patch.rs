//! JSON patches (RFC 6902) from an object to its hardened version, and the kustomize target
//! that applies one to the right object. JSON patches name every path exactly, so they apply
//! the same way with `kubectl patch --type json` and in a kustomize overlay, whatever the kind
//! (strategic merge would need each list's merge key).

use serde_json::{json, Map, Value};
use tailor_kube::TypeMeta;

/// The operations that turn `from` into `to`.
pub fn json_patch(from: &Value, to: &Value) -> Vec<Value> {
    let mut ops = Vec::new();
    diff(&mut String::new(), from, to, &mut ops);
    ops
}

fn diff(path: &mut String, from: &Value, to: &Value, ops: &mut Vec<Value>) {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => diff_maps(path, a, b, ops),
        (Value::Array(a), Value::Array(b)) => {
            let common = a.len().min(b.len());
            for i in 0..common {
                with(path, &i.to_string(), |path| diff(path, &a[i], &b[i], ops));
            }
            for (i, item) in b.iter().enumerate().skip(common) {
                ops.push(json!({"op": "add", "path": format!("{path}/{i}"), "value": item}));
            }
            // From the end, so earlier indexes stay valid.
            for i in (common..a.len()).rev() {
                ops.push(json!({"op": "remove", "path": format!("{path}/{i}")}));
            }
        }
        _ if from != to => ops.push(json!({"op": "replace", "path": path.clone(), "value": to})),
        _ => {}
    }
}

fn diff_maps(path: &mut String, a: &Map<String, Value>, b: &Map<String, Value>, ops: &mut Vec<Value>) {
    for (key, old) in a {
        let escaped = escape(key);
        match b.get(key) {
            Some(new) => with(path, &escaped, |path| diff(path, old, new, ops)),
            None => ops.push(json!({"op": "remove", "path": format!("{path}/{escaped}")})),
        }
    }
    for (key, new) in b.iter().filter(|(key, _)| !a.contains_key(*key)) {
        ops.push(json!({"op": "add", "path": format!("{path}/{}", escape(key)), "value": new}));
    }
}

fn with(path: &mut String, segment: &str, f: impl FnOnce(&mut String)) {
    let len = path.len();
    path.push('/');
    path.push_str(segment);
    f(path);
    path.truncate(len);
}

/// A JSON pointer segment: `~` is `~0`, `/` is `~1`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Applies a patch made by [`json_patch`] (add, remove, replace), for tests and for checking
/// a patch before it is handed out.
pub fn apply(target: &mut Value, ops: &[Value]) -> Result<(), String> {
    for op in ops {
        let path = op["path"].as_str().ok_or("op without a path")?;
        let mut segments: Vec<String> = path
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let last = segments.pop().ok_or("patching the root")?;
        let parent = segments
            .iter()
            .try_fold(&mut *target, |v, s| match v {
                Value::Object(m) => m.get_mut(s),
                Value::Array(a) => s.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
                _ => None,
            })
            .ok_or_else(|| format!("{path}: no such parent"))?;
        match (op["op"].as_str(), parent) {
            (Some("add" | "replace"), Value::Object(m)) => {
                m.insert(last, op["value"].clone());
            }
            (Some("remove"), Value::Object(m)) => {
                m.remove(&last).ok_or_else(|| format!("{path}: nothing to remove"))?;
            }
            (Some(kind), Value::Array(a)) => {
                let index: usize = if last == "-" {
                    a.len()
                } else {
                    last.parse().map_err(|_| path.to_owned())?
                };
                match kind {
                    "add" if index <= a.len() => a.insert(index, op["value"].clone()),
                    "replace" if index < a.len() => a[index] = op["value"].clone(),
                    "remove" if index < a.len() => {
                        a.remove(index);
                    }
                    _ => return Err(format!("{path}: index out of range")),
                }
            }
            _ => return Err(format!("{path}: cannot apply")),
        }
    }
    Ok(())
}

/// The kustomize patch target of an object: group, version, kind, name and namespace.
pub fn kustomize_target(type_meta: &TypeMeta, name: Option<&str>, namespace: Option<&str>) -> Value {
    let (group, version) = type_meta
        .api_version
        .rsplit_once('/')
        .unwrap_or(("", type_meta.api_version.as_str()));
    let mut target = Map::new();
    if !group.is_empty() {
        target.insert("group".to_owned(), json!(group));
    }
    target.insert("version".to_owned(), json!(version));
    target.insert("kind".to_owned(), json!(type_meta.kind));
    if let Some(name) = name {
        target.insert("name".to_owned(), json!(name));
    }
    if let Some(namespace) = namespace {
        target.insert("namespace".to_owned(), json!(namespace));
    }
    Value::Object(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_turns_one_value_into_the_other() {
        let from = json!({"a": {"b": 1, "c/d": [1, 2, 3]}, "gone": true, "list": [{"x": 1}]});
        let to = json!({"a": {"b": 2, "c/d": [1], "new": {"k": "v"}}, "list": [{"x": 1, "y": 2}, {"z": 3}]});
        let ops = json_patch(&from, &to);
        let mut patched = from.clone();
        apply(&mut patched, &ops).unwrap();
        assert_eq!(patched, to);
        assert!(ops.iter().any(|op| op["path"] == "/a/c~1d/2" && op["op"] == "remove"));
        assert!(json_patch(&to, &to).is_empty());
    }
}
