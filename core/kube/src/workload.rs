//! Pod-bearing kinds and the pod each of them asks the kubelet to run.
//!
//! Pod Security admission evaluates a Pod's own metadata and spec, and for workload objects the
//! metadata and spec of their pod template. Legacy API groups (`extensions/v1beta1`,
//! `apps/v1beta1`, `apps/v1beta2`, `batch/v1beta1`, `batch/v2alpha1`) carry the template at the
//! same place, so the kind is recognised by group and kind, whatever the version.

use arcstr::ArcStr;
use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::path::{FieldPath, Segment};

/// `apiVersion` and `kind` of an object. Shared strings: every finding on the object carries
/// a copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeMeta {
    pub api_version: ArcStr,
    pub kind: ArcStr,
}

impl TypeMeta {
    /// Reads `apiVersion` and `kind`; `None` when either is missing or not a string, which is
    /// how a document that is not a Kubernetes object is told apart.
    pub fn of(object: &Value) -> Option<TypeMeta> {
        let api_version = object.get("apiVersion")?.as_str()?;
        let kind = object.get("kind")?.as_str()?;
        if api_version.is_empty() || kind.is_empty() {
            return None;
        }
        Some(TypeMeta {
            api_version: api_version.into(),
            kind: kind.into(),
        })
    }

    /// The API group: `""` for the core group (`v1`).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(group, _)| group)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PodBearingKind {
    Pod,
    PodTemplate,
    ReplicationController,
    ReplicaSet,
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
}

impl PodBearingKind {
    pub fn classify(type_meta: &TypeMeta) -> Option<PodBearingKind> {
        use PodBearingKind::*;
        Some(match (type_meta.group(), type_meta.kind.as_str()) {
            ("", "Pod") => Pod,
            ("", "PodTemplate") => PodTemplate,
            ("", "ReplicationController") => ReplicationController,
            ("apps" | "extensions", "ReplicaSet") => ReplicaSet,
            ("apps" | "extensions", "Deployment") => Deployment,
            ("apps" | "extensions", "DaemonSet") => DaemonSet,
            ("apps", "StatefulSet") => StatefulSet,
            ("batch" | "extensions", "Job") => Job,
            ("batch", "CronJob") => CronJob,
            _ => return None,
        })
    }

    /// Where the pod (the object holding `metadata` and `spec`) sits inside the object.
    pub fn template_path(self) -> FieldPath {
        match self {
            PodBearingKind::Pod => FieldPath::new(),
            PodBearingKind::PodTemplate => FieldPath::keys("template"),
            PodBearingKind::CronJob => FieldPath::keys("spec.jobTemplate.spec.template"),
            _ => FieldPath::keys("spec.template"),
        }
    }

    /// The plural resource name, as admission messages use it (`pods "x" is forbidden`).
    pub fn resource(self) -> &'static str {
        match self {
            PodBearingKind::Pod => "pods",
            PodBearingKind::PodTemplate => "podtemplates",
            PodBearingKind::ReplicationController => "replicationcontrollers",
            PodBearingKind::ReplicaSet => "replicasets",
            PodBearingKind::Deployment => "deployments",
            PodBearingKind::StatefulSet => "statefulsets",
            PodBearingKind::DaemonSet => "daemonsets",
            PodBearingKind::Job => "jobs",
            PodBearingKind::CronJob => "cronjobs",
        }
    }
}

/// The pod an object runs: a Pod itself, or a workload's pod template.
#[derive(Clone, Debug)]
pub struct PodTemplate {
    pub kind: PodBearingKind,
    /// Position of the template inside the object (empty for a Pod).
    pub path: FieldPath,
    pub metadata: ObjectMeta,
    pub spec: PodSpec,
}

/// A field whose value does not fit the Kubernetes schema (e.g. a string where a number is
/// expected). `path` is relative to the object, so the loader can name its line.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct DecodeError {
    pub path: FieldPath,
    pub message: String,
}

impl PodTemplate {
    /// Extracts the pod of a pod-bearing object. `Ok(None)` when the object has no template
    /// at all (a ReplicationController may omit it; admission then has nothing to evaluate).
    pub fn extract(kind: PodBearingKind, object: &Value) -> Result<Option<PodTemplate>, DecodeError> {
        let path = kind.template_path();
        let Some(template) = lookup(object, &path) else {
            // A Pod always is its own template, even with no spec.
            return if kind == PodBearingKind::Pod {
                Ok(Some(empty(kind, path)))
            } else {
                Ok(None)
            };
        };
        if template.is_null() && kind != PodBearingKind::Pod {
            return Ok(None);
        }
        let metadata = decode_field(template, &path, "metadata")?;
        let spec = decode_field(template, &path, "spec")?;
        Ok(Some(PodTemplate {
            kind,
            path,
            metadata,
            spec,
        }))
    }
}

fn empty(kind: PodBearingKind, path: FieldPath) -> PodTemplate {
    PodTemplate {
        kind,
        path,
        metadata: ObjectMeta::default(),
        spec: PodSpec::default(),
    }
}

/// Follows `path` through mappings and sequences.
pub fn lookup<'v>(value: &'v Value, path: &FieldPath) -> Option<&'v Value> {
    path.segments().iter().try_fold(value, |v, segment| match segment {
        Segment::Key(k) => v.get(k.as_str()),
        Segment::Index(i) => v.get(*i),
    })
}

/// Decodes `parent[key]` into a typed value; a missing or null field is the type's default.
fn decode_field<T: DeserializeOwned + Default>(
    parent: &Value,
    parent_path: &FieldPath,
    key: &str,
) -> Result<T, DecodeError> {
    let field_path = parent_path.clone().key(key);
    match parent.get(key) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(value) => serde_path_to_error::deserialize(value).map_err(|err| DecodeError::from_serde(field_path, err)),
    }
}

impl DecodeError {
    /// A serde error at a path below `base`.
    pub(crate) fn from_serde(base: FieldPath, err: serde_path_to_error::Error<serde_json::Error>) -> DecodeError {
        DecodeError {
            path: base.join_serde(err.path()),
            message: err.into_inner().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn type_meta(api_version: &str, kind: &str) -> TypeMeta {
        TypeMeta {
            api_version: api_version.into(),
            kind: kind.into(),
        }
    }

    #[test]
    fn recognises_current_and_legacy_groups() {
        assert_eq!(
            PodBearingKind::classify(&type_meta("v1", "Pod")),
            Some(PodBearingKind::Pod)
        );
        assert_eq!(
            PodBearingKind::classify(&type_meta("extensions/v1beta1", "Deployment")),
            Some(PodBearingKind::Deployment)
        );
        assert_eq!(
            PodBearingKind::classify(&type_meta("apps/v1beta2", "DaemonSet")),
            Some(PodBearingKind::DaemonSet)
        );
        assert_eq!(
            PodBearingKind::classify(&type_meta("batch/v1beta1", "CronJob")),
            Some(PodBearingKind::CronJob)
        );
        assert_eq!(PodBearingKind::classify(&type_meta("v1", "Deployment")), None);
        assert_eq!(PodBearingKind::classify(&type_meta("apps/v1", "Pod")), None);
        assert_eq!(
            PodBearingKind::classify(&type_meta("serving.kserve.io/v1beta1", "InferenceService")),
            None
        );
    }

    #[test]
    fn extracts_cronjob_template_with_its_path() {
        let cron = json!({"apiVersion":"batch/v1","kind":"CronJob","spec":{"jobTemplate":{"spec":{"template":{
            "metadata":{"annotations":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}}});
        let pod = PodTemplate::extract(PodBearingKind::CronJob, &cron).unwrap().unwrap();
        assert_eq!(pod.path.to_string(), "spec.jobTemplate.spec.template");
        assert_eq!(pod.spec.containers[0].name, "c");
        assert_eq!(pod.metadata.annotations.unwrap()["a"], "b");
    }

    #[test]
    fn missing_template_is_not_evaluated_but_a_pod_always_is() {
        let rc = json!({"apiVersion":"v1","kind":"ReplicationController","spec":{"replicas":1}});
        assert!(PodTemplate::extract(PodBearingKind::ReplicationController, &rc)
            .unwrap()
            .is_none());
        let pod = json!({"apiVersion":"v1","kind":"Pod"});
        assert!(PodTemplate::extract(PodBearingKind::Pod, &pod).unwrap().is_some());
    }

    #[test]
    fn type_errors_name_the_full_field_path() {
        let deploy = json!({"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{
            "containers":[{"name":"c","ports":[{"containerPort":"eighty"}]}]}}}});
        let err = PodTemplate::extract(PodBearingKind::Deployment, &deploy).unwrap_err();
        assert_eq!(
            err.path.to_string(),
            "spec.template.spec.containers[0].ports[0].containerPort"
        );
        assert!(err.message.contains("expected i32"), "{}", err.message);
    }
}
