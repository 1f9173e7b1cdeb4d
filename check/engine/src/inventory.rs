//! What analyses across objects need to know about every loaded object, kept after the
//! object's source text and parse tree are gone: typed objects of the kinds they look at,
//! workloads' pods, and the lines of their fields.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;
use tailor_kube::{FieldPath, KubeObject, PodTemplate};

use crate::seccomp_profiles::LocalSeccompProfiles;
use crate::{CheckedObject, Finding, Locate, ObjectReport, ObjectSource};

/// Every object an analysis may look at, in load order.
#[derive(Debug, Default)]
pub struct Inventory {
    pub entries: Vec<Entry>,
    /// The seccomp profiles workloads' `Localhost` references can resolve to.
    pub seccomp_profiles: LocalSeccompProfiles,
}

#[derive(Debug)]
pub struct Entry {
    /// Index of the object in the report's `objects`.
    pub object_index: usize,
    pub source: ObjectSource,
    pub object: InventoryObject,
    pub lines: LineTable,
    /// A workload's `spec.volumes` (after defaulting) as compact JSON, taken out of its pod:
    /// a typed `Volume` is 3 KiB whatever it holds, and no cross-object analysis reads
    /// volumes. [`Entry::whole_pod`] puts them back for those that do (the security model,
    /// the namespace dry run). `None` when the pod was kept whole.
    pub volumes: Option<Box<str>>,
}

impl Entry {
    /// A workload's entry (its `object_index` is set when the inventory takes it), with its
    /// volumes taken out of its pod.
    pub fn workload(source: ObjectSource, mut pod: PodTemplate, lines: LineTable) -> Entry {
        let volumes = pod
            .spec
            .volumes
            .take()
            .and_then(|volumes| serde_json::to_string(&volumes).ok())
            .map(String::into_boxed_str);
        Entry {
            object_index: 0,
            source,
            object: InventoryObject::Workload(Box::new(pod)),
            lines,
            volumes,
        }
    }

    /// An entry for a typed object of another kind (its `object_index` is set when the
    /// inventory takes it).
    pub fn kube(source: ObjectSource, object: KubeObject, lines: LineTable) -> Entry {
        Entry {
            object_index: 0,
            source,
            object: InventoryObject::Kube(Box::new(object)),
            lines,
            volumes: None,
        }
    }

    /// The workload's pod with its volumes (see [`Entry::volumes`]); `None` for other kinds.
    pub fn whole_pod(&self) -> Option<Cow<'_, PodTemplate>> {
        let InventoryObject::Workload(pod) = &self.object else {
            return None;
        };
        Some(match &self.volumes {
            None => Cow::Borrowed(pod.as_ref()),
            Some(json) => {
                let mut whole = pod.as_ref().clone();
                // Written by `serde_json::to_string` of the same type: reading it back fails
                // only on a bug, and then the pod is shown without volumes rather than lost.
                whole.spec.volumes = serde_json::from_str(json).ok();
                Cow::Owned(whole)
            }
        })
    }
}

/// Both variants are boxed: an entry is kept for every loaded object (tens of thousands on a
/// large cluster), and the typed objects are hundreds of bytes to kilobytes each.
#[derive(Debug)]
pub enum InventoryObject {
    /// A pod-bearing object and its pod (after admission defaulting).
    Workload(Box<PodTemplate>),
    Kube(Box<KubeObject>),
}

impl InventoryObject {
    /// The typed object, for kinds other than workloads.
    pub fn kube(&self) -> Option<&KubeObject> {
        match self {
            InventoryObject::Kube(object) => Some(object),
            InventoryObject::Workload(_) => None,
        }
    }
}

impl Inventory {
    /// Keeps what the cross-object analyses need of `checked` (the report's `object_index`-th
    /// object) and hands back its report and findings.
    pub fn take(&mut self, object_index: usize, checked: CheckedObject) -> (ObjectReport, Vec<Finding>) {
        if let Some(entry) = checked.inventory {
            self.entries.push(Entry { object_index, ..entry });
        }
        (checked.report, checked.findings)
    }

    /// Workloads and their pods, without their volumes (see [`Entry::volumes`]).
    pub fn workloads(&self) -> impl Iterator<Item = (&Entry, &PodTemplate)> {
        self.entries.iter().filter_map(|e| match &e.object {
            InventoryObject::Workload(pod) => Some((e, pod.as_ref())),
            InventoryObject::Kube(_) => None,
        })
    }

    pub fn kube_objects(&self) -> impl Iterator<Item = (&Entry, &KubeObject)> {
        self.entries.iter().filter_map(|e| match &e.object {
            InventoryObject::Kube(object) => Some((e, object.as_ref())),
            InventoryObject::Workload(_) => None,
        })
    }
}

/// Lines of an object's fields, captured while its positions were at hand.
#[derive(Debug, Default)]
pub struct LineTable {
    object: (u32, u32),
    fields: HashMap<FieldPath, (u32, u32)>,
}

impl LineTable {
    /// Captures the lines of the fields of `value` down to [`CAPTURE_DEPTH`] segments (for the
    /// objects RBAC and network analyses point into); deeper fields resolve to their nearest
    /// captured ancestor, a line or two away.
    pub fn all_fields(value: &Value, locate: &dyn Locate) -> LineTable {
        let mut table = LineTable {
            object: locate.locate(&FieldPath::new()),
            fields: HashMap::new(),
        };
        if table.object == NO_SOURCE {
            return table;
        }
        let mut path = FieldPath::new();
        capture(value, &mut path, locate, &mut table.fields);
        table
    }

    /// Captures the lines of the given fields only (for workloads, whose own rules run while
    /// their positions are still available).
    pub fn fields<'p>(paths: impl IntoIterator<Item = &'p FieldPath>, locate: &dyn Locate) -> LineTable {
        let object = locate.locate(&FieldPath::new());
        let fields = if object == NO_SOURCE {
            HashMap::new()
        } else {
            paths.into_iter().map(|p| (p.clone(), locate.locate(p))).collect()
        };
        LineTable { object, fields }
    }

    /// The line of `path`, or of its deepest captured ancestor, or of the object.
    pub fn locate(&self, path: &FieldPath) -> (u32, u32) {
        let segments = path.segments();
        (0..=segments.len())
            .rev()
            .find_map(|n| self.fields.get(&FieldPath(segments[..n].to_vec())).copied())
            .unwrap_or(self.object)
    }
}

/// Where an object without source text is (one read from a cluster): all its fields are
/// there too, so there is nothing to capture.
const NO_SOURCE: (u32, u32) = (0, 0);

/// How deep [`LineTable::all_fields`] records lines: analyses point at fields such as
/// `rules[3]`, `roleRef.name` or `spec.egress[0]`; recording every leaf of every object
/// would cost a path allocation per field for lines no finding uses.
pub const CAPTURE_DEPTH: usize = 3;

fn capture(value: &Value, path: &mut FieldPath, locate: &dyn Locate, out: &mut HashMap<FieldPath, (u32, u32)>) {
    if path.segments().len() >= CAPTURE_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.0.push(tailor_kube::Segment::Key(key.clone()));
                out.insert(path.clone(), locate.locate(path));
                capture(child, path, locate, out);
                path.0.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.0.push(tailor_kube::Segment::Index(index));
                out.insert(path.clone(), locate.locate(path));
                capture(child, path, locate, out);
                path.0.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing;

    #[test]
    fn workloads_keep_their_volumes_aside_and_whole_pod_puts_them_back() {
        let object = json!({"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent"},
            "spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"}],
            "volumes":[{"name":"root","hostPath":{"path":"/"}},{"name":"scratch"}]}}}});
        let pod = testing::pod(&object);
        let entry = Entry::workload(testing::source(&object, 1), pod.clone(), LineTable::default());
        let InventoryObject::Workload(kept) = &entry.object else {
            panic!("a workload entry");
        };
        assert_eq!(kept.spec.volumes, None, "the analyses' pod has no volumes");
        let whole = entry.whole_pod().expect("a workload has a pod");
        assert_eq!(
            whole.spec, pod.spec,
            "volumes come back as defaulted (scratch: emptyDir)"
        );
        assert!(whole.spec.volumes.as_ref().unwrap()[1].empty_dir.is_some());
    }
}
