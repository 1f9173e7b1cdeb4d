//! What analyses across objects need to know about every loaded object, kept after the
//! object's source text and parse tree are gone: typed objects of the kinds they look at,
//! workloads' pods, and the lines of their fields.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;
use tailor_kube::{FieldPath, KubeObject, ObjectMeta, PodSpec, PodTemplate};

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
    /// A workload's whole pod (metadata and spec, after defaulting) as compact JSON, while
    /// `object` keeps only what cross-object analyses read (see [`Entry::workload`]): a typed
    /// pod is ~9 KB whatever it holds, its JSON ~1 KB. [`Entry::whole_pod`] reads it back for
    /// those that need all of it (the security model, the namespace dry run). `None` for
    /// other kinds.
    pub pod_json: Option<Box<str>>,
    /// Whether a container names the service-account token's directory in its command,
    /// arguments or environment, fields the kept pod no longer has (see
    /// [`crate::rules::rbac::service_accounts`]).
    pub reads_service_account_files: bool,
}

/// A pod's metadata and spec, as [`Entry::pod_json`] holds them.
#[derive(serde::Serialize)]
struct PodParts<'a> {
    metadata: &'a ObjectMeta,
    spec: &'a PodSpec,
}

#[derive(serde::Deserialize)]
struct OwnedPodParts {
    metadata: ObjectMeta,
    spec: PodSpec,
}

impl Entry {
    /// A workload's entry (its `object_index` is set when the inventory takes it). Its pod
    /// keeps only the fields cross-object analyses read; the whole pod goes to
    /// [`Entry::pod_json`].
    pub fn workload(source: ObjectSource, mut pod: PodTemplate, lines: LineTable) -> Entry {
        let parts = PodParts {
            metadata: &pod.metadata,
            spec: &pod.spec,
        };
        // Serialising typed k8s-openapi values cannot fail (no maps with non-string keys).
        let pod_json = serde_json::to_string(&parts).ok().map(String::into_boxed_str);
        let reads_service_account_files = crate::rules::rbac::service_accounts::reads_automounted_files(&pod);
        set_aside(&mut pod);
        Entry {
            object_index: 0,
            source,
            object: InventoryObject::Workload(Box::new(pod)),
            lines,
            pod_json,
            reads_service_account_files,
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
            pod_json: None,
            reads_service_account_files: false,
        }
    }

    /// The workload's whole pod (see [`Entry::pod_json`]); `None` for other kinds.
    pub fn whole_pod(&self) -> Option<Cow<'_, PodTemplate>> {
        let InventoryObject::Workload(pod) = &self.object else {
            return None;
        };
        // Written by `serde_json::to_string` of the same types: reading it back fails only
        // on a bug, and then the kept pod is shown rather than the object lost.
        let Some(parts) = self
            .pod_json
            .as_deref()
            .and_then(|json| serde_json::from_str::<OwnedPodParts>(json).ok())
        else {
            return Some(Cow::Borrowed(pod.as_ref()));
        };
        Some(Cow::Owned(PodTemplate {
            kind: pod.kind,
            path: pod.path.clone(),
            metadata: parts.metadata,
            spec: parts.spec,
        }))
    }
}

/// Takes out of `pod` what no cross-object analysis reads and most of its weight: the
/// metadata but labels, scheduling, volumes, and the containers' command line, environment,
/// probes, hooks, ports and mounts. The analyses read names, images, resources, security
/// contexts, the service account, host networking, and labels.
fn set_aside(pod: &mut PodTemplate) {
    pod.metadata = ObjectMeta {
        name: pod.metadata.name.take(),
        namespace: pod.metadata.namespace.take(),
        labels: pod.metadata.labels.take(),
        ..ObjectMeta::default()
    };
    let spec = &mut pod.spec;
    spec.volumes = None;
    spec.affinity = None;
    spec.tolerations = None;
    spec.node_selector = None;
    spec.topology_spread_constraints = None;
    spec.host_aliases = None;
    spec.dns_config = None;
    spec.image_pull_secrets = None;
    spec.readiness_gates = None;
    spec.resource_claims = None;
    spec.scheduling_gates = None;
    // Ephemeral containers (of another type) are rare in workloads and kept whole.
    for container in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        container.command = None;
        container.args = None;
        container.env = None;
        container.env_from = None;
        container.liveness_probe = None;
        container.readiness_probe = None;
        container.startup_probe = None;
        container.lifecycle = None;
        container.ports = None;
        container.volume_mounts = None;
        container.volume_devices = None;
        container.working_dir = None;
        container.termination_message_path = None;
        container.termination_message_policy = None;
        container.resize_policy = None;
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

    /// Workloads and the part of their pods cross-object analyses read (see
    /// [`Entry::workload`]).
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
    fn workloads_keep_what_analyses_read_and_whole_pod_gives_back_the_rest() {
        let object = json!({"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent"},
            "spec":{"template":{"metadata":{"labels":{"app":"agent"},"annotations":{"a":"b"}},
            "spec":{"serviceAccountName":"agent","tolerations":[{"operator":"Exists"}],
            "containers":[{"name":"c","image":"x","args":["--ca=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"],
                "env":[{"name":"K","value":"v"}],"securityContext":{"privileged":true},
                "resources":{"limits":{"nvidia.com/gpu":1}},"volumeMounts":[{"name":"root","mountPath":"/host"}]}],
            "volumes":[{"name":"root","hostPath":{"path":"/"}},{"name":"scratch"}]}}}});
        let pod = testing::pod(&object);
        let entry = Entry::workload(testing::source(&object, 1), pod.clone(), LineTable::default());
        let InventoryObject::Workload(kept) = &entry.object else {
            panic!("a workload entry");
        };
        assert!(
            entry.reads_service_account_files,
            "computed before the args are set aside"
        );
        assert_eq!(kept.metadata.labels, pod.metadata.labels);
        assert_eq!(kept.metadata.annotations, None);
        assert_eq!(kept.spec.service_account_name.as_deref(), Some("agent"));
        assert_eq!((&kept.spec.volumes, &kept.spec.tolerations), (&None, &None));
        let container = &kept.spec.containers[0];
        assert_eq!(
            (&container.args, &container.env, &container.volume_mounts),
            (&None, &None, &None)
        );
        assert_eq!(container.security_context, pod.spec.containers[0].security_context);
        assert_eq!(container.resources, pod.spec.containers[0].resources);
        let whole = entry.whole_pod().expect("a workload has a pod");
        assert_eq!((&whole.metadata, &whole.spec), (&pod.metadata, &pod.spec));
        assert!(
            whole.spec.volumes.as_ref().unwrap()[1].empty_dir.is_some(),
            "volumes come back as defaulted (scratch: emptyDir)"
        );
        assert_eq!((whole.kind, &whole.path), (pod.kind, &pod.path));
    }
}
